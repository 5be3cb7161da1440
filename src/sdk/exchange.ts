/**
 * Each attempt's request and response, as the event timeline shows them (docs/console.md). A
 * connector hands the raw parts to `withExchange`; the capture is masked and cut only when it is
 * read, and the dispatcher reads it only for the attempts it records (`capture.attempts`), so a
 * delivery whose capture is not kept costs one small object. The SDK's request helpers
 * (`httpRequest`, `apiRequest`, `errorOutcome`) give the raw parts ready to attach.
 */
import { captureBody, type HeaderInput, maskHeaders, maskUrl, wellFormed } from './capture.ts';
import type { Exchange, ExchangeRequest, ExchangeResponse, Outcome } from './outcome.ts';

/** A request as a connector made it: values as sent, secrets included (they are masked when captured). */
export interface RequestInput {
  readonly method: string;
  readonly url: string;
  readonly headers?: HeaderInput | undefined;
  readonly body?: string | Uint8Array | undefined;
}

/** The answer as the client read it. */
export interface ResponseInput {
  /** The HTTP status; leave it out for exchanges that are not HTTP. */
  readonly status?: number | undefined;
  readonly headers?: HeaderInput | undefined;
  readonly body?: string | Uint8Array | undefined;
  /** The body's whole size in bytes, when `body` holds only its start (the client stopped reading). */
  readonly size?: number | undefined;
}

/** The raw parts of an exchange, as {@link withExchange} and {@link captureExchange} take them. */
export interface ExchangeInput {
  readonly request?: RequestInput | undefined;
  readonly response?: ResponseInput | undefined;
}

/** Options of a capture. */
export interface CaptureOptions {
  /**
   * More header names to mask, beyond those that always are (see `isSecretName`): a connector's own
   * credential header, e.g. the `auth.header` of the crm connector.
   */
  readonly mask?: readonly string[] | undefined;
}

/** Captures built here: safe as they are, so the dispatcher does not mask them again. */
const CAPTURED = new WeakSet<object>();

/**
 * A safe capture of an exchange, made now: header values with secret-bearing names masked
 * (`maskHeaders`), the URL's userinfo and secret query parameters masked (`maskUrl`), each body cut
 * to its first 4096 bytes with a marker saying how much was cut, a binary body described rather than
 * copied (`captureBody`). The result is frozen. Secrets written inside a body are not found by name:
 * the dispatcher also replaces the config's `${VAR}` values wherever they appear before it stores a
 * capture.
 */
export function captureExchange(input: ExchangeInput, options: CaptureOptions = {}): Exchange {
  const mask = options.mask ?? [];
  if (CAPTURED.has(input) && mask.length === 0) return input as Exchange;
  const request = input.request === undefined ? undefined : captureRequest(input.request, mask);
  const response = input.response === undefined ? undefined : captureResponse(input.response, mask);
  const exchange: Exchange = Object.freeze({
    ...(request ? { request } : {}),
    ...(response ? { response } : {}),
  });
  CAPTURED.add(exchange);
  return exchange;
}

function captureRequest(request: RequestInput, mask: readonly string[]): ExchangeRequest {
  const body = captureBody(request.body, { contentType: contentTypeOf(request.headers) });
  return Object.freeze({
    method: wellFormed(String(request.method).slice(0, 32)),
    url: maskUrl(String(request.url)),
    headers: Object.freeze(maskHeaders(request.headers, mask)),
    ...(body === undefined ? {} : { body }),
  });
}

function captureResponse(response: ResponseInput, mask: readonly string[]): ExchangeResponse {
  const body = captureBody(response.body, { contentType: contentTypeOf(response.headers), size: response.size });
  return Object.freeze({
    ...(typeof response.status === 'number' ? { status: response.status } : {}),
    headers: Object.freeze(maskHeaders(response.headers, mask)),
    ...(body === undefined ? {} : { body }),
  });
}

function contentTypeOf(headers: HeaderInput | undefined): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<readonly [string, string]>)
      if (name.toLowerCase() === 'content-type') return value;
    return undefined;
  }
  const record = headers as Readonly<Record<string, unknown>>;
  const value = record['content-type'] ?? record['Content-Type'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * `outcome` with the exchange that decided it attached as `exchange`, for the event's timeline.
 * Pass the request as sent and the response as read (`httpRequest` answers with them as
 * `response.exchange`), secrets and all: the capture is made by {@link captureExchange} when
 * `exchange` is first read, so a delivery whose attempt is not recorded (`capture.attempts`) never
 * pays for masking and cutting. Undefined `exchange` returns `outcome` as it is.
 *
 * @example
 * const response = await httpRequest(url, { method: 'POST', headers, body, signal });
 * return withExchange(classifyHttpStatus(response.status, response.headers), response.exchange);
 */
export function withExchange(outcome: Outcome, exchange: ExchangeInput | undefined, options?: CaptureOptions): Outcome {
  if (exchange === undefined) return outcome;
  let built: Exchange | undefined;
  // An own, enumerable getter: JSON.stringify and spreads see the masked capture, built on first read.
  const attached: Record<string, unknown> = {
    get exchange() {
      built ??= captureExchange(exchange, options);
      return built;
    },
  };
  // Copied key by key, never reading an exchange attached before (that would build it).
  for (const key of Object.keys(outcome))
    if (key !== 'exchange') attached[key] = (outcome as Record<string, unknown>)[key];
  return attached as unknown as Outcome;
}

/** Whether `value` is a capture `captureExchange` made (so masked and cut already). */
export function isCaptured(value: unknown): value is Exchange {
  return typeof value === 'object' && value !== null && CAPTURED.has(value);
}
