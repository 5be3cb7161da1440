import type { BrokerState } from '../state.ts';
import type { Reader } from '../protocol/reader.ts';

/** Request header v1 (all non-flexible versions except ControlledShutdown v0). */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface RequestContext {
  header: RequestHeader;
  /** Positioned at the start of the request body. */
  body: Reader;
  state: BrokerState;
}

/**
 * What to do after a request: send a response body, send nothing (Produce
 * with acks=0), or close the connection (how Kafka reports an error to an
 * acks=0 producer, which reads no responses).
 */
export type HandlerResult = { kind: 'respond'; body: Buffer } | { kind: 'none' } | { kind: 'close'; reason: string };

export interface ApiHandler {
  readonly apiKey: number;
  readonly name: string;
  /** Inclusive version range, advertised through ApiVersions. Only non-flexible versions. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Serves a request whose version is within range. May throw DecodeError for a malformed body. */
  handle(ctx: RequestContext): HandlerResult;
  /** The response this request gets when a test injected `errorCode` for it (nothing is applied). */
  errorResponse(ctx: RequestContext, errorCode: number): HandlerResult;
}

export function respond(body: Buffer): HandlerResult {
  return { kind: 'respond', body };
}
