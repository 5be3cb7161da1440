import { z } from 'zod';
import { duration, size } from '../config/units.ts';

/** The default download retry budget: an event is never held back longer than this for its file. */
export const DEFAULT_RETRY_BUDGET_MS = 10 * 60_000;

/** `media.s3`: keep the files in an S3-compatible bucket, readable by every router instance. */
export const MediaS3Schema = z
  .object({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Endpoint of an S3-compatible service (MinIO, R2, …); AWS when left out.'),
    bucket: z.string().min(3).max(63).describe('Bucket the files are kept in (it must exist).'),
    region: z.string().min(1).default('us-east-1').describe('Region of the bucket.'),
    accessKeyId: z.string().min(1).describe('Access key id, from ${VAR}.'),
    secretAccessKey: z.string().min(1).describe('Secret access key, from ${VAR}; never logged.'),
    forcePathStyle: z.boolean().default(false).describe('Address the bucket in the path (most S3-compatible servers).'),
    prefix: z.string().default('media/').describe('Key prefix of the files in the bucket.'),
  })
  .strict();

/** The `media:` section. Without it the router routes media messages as before and downloads nothing. */
export const MediaSchema = z
  .object({
    token: z.string().min(1).describe('Wassenger API key used to download files (write it as ${WASSENGER_TOKEN}).'),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.wassenger.com')
      .describe('Base URL of the Wassenger API (tests point it at a fake).'),
    dir: z
      .string()
      .min(1)
      .default('./data/media')
      .describe('Folder the files are kept in (relative to the working directory).'),
    maxBytes: size.default(16 * 1024 * 1024).describe('Larger files are not downloaded (media.error "too_large").'),
    keepDays: z.number().positive().default(30).describe('Files older than this many days are deleted.'),
    maxTotalBytes: size
      .optional()
      .describe('Disk budget of the stored files: past it, the oldest are deleted first (no limit when left out).'),
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Base of the links put in events (default: the server's own address)."),
    linkSecret: z
      .string()
      .min(16, 'media.linkSecret must be at least 16 characters (write it as ${WA_ROUTER_MEDIA_SECRET})')
      .describe('HMAC key that signs the media links.'),
    linkTtl: duration.prefault('7d').describe('How long a media link stays valid.'),
    retryBudget: duration
      .prefault('10m')
      .describe(
        'How long a file that fails to download is retried (since its first attempt) before the event goes out with media.error "unavailable".',
      ),
    s3: MediaS3Schema.optional().describe(
      'Keep the files in an S3-compatible bucket instead of `dir` (several instances).',
    ),
  })
  .strict();

export type MediaConfig = z.output<typeof MediaSchema>;
export type MediaS3Config = z.output<typeof MediaS3Schema>;
