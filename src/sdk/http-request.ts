import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, request } from 'undici';
import type { ExchangeInput } from './exchange.ts';
import { checkHeaders } from './safe-request.ts';

/** A response read by `httpRequest`: status, headers and (the start of) the body. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as text, cut at `maxResponseBytes`. */
  readonly body: string;
  /**
   * The request as sent and this response, raw (secrets included): hand it to `withExchange` with
   * the outcome it decides, which masks and cuts it for the event's timeline. Set by `httpRequest`.
   */
  readonly exchange?: ExchangeInput | undefined;
}

export interface HttpRequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** Aborts the request (the dispatcher's deadline). */
  readonly signal?: AbortSignal;
  /** Read at most this much of the response body (default 64 KiB); the rest is discarded. */
  readonly maxResponseBytes?: number;
}

// One keep-alive pool per origin, shared by every connector of the process: a delivery reuses a
// warm connection. undici rather than node:http: `npm run bench:http-client` measured 0.61× the
// CPU per request of node:http's keep-alive Agent (74 against 123 µs) and 1.5× the requests per
// second, same sink, 32 at a time; global fetch (undici behind a WHATWG layer) cost 3.6×. As many
// connections are kept as may be busy (64 per origin): with fewer, requests past that number
// closed their socket and the next opened a new one (TLS included).
const CONNECTIONS_PER_ORIGIN = 64;
const dispatcher = new Agent({ connections: CONNECTIONS_PER_ORIGIN });

/**
 * One HTTP(S) request with keep-alive (undici), for connectors that post JSON. Redirects are not
 * followed. Rejects on network errors (with a `code`, e.g. ECONNREFUSED, UND_ERR_SOCKET), on abort
 * (the signal's reason, e.g. a `TimeoutError`), and before sending anything with an
 * `UnsafeRequestError` naming a header whose value HTTP cannot carry.
 */
export async function httpRequest(url: string, init: HttpRequestInit = {}): Promise<HttpResponse> {
  checkHeaders(init.headers ?? {});
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`unsupported protocol ${target.protocol}`);
  const limit = init.maxResponseBytes ?? 64 * 1024;
  const method = init.method ?? 'POST';
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  moveUserinfoToAuthorization(target, headers);
  const response = await request(target, {
    method: method as Dispatcher.HttpMethod,
    headers,
    body: init.body,
    dispatcher,
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end (the rest discarded) so the connection goes back to the pool.
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk.subarray(0, limit - size));
    size += chunk.length;
  }
  const bytes = Buffer.concat(chunks);
  const status = response.statusCode;
  const responseHeaders = response.headers as IncomingHttpHeaders;
  return {
    status,
    headers: responseHeaders,
    body: bytes.toString('utf8'),
    // References only: the capture is made from them if the attempt is recorded.
    exchange: {
      request: { method, url, headers, body: init.body },
      response: { status, headers: responseHeaders, body: bytes, size },
    },
  };
}

/**
 * `https://user:pass@host/…` means Basic auth, as node:http and curl read it; undici would drop the
 * userinfo silently, so it becomes the Authorization header here (unless one is set already).
 */
function moveUserinfoToAuthorization(target: URL, headers: Record<string, string>): void {
  if (target.username === '' && target.password === '') return;
  const set = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (!set) {
    const credentials = `${decoded(target.username)}:${decoded(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  target.username = '';
  target.password = '';
}

/** A userinfo part as written: percent-decoded, or as it is when it holds a stray `%`. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
