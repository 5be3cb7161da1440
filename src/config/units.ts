import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;
const SIZE_BYTES = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;

/** A duration written as milliseconds (number) or with a unit: "500ms", "30s", "5m", "2h", "7d". */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = DURATION.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "30s", "5m" or "7d" (got "${value}")` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * DURATION_MS[match[2] as keyof typeof DURATION_MS]);
});

/** A size in bytes (number) or with a unit: "512kb", "1mb". */
export const size = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = SIZE.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "512kb" or "1mb" (got "${value}")` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * SIZE_BYTES[(match[2]?.toLowerCase() ?? 'b') as keyof typeof SIZE_BYTES]);
});
