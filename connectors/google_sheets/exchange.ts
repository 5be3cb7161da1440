/**
 * Each Sheets call as the attempt timeline shows it (docs/console.md). The client library does
 * the HTTP, so the request is rebuilt from what the call was given: the method, the URL the library
 * expands (root URL, path with the spreadsheet id and range, query), and the range and values as a
 * JSON body; the access token travels in the library's Authorization header and is never part of
 * it. The response is the HTTP status and the data the library read (Google's JSON, or its error
 * JSON); a call that got no answer (a network error, the deadline) has a request only. Raw:
 * `withExchange` masks and cuts it when the attempt is recorded.
 */
import type { ExchangeInput, RequestInput, ResponseInput } from '../../src/sdk/index.ts';

/** A call as the client makes it: `path` after the root URL, as in the API's discovery document. */
export interface SheetsCall {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** The arguments worth showing (range, values), sent as JSON. */
  readonly body?: unknown;
}

/** How url-template (the library's path expansion) encodes a path parameter. */
export function pathParam(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The request of a call, to the root URL the client was given. */
export function sheetsRequest(rootUrl: string, call: SheetsCall): RequestInput {
  const url = new URL(call.path, rootUrl);
  for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
  return {
    method: call.method,
    url: url.href,
    ...(call.body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(call.body) }),
  };
}

/** What the library read of an answer (a GaxiosResponse, or a GaxiosError's `response`). */
interface Answer {
  readonly status?: unknown;
  readonly headers?: unknown;
  readonly data?: unknown;
}

/** The response part of an answer: status, content type, the data as JSON (or as the text it was). */
export function sheetsResponse(answer: Answer): ResponseInput {
  const status = typeof answer.status === 'number' ? answer.status : undefined;
  const data = answer.data;
  const body = data === undefined || data === null ? undefined : typeof data === 'string' ? data : JSON.stringify(data);
  const type = contentType(answer.headers);
  return { status, ...(type ? { headers: { 'content-type': type } } : {}), ...(body === undefined ? {} : { body }) };
}

/** The exchange of a call that threw: with the answer when the library read one (a GaxiosError's). */
export function failedExchange(request: RequestInput, error: unknown): ExchangeInput {
  const answer = (error as { response?: Answer } | null)?.response;
  return answer && typeof answer === 'object' ? { request, response: sheetsResponse(answer) } : { request };
}

function contentType(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get('content-type') ?? undefined;
  const value = (headers as Record<string, unknown>)['content-type'];
  return typeof value === 'string' ? value : undefined;
}
