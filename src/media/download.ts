import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseRetryAfter } from '../sdk/http.ts';

/** Why a file can never be had: the values of `message.media.error`. */
export type MediaError = 'expired' | 'too_large' | 'unavailable';

export type DownloadResult =
  | { readonly ok: true; readonly size: number; readonly mime: string | undefined }
  | { readonly ok: false; readonly permanent: MediaError; readonly reason: string }
  | { readonly ok: false; readonly permanent?: undefined; readonly reason: string; readonly retryAfterMs?: number };

export interface DownloadRequest {
  /** `{apiUrl}{media.download}`. */
  readonly url: string;
  readonly token: string;
  readonly maxBytes: number;
  /** Where to stream the bytes (removed again unless the download succeeds). */
  readonly toPath: string;
  readonly signal?: AbortSignal;
}

const MAX_SAME_HOST_REDIRECTS = 3;

class TooLarge extends Error {}

/**
 * Download one Wassenger file to `toPath`, streaming, and classify what went wrong: 404 and 410
 * (the file expired on Wassenger's side), a body past `maxBytes` and a redirect to another host
 * are permanent; 429 (with its Retry-After), 5xx, 401/403 (a token being fixed) and network
 * errors are transient. The token goes to the API's own host only.
 */
export async function download(request: DownloadRequest): Promise<DownloadResult> {
  try {
    return await attempt(request);
  } catch (error) {
    await rm(request.toPath, { force: true });
    if (error instanceof TooLarge)
      return {
        ok: false,
        permanent: 'too_large',
        reason: `the file is larger than media.maxBytes (${request.maxBytes} bytes)`,
      };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error).message;
    return { ok: false, reason: `download failed: ${detail}` };
  }
}

async function attempt(request: DownloadRequest): Promise<DownloadResult> {
  const origin = new URL(request.url).origin;
  let url = request.url;
  for (let hop = 0; ; hop++) {
    const response = await fetch(url, {
      headers: { token: request.token, 'user-agent': 'wa-router' },
      redirect: 'manual',
      signal: request.signal ?? null,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      const next = location ? new URL(location, url) : undefined;
      if (!next || next.origin !== origin || hop >= MAX_SAME_HOST_REDIRECTS)
        return {
          ok: false,
          permanent: 'unavailable',
          reason: `Wassenger answered HTTP ${response.status} redirecting ${next && next.origin !== origin ? 'to another host' : 'too often'}; media downloads follow no redirect to another host`,
        };
      url = next.href;
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return classifyStatus(response);
    }
    const announced = Number(response.headers.get('content-length'));
    if (Number.isFinite(announced) && announced > request.maxBytes) {
      await response.body?.cancel();
      throw new TooLarge();
    }
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(size > request.maxBytes ? new TooLarge() : null, chunk);
      },
    });
    if (!response.body) throw new Error('empty response body');
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      limit,
      createWriteStream(request.toPath),
    );
    return { ok: true, size, mime: response.headers.get('content-type') ?? undefined };
  }
}

function classifyStatus(response: Response): DownloadResult {
  const { status } = response;
  if (status === 404 || status === 410)
    return { ok: false, permanent: 'expired', reason: `Wassenger answered HTTP ${status}: the file is gone (expired)` };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
    return {
      ok: false,
      reason: `Wassenger answered HTTP ${status}${status === 429 ? ' (rate limited)' : ''}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (status === 401 || status === 403)
    return { ok: false, reason: `Wassenger refused the download (HTTP ${status}): check media.token` };
  return { ok: false, permanent: 'unavailable', reason: `Wassenger answered HTTP ${status}` };
}
