/**
 * What an attempt records of the exchange its connector reported (`outcome.exchange`): nothing
 * unless `capture.attempts` keeps that attempt; a capture the SDK made as it is; anything else
 * (a plugin's hand-made object) checked for its shape and masked and cut like the SDK's. Then the
 * config's secret values are replaced wherever they appear. An exchange that cannot be read is
 * dropped with a warning: it never stops the attempt's result from being written.
 */
import type { AttemptCapture, AttemptExchange } from '../domain/delivery.ts';
import { scrub } from '../observability/logger.ts';
import { captureExchange, type ExchangeInput, isCaptured } from '../sdk/exchange.ts';
import type { ExchangeRequest, ExchangeResponse, Outcome } from '../sdk/outcome.ts';

export interface ExchangeRecorderOptions {
  /** The current `capture.attempts` (a reload may change it). */
  readonly mode: () => AttemptCapture;
  /** The config's secret values, removed from what is stored. */
  readonly secrets: () => readonly string[];
  /** Told once per recorder (one per connector worker) that a connector reported an exchange it cannot read. */
  readonly warn: (problem: string) => void;
}

/** The exchange an attempt records for an outcome, or undefined. */
export type ExchangeRecorder = (outcome: Outcome) => AttemptExchange | undefined;

export function exchangeRecorder(options: ExchangeRecorderOptions): ExchangeRecorder {
  let warned = false;
  return (outcome) => {
    const mode = options.mode();
    if (mode === 'off' || (mode === 'failures' && outcome.status !== 'retry' && outcome.status !== 'failed'))
      return undefined;
    // `in`, not a read: reading is what builds a capture attached with withExchange.
    if (typeof outcome !== 'object' || outcome === null || !('exchange' in outcome)) return undefined;
    try {
      const value: unknown = outcome.exchange;
      if (value === undefined) return undefined;
      const safe = isCaptured(value) ? value : captureExchange(checked(value));
      const secrets = [...options.secrets()].sort((a, b) => b.length - a.length);
      return secrets.length === 0 ? safe : scrubbed(safe, secrets);
    } catch (error) {
      if (!warned) {
        warned = true;
        options.warn(error instanceof Error ? error.message : String(error));
      }
      return undefined;
    }
  };
}

/** A hand-made exchange as `captureExchange` takes it, or an error saying what is wrong with it. */
function checked(value: unknown): ExchangeInput {
  if (!isRecord(value)) throw new Error('exchange is not an object');
  const { request, response } = value;
  if (request !== undefined) {
    if (!isRecord(request)) throw new Error('exchange.request is not an object');
    if (typeof request.method !== 'string' || typeof request.url !== 'string')
      throw new Error('exchange.request needs a method and a url (strings)');
    checkParts('exchange.request', request);
  }
  if (response !== undefined) {
    if (!isRecord(response)) throw new Error('exchange.response is not an object');
    const { status, size } = response;
    if (status !== undefined && !(Number.isInteger(status) && (status as number) >= 0 && (status as number) < 1000))
      throw new Error('exchange.response.status is not an HTTP status');
    if (size !== undefined && !(typeof size === 'number' && size >= 0))
      throw new Error('exchange.response.size is not a size');
    checkParts('exchange.response', response);
  }
  return value as ExchangeInput;
}

function checkParts(what: string, part: Record<string, unknown>): void {
  const { headers, body } = part;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new Error(`${what}.body is neither text nor bytes`);
  if (headers === undefined) return;
  if (!isRecord(headers)) throw new Error(`${what}.headers is not an object of names and values`);
  for (const value of Object.values(headers)) {
    const ok =
      value === undefined ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    if (!ok) throw new Error(`${what}.headers has a value that is not text`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scrubbed(exchange: AttemptExchange, secrets: readonly string[]): AttemptExchange {
  const clean = (text: string) => scrub(text, secrets);
  const headers = (record: Readonly<Record<string, string>>) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(record))
      Object.defineProperty(out, name, { value: clean(value), enumerable: true, writable: true, configurable: true });
    return out;
  };
  const body = (text: string | undefined) => (text === undefined ? {} : { body: cutSecrets(clean(text), secrets) });
  const request: ExchangeRequest | undefined = exchange.request && {
    method: exchange.request.method,
    url: clean(exchange.request.url),
    headers: headers(exchange.request.headers),
    ...body(exchange.request.body),
  };
  const response: ExchangeResponse | undefined = exchange.response && {
    ...(exchange.response.status === undefined ? {} : { status: exchange.response.status }),
    headers: headers(exchange.response.headers),
    ...body(exchange.response.body),
  };
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

const CUT = /\n\[… \d+ more bytes not shown\]$/;
/** The shortest start of a secret that is still worth hiding at a cut. */
const MIN_PARTIAL = 4;

/**
 * A body cut at 4 KB may end with the first characters of a secret whose rest was cut off, which
 * `scrub` cannot recognise: hide that start too.
 */
function cutSecrets(body: string, secrets: readonly string[]): string {
  const marker = CUT.exec(body);
  if (!marker) return body;
  const kept = body.slice(0, marker.index);
  for (const secret of secrets) {
    for (let length = Math.min(secret.length - 1, kept.length); length >= MIN_PARTIAL; length--) {
      if (kept.endsWith(secret.slice(0, length)))
        return `${kept.slice(0, kept.length - length)}[redacted]${body.slice(marker.index)}`;
    }
  }
  return body;
}
