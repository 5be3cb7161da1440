import type Router from '@koa/router';
import { HttpProblem } from '../http/problem.ts';
import { LruCache } from '../util/lru.ts';
import { checkLink } from './link.ts';
import { contentDisposition, isActiveType } from './naming.ts';
import type { MediaService } from './service.ts';

/** Per client address: a burst of this many requests, refilled at REFILL_PER_SEC. */
const BURST = 30;
const REFILL_PER_SEC = 10;

/** A token bucket per client address, for the media route (a link leaked to a crawler costs little). */
class ClientLimiter {
  private readonly buckets = new LruCache<string, { tokens: number; at: number }>(10_000);

  /** 0 when the request may go, else the milliseconds until it may. */
  take(client: string, now: number): number {
    const bucket = this.buckets.get(client) ?? { tokens: BURST, at: now };
    bucket.tokens = Math.min(BURST, bucket.tokens + ((now - bucket.at) / 1000) * REFILL_PER_SEC);
    bucket.at = now;
    this.buckets.set(client, bucket);
    if (bucket.tokens < 1) return Math.ceil(((1 - bucket.tokens) / REFILL_PER_SEC) * 1000);
    bucket.tokens -= 1;
    return 0;
  }
}

/**
 * `GET /media/<id>?e=…&s=…`: the bytes of a stored file, for whoever holds a valid link. A wrong
 * or expired signature is 403 (before any look at the store, so ids cannot be probed); an unknown
 * file 404. There is no listing. Types a browser would run are sent as attachments, never inline.
 */
export function mountMediaRoute(router: Router, media: MediaService, secret: () => string): void {
  const limiter = new ClientLimiter();
  router.get('/media/:id', async (ctx) => {
    const waitMs = limiter.take(ctx.ip, Date.now());
    if (waitMs > 0) {
      ctx.set('Retry-After', String(Math.ceil(waitMs / 1000)));
      throw new HttpProblem(429, 'rate_limited', 'too many media requests from this address; try again shortly');
    }
    const id = ctx.params.id ?? '';
    const check = checkLink(secret(), id, ctx.query.e, ctx.query.s, Date.now());
    if (check === 'expired') throw new HttpProblem(403, 'link_expired', 'this media link has expired');
    if (check !== 'ok') throw new HttpProblem(403, 'bad_signature', 'this media link is not valid (wrong signature)');
    const file = await media.storage.head(id);
    const stream = file && (await media.storage.open(id));
    if (!file || !stream) throw new HttpProblem(404, 'not_found', 'no such media file (it may have been deleted)');
    ctx.status = 200;
    ctx.type = file.mime;
    ctx.length = file.size;
    ctx.set('Content-Disposition', contentDisposition(file.filename, file.mime));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'private, max-age=3600');
    if (isActiveType(file.mime)) ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.body = stream;
  });
}
