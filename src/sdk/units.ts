import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Bounds of a {@link duration} field, in milliseconds. */
export interface DurationBounds {
  /** Smallest value accepted (default 0). */
  readonly min?: number;
  /** Largest value accepted (default none). */
  readonly max?: number;
}

/**
 * Config field holding a duration: milliseconds as a number (`30000`) or text with a unit
 * (`"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"7d"`). Parses to whole milliseconds, so every duration in a
 * config is written the same way, whatever its key is called (`timeoutMs: 10s` is fine).
 *
 * @example
 * ```ts
 * const config = z.object({ cooldownMs: duration({ min: 1 }).default(60_000) });
 * ```
 */
export function duration(bounds: DurationBounds = {}) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = toMilliseconds(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like 30000 (ms), "30s", "5m" or "7d" (got "${value}")`,
      });
      return z.NEVER;
    }
    const min = bounds.min ?? 0;
    if (ms < min || (bounds.max !== undefined && ms > bounds.max)) {
      const range = bounds.max === undefined ? `at least ${spelled(min)}` : `${spelled(min)} to ${spelled(bounds.max)}`;
      ctx.addIssue({ code: 'custom', message: `must be ${range} (got ${JSON.stringify(value)})` });
      return z.NEVER;
    }
    return ms;
  });
}

function toMilliseconds(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  return Math.round(Number(match[1]) * DURATION_MS[match[2] as keyof typeof DURATION_MS]);
}

function spelled(ms: number): string {
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000}s (${ms} ms)`;
  return `${ms} ms`;
}
