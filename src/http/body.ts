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
