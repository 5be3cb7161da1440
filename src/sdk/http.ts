import type { Outcome } from './outcome.ts';
import { delivered, failed, retry, unreachable } from './outcome.ts';

/** Cap on an honoured Retry-After, so a hostile or broken server cannot park a delivery for days. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Parse a `Retry-After` header (seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

/** Headers as fetch's Headers or a plain record. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The usual outcome of an HTTP response: 2xx delivered (ref = status); 408, 425, 429 and 5xx retry
 * (honouring Retry-After); any other status failed. `detail` is appended to the reason.
 */
export function classifyHttpStatus(status: number, headers: HeaderSource = {}, detail = ''): Outcome {
  const suffix = detail ? `: ${detail}` : '';
  if (status >= 200 && status < 300) return delivered(String(status));
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return retry(`HTTP ${status}${suffix}`, parseRetryAfter(header(headers, 'retry-after')));
  }
  return failed(`HTTP ${status}${suffix}`);
}

/**
 * Errors of a request that could not be built, so no retry can help: an UnsafeRequestError, and
 * Node's own refusals of a header or path (which name the header, not the value).
 */
const UNSENDABLE = new Set([
  'ERR_UNSAFE_REQUEST',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_UNESCAPED_CHARACTERS',
  'ERR_INVALID_URL',
  // undici's word for a request it refuses to build (a header name or value it cannot send).
  'UND_ERR_INVALID_ARG',
]);

/**
 * The outcome of a request that got no response. Connection refused or reset, DNS: `unreachable`, so
 * a destination that is down is probed as a whole rather than retried per delivery. A deadline that
 * passed: `retry` (one slow request says little about the destination). A request that could not
 * even be built (a header value with CR/LF, see `UNSENDABLE`) is `failed` at once, since every retry
 * would fail alike. The reason names the cause without echoing the URL (which may carry credentials).
 */
export function classifyNetworkError(error: unknown): Outcome {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return retry('request timed out');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (error as { code?: string }).code;
    if (code !== undefined && UNSENDABLE.has(code)) return failed(`the request cannot be sent: ${error.message}`);
    return unreachable(`network error${code ? ` ${code}` : ''}: ${cause?.message ?? error.message}`);
  }
  return unreachable(`network error: ${String(error)}`);
}
