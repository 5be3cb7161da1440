import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
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

// Keep-alive pools shared by every connector of the process: a delivery reuses a warm connection.
// As many idle sockets are kept as may be busy: with fewer (it was 16), every request past that
// number closed its socket when it ended and the next one opened a new connection (TLS included),
// which at 32 requests in flight was most of them. Idle sockets close when the server ends them.
const MAX_SOCKETS = 64;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS }),
};

/**
 * One HTTP(S) request over node:http with keep-alive, for connectors that post JSON. Redirects are
 * not followed. Cheaper per call than `fetch`, which matters at thousands of deliveries a second.
 * Rejects on network errors (with Node's `code`, e.g. ECONNREFUSED), on abort (`AbortError`), and
 * before sending anything with an `UnsafeRequestError` naming a header whose value HTTP cannot carry.
 */
export function httpRequest(url: string, init: HttpRequestInit = {}): Promise<HttpResponse> {
  try {
    checkHeaders(init.headers ?? {});
  } catch (error) {
    return Promise.reject(error);
  }
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new Error(`unsupported protocol ${target.protocol}`));
  const limit = init.maxResponseBytes ?? 64 * 1024;
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const request = client.request(
      target,
      { method: init.method ?? 'POST', headers, agent, ...(init.signal ? { signal: init.signal } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk.subarray(0, limit - size));
          size += chunk.length;
        });
        response.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const status = response.statusCode ?? 0;
          resolve({
            status,
            headers: response.headers,
            body: bytes.toString('utf8'),
            // References only: the capture is made from them if the attempt is recorded.
            exchange: {
              request: { method: init.method ?? 'POST', url, headers, body: init.body },
              response: { status, headers: response.headers, body: bytes, size },
            },
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}
