/**
 * Each Slack call as the attempt timeline shows it (docs/console.md). WebClient does the HTTP, so
 * the request is rebuilt from what the call was given: `POST <apiUrl><method>` with the call's
 * arguments as a JSON body (never a `token`: the token travels in WebClient's Authorization header
 * only). The response is Slack's answer as WebClient read it: HTTP 200 with the JSON (`ok`, `ts`,
 * `channel`, or `error`), a 429 with its Retry-After, or another status with its body. A call that
 * got no answer (a network error, the deadline) has a request only. Bodies are written out only
 * when the capture is read (`withExchange` builds it for the attempts the dispatcher records).
 */
import type { ExchangeInput, RequestInput, ResponseInput } from '../../src/sdk/index.ts';
import type { SlackLib } from './failures.ts';

/** A lazily written JSON body: nothing is serialised unless the capture is read. */
function json<T extends object>(part: T, value: unknown): T & { readonly body: string } {
  return Object.defineProperty(part, 'body', { enumerable: true, get: () => JSON.stringify(value) }) as T & {
    readonly body: string;
  };
}

/** The request of a call of Web API `method` with `args`, the token left out. */
export function slackRequest(apiUrl: string, method: string, args: object): RequestInput {
  const { token: _token, ...shown } = args as Record<string, unknown>;
  const base = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
  return json({ method: 'POST', url: `${base}${method}` }, shown);
}

/** A call that succeeded: WebClient resolves only on HTTP 200 with `ok: true`. */
export function answered(request: RequestInput, result: unknown): ExchangeInput {
  return { request, response: json({ status: 200 }, result) };
}

/**
 * A call that failed: the answer WebClient read, if any. `rateLimited` is the Retry-After of a 429
 * as the client's fetch hook saw it (undefined when the answer was not a 429).
 */
export function refused(lib: SlackLib, request: RequestInput, error: unknown, rateLimited?: string): ExchangeInput {
  if (rateLimited !== undefined)
    return { request, response: { status: 429, headers: rateLimited ? { 'retry-after': rateLimited } : {} } };
  if (error instanceof lib.WebAPIPlatformError) return { request, response: json({ status: 200 }, error.data) };
  if (error instanceof lib.WebAPIHTTPError) {
    const response: ResponseInput = { status: error.statusCode, headers: error.headers };
    const body: unknown = error.body;
    if (body === undefined || body === null) return { request, response };
    return { request, response: typeof body === 'string' ? { ...response, body } : json(response, body) };
  }
  if (error instanceof lib.WebAPIRateLimitedError)
    return { request, response: { status: 429, headers: { 'retry-after': String(error.retryAfter) } } };
  return { request };
}
