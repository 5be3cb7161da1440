import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { HttpProblem } from './problem.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read a request body up to `limit` bytes and decode it as strict UTF-8. A declared or actual
 * size over the limit is 413 (the rest is not read into memory); compressed bodies are 415; a body
 * not received within `timeoutMs` is 408.
 */
export async function readBody(req: IncomingMessage, limit: number, timeoutMs?: number): Promise<string> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity')
    throw new HttpProblem(
      415,
      'unsupported_encoding',
      `Content-Encoding "${encoding}" is not accepted; send the JSON uncompressed`,
    );
  let bytes: Buffer;
  let timer: NodeJS.Timeout | undefined;
  try {
    const reading = getRawBody(req, { limit, length: req.headers['content-length'] });
    if (timeoutMs === undefined) {
      bytes = await reading;
    } else {
      // A client that dribbles its body gets a JSON 408 before Node's requestTimeout cuts the
      // socket with a bare one; the connection is then closed and the unread rest discarded.
      reading.catch(() => {});
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new HttpProblem(408, 'request_timeout', `the body was not received within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      bytes = await Promise.race([reading, deadline]);
    }
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large')
      throw new HttpProblem(413, 'body_too_large', `body is larger than the limit of ${limit} bytes`);
    if (type === 'request.size.invalid')
      throw new HttpProblem(400, 'incomplete_body', 'body length does not match Content-Length');
    if (type === 'request.aborted') throw new HttpProblem(400, 'request_aborted', 'the client aborted the request');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpProblem(400, 'invalid_utf8', 'body is not valid UTF-8');
  }
}

/**
 * Read and throw away the rest of a request body that will not be used, so that an answer sent
 * before the body was read reaches the client. Closing a connection with unread bytes in its
 * receive buffer makes the kernel send RST: a client still writing its body then gets EPIPE or
 * ECONNRESET instead of the 4xx, often with the answer itself discarded. Bounded: a declared or
 * actual body past `maxBytes`, or one not received within `timeoutMs`, is left unread (the
 * connection is then cut). Resolves true when the whole body was read.
 */
export function discardBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  if (req.destroyed || Number(req.headers['content-length']) > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (whole: boolean): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      resolve(whole);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onClose = (): void => finish(req.complete);
    const onError = (): void => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    req.on('data', onData).once('end', onEnd).once('close', onClose).once('error', onError);
    req.resume();
  });
}
