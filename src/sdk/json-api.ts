/**
 * A small client for JSON REST APIs (CRMs, Wassenger): one request under a base URL, its answer
 * parsed, and the usual mapping of failures to outcomes. For connectors whose service has no
 * client library worth its weight.
 */
import { type ExchangeInput, withExchange } from './exchange.ts';
import { classifyHttpStatus, classifyNetworkError, parseRetryAfter } from './http.ts';
import { httpRequest } from './http-request.ts';
import { failed, retry, type Outcome } from './outcome.ts';
import { checkedUrl } from './safe-request.ts';

/**
 * A step of a delivery that calls an API: it either continues with a value (`continueWith`) or
 * ends the delivery with an outcome (`endWith`).
 */
export type ApiResult<T> =
  | { readonly ok: true; readonly value: T }
  /** `maybeApplied`: the service may have done it anyway (no answer, or a 5xx); false when it surely did not. */
  | { readonly ok: false; readonly outcome: Outcome; readonly maybeApplied: boolean };

/** The step succeeded: go on with `value`. */
export const continueWith = <T>(value: T): ApiResult<T> => ({ ok: true, value });

/**
 * The delivery ends here with `outcome` (usually `retry` or `failed`). `maybeApplied`: whether the
 * service may have acted anyway (default true), so a later attempt looks before doing it again.
 */
export const endWith = (outcome: Outcome, maybeApplied = true): ApiResult<never> => ({
  ok: false,
  outcome,
  maybeApplied,
});

/** @deprecated Renamed `ApiResult`; this name goes in the next release. */
export type Result<T> = ApiResult<T>;
/** @deprecated Renamed `continueWith`; this name goes in the next release. */
export const ok = continueWith;
/** @deprecated Renamed `endWith` (it ends the delivery; it stops nothing); this name goes in the next release. */
export const stop = endWith;

export interface ApiClient {
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Names the service in reasons ("HubSpot", "Wassenger"). */
  readonly service: string;
  /**
   * Told of each request `apiRequest` makes, once it ended (answered or not), with its raw exchange:
   * e.g. keep the last one of a delivery and attach it to its outcome with `withExchange`.
   */
  readonly onExchange?: ((exchange: ExchangeInput) => void) | undefined;
}

export interface ApiResponse {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The request and this answer, raw (see `HttpResponse.exchange`); `errorOutcome` attaches it. */
  readonly exchange?: ExchangeInput | undefined;
}

/** Network errors after which the request certainly did not reach the server. */
const NOT_SENT = new Set([
  'ERR_UNSAFE_REQUEST',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const MAX_DETAIL = 300;

/**
 * One JSON request to a path under the client's base URL. Resolves with any HTTP answer; a request
 * that got no answer ends the delivery (`retry`), with `maybeApplied: false` when it surely never left.
 * A path with a `.` or `..` segment (an id from the event, even percent-encoded, can be `..`) is
 * refused (`failed`, never sent): the request would go elsewhere under the service, with its token.
 */
export async function apiRequest(
  client: ApiClient,
  method: string,
  path: string,
  body: unknown,
  signal: AbortSignal,
): Promise<ApiResult<ApiResponse>> {
  let url: string;
  try {
    url = checkedUrl(client.baseUrl + path, { origin: new URL(client.baseUrl).origin });
  } catch (error) {
    return endWith(failed(`${client.service}: ${(error as Error).message}`), false);
  }
  const headers = {
    ...client.headers,
    accept: 'application/json',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const text = body === undefined ? undefined : JSON.stringify(body);
  let response;
  try {
    response = await httpRequest(url, { method, headers, body: text, signal, maxResponseBytes: 256 * 1024 });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const sent = { request: { method, url, headers, body: text } };
    client.onExchange?.(sent);
    return endWith(withExchange(classifyNetworkError(error), sent), !(code !== undefined && NOT_SENT.has(code)));
  }
  if (response.exchange) client.onExchange?.(response.exchange);
  let json: unknown;
  try {
    json = response.body === '' ? undefined : JSON.parse(response.body);
  } catch {
    json = undefined;
  }
  return continueWith({
    status: response.status,
    json,
    text: response.body,
    headers: response.headers,
    exchange: response.exchange,
  });
}

/** The service's error message (`message`, plus `category` / `errorCode` / `policyName`), short, for reasons. */
export function detailOf(response: ApiResponse): string {
  const json = response.json as
    | { message?: unknown; category?: unknown; errorCode?: unknown; policyName?: unknown }
    | undefined;
  const label = [json?.category, json?.errorCode, json?.policyName].find((v) => typeof v === 'string');
  const message = typeof json?.message === 'string' ? json.message : response.text;
  const text = `${label ? `${String(label)}: ` : ''}${message}`.replace(/\s+/g, ' ').trim();
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/**
 * The outcome of a non-2xx answer: 401/403 name the credential problem; 429 retries after Retry-After; 408/425/5xx retry; other 4xx fail.
 * `what` says which call it was ("creating the note"). The response's exchange is attached (`withExchange`).
 */
export function errorOutcome(client: ApiClient, response: ApiResponse, what: string): Outcome {
  return withExchange(classifyAnswer(client, response, what), response.exchange);
}

function classifyAnswer(client: ApiClient, response: ApiResponse, what: string): Outcome {
  const detail = detailOf(response);
  if (response.status === 401)
    return failed(`${client.service} rejected the API token while ${what} (HTTP 401 ${detail})`);
  if (response.status === 403)
    return failed(`${client.service} refused ${what} (HTTP 403 ${detail}): check the token's scopes`);
  if (response.status === 429) {
    return retry(
      `${client.service} rate limit while ${what} (HTTP 429 ${detail})`,
      parseRetryAfter(headerOf(response, 'retry-after')) ?? 10_000,
    );
  }
  const outcome = classifyHttpStatus(response.status, response.headers, detail);
  return 'reason' in outcome
    ? { ...outcome, reason: `${client.service}: ${what}: ${outcome.reason}` }
    : failed(`${client.service}: ${what}: unexpected HTTP ${response.status}`);
}

/** @deprecated Renamed `apiRequest`; this name goes in the next release. */
export const request = apiRequest;
/** @deprecated Renamed `errorOutcome` (it sits beside the `failed()` outcome and was easy to confuse); this name goes in the next release. */
export const failure = errorOutcome;

function headerOf(response: ApiResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
