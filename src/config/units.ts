import { z } from 'zod';
import { duration as durationField } from '../sdk/units.ts';

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;
const SIZE_BYTES = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;

/** A duration: milliseconds (number) or with a unit: "500ms", "30s", "5m", "2h", "7d" (see the SDK's `duration`). */
export const duration = durationField();

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
