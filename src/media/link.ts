import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed media links (pure): `{base}/media/<id>?e=<expiry, epoch seconds>&s=<signature>`, where the
 * signature is HMAC-SHA256(linkSecret, "<id>.<expiry>") in base64url. The link never carries the
 * Wassenger token; whoever holds it may read that one file until it expires.
 */

export type LinkCheck = 'ok' | 'bad_signature' | 'expired';

function signature(secret: string, id: string, expires: number): string {
  return createHmac('sha256', secret).update(`${id}.${expires}`).digest('base64url');
}

/** The link to a stored file, valid until `expiresAt` (epoch ms, rounded up to a second). */
export function signLink(base: string, secret: string, id: string, expiresAt: number): string {
  const expires = Math.ceil(expiresAt / 1000);
  return `${base.replace(/\/+$/, '')}/media/${id}?e=${expires}&s=${signature(secret, id, expires)}`;
}

/** Check the `e` and `s` query values of a link to `id` at `now` (epoch ms), in constant time. */
export function checkLink(secret: string, id: string, e: unknown, s: unknown, now: number): LinkCheck {
  if (typeof e !== 'string' || typeof s !== 'string' || !/^\d{1,12}$/.test(e)) return 'bad_signature';
  const expected = Buffer.from(signature(secret, id, Number(e)));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return Number(e) * 1000 < now ? 'expired' : 'ok';
}
