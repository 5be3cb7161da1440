import { type ExchangeInput, parseRetryAfter } from '../../src/sdk/index.ts';

/**
 * Why a Slack call failed, as a plain value: the client (client.ts) turns what WebClient throws
 * into a `SlackFailure`, and the outcome mapping (outcomes.ts) reads it.
 */

/** The library's module, as loaded by the client. */
export type SlackLib = typeof import('@slack/web-api');

/** Why a Slack call did not succeed, independent of the client library's error classes. */
export type SlackFailure =
  /** `retryAfterMs` is undefined when the Retry-After header is missing or unreadable. */
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'http'; readonly status: number; readonly retryAfter?: string | undefined; readonly body: string }
  | { readonly kind: 'network'; readonly error: Error }
  | { readonly kind: 'platform'; readonly error: string; readonly needed?: string | undefined }
  /** HTTP 200 with a body that is not Slack's JSON (a proxy's page, a cut answer): Slack may have acted. */
  | { readonly kind: 'garbage'; readonly body: string }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'other'; readonly message: string };

/** A failed call: `failure` says why; `exchange` is the call's request and the answer, if one came. */
export class SlackCallError extends Error {
  override readonly name = 'SlackCallError';
  constructor(
    readonly failure: SlackFailure,
    readonly exchange?: ExchangeInput | undefined,
  ) {
    super(describeFailure(failure));
  }
}

export function describeFailure(failure: SlackFailure): string {
  switch (failure.kind) {
    case 'rate_limited':
      return failure.retryAfterMs === undefined
        ? 'rate limited (HTTP 429, no readable Retry-After)'
        : `rate limited (HTTP 429, Retry-After ${Math.round(failure.retryAfterMs / 1000)} s)`;
    case 'http':
      return `HTTP ${failure.status}${failure.body ? `: ${failure.body}` : ''}`;
    case 'network': {
      const cause = (failure.error as { cause?: { code?: string; message?: string } }).cause;
      return `network error${cause?.code ? ` ${cause.code}` : ''}: ${cause?.message ?? failure.error.message}`;
    }
    case 'platform':
      return failure.error;
    case 'garbage':
      return `HTTP 200 with a body that is not Slack's JSON${failure.body ? `: ${failure.body}` : ''}`;
    case 'aborted':
      return 'request aborted at the delivery deadline';
    case 'other':
      return failure.message;
  }
}

const MAX_BODY_DETAIL = 200;
/** Slack's error codes: anything else in `error` is a body WebClient could not parse. */
const ERROR_CODE = /^[a-z][a-z0-9_.]{0,80}$/;

/** A body cut short and put on one line, for reasons. */
function detail(text: string): string {
  return text
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim()
    .slice(0, MAX_BODY_DETAIL);
}

/** Map what WebClient throws to a SlackFailure. */
export function toFailure(lib: SlackLib, error: unknown): SlackFailure {
  const { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } = lib;
  // Only reached when the fetch hook saw no 429 (it reads Retry-After itself); kept bounded anyway.
  if (error instanceof WebAPIRateLimitedError)
    return { kind: 'rate_limited', retryAfterMs: parseRetryAfter(String(error.retryAfter)) };
  if (error instanceof WebAPIPlatformError) {
    // WebClient reports a body it cannot parse as JSON as `{ ok: false, error: <the body> }`.
    const code = error.data.error;
    if (typeof code !== 'string' || !ERROR_CODE.test(code))
      return { kind: 'garbage', body: detail(typeof code === 'string' ? code : '') };
    const needed = (error.data as { needed?: unknown }).needed;
    return { kind: 'platform', error: code, needed: typeof needed === 'string' ? needed : undefined };
  }
  if (error instanceof WebAPIHTTPError) {
    const body = typeof error.body === 'string' ? detail(error.body) : '';
    return { kind: 'http', status: error.statusCode, retryAfter: error.headers['retry-after'], body };
  }
  if (error instanceof WebAPIRequestError) {
    const original = error.original;
    if (original.name === 'AbortError' || original.name === 'TimeoutError') return { kind: 'aborted' };
    return { kind: 'network', error: original };
  }
  // e.g. an `ok: true` answer that is not an object (WebClient fails reading it).
  return { kind: 'other', message: detail(error instanceof Error ? error.message : String(error)) };
}
