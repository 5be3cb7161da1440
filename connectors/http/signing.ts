import { createHmac } from 'node:crypto';
import { z } from '../../src/sdk/index.ts';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the receiver checks that a
 * request comes from this router and was not replayed later. A `whsec_` + base64 secret is decoded
 * to its key, as the official libraries do, so any of them verifies it.
 */
/** `whsec_` + base64, as the Standard Webhooks libraries expect. */
const WHSEC = /^whsec_[A-Za-z0-9+/]{22,}={0,2}$/;

export const SigningSchema = z
  .object({
    secret: z
      .string()
      .min(
        16,
        'secret must be at least 16 characters (whsec_ followed by base64, e.g. whsec_$(openssl rand -base64 32))',
      )
      .refine((secret) => !secret.startsWith('whsec_') || WHSEC.test(secret), {
        message: 'a secret starting with whsec_ must continue with base64 of at least 16 bytes',
      })
      .describe(
        'Signing secret, from ${VAR}: whsec_<base64> (the key is the decoded part, as Standard Webhooks libraries expect); any other value is used as is. Never logged.',
      ),
  })
  .strict()
  .describe('Sign each request the Standard Webhooks way: webhook-id, webhook-timestamp, webhook-signature.');

export type Signing = z.output<typeof SigningSchema>;

/**
 * The three headers of a signed request. `id` is the delivery's idempotency key, so a retry keeps
 * its id (receivers deduplicate on it); the timestamp is the time of this attempt, in seconds.
 */
export function signatureHeaders(
  signing: Signing,
  id: string,
  body: string,
  now: number = Date.now(),
): Record<string, string> {
  const key = signing.secret.startsWith('whsec_')
    ? Buffer.from(signing.secret.slice('whsec_'.length), 'base64')
    : Buffer.from(signing.secret, 'utf8');
  const timestamp = String(Math.floor(now / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
