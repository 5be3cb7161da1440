import { duration } from '../config/units.ts';

/** What --since and --until accept, for the message when a value is not one of them. */
export const TIME_FORMS =
  'an ISO date or time (2026-11-25, 2026-11-25T10:00:00Z) or a duration back from now (90m, 2h, 3d)';

/**
 * A point in time written as an ISO date/time or as a duration back from `now` ("2h", "3d").
 * A bare number is neither (milliseconds? a year?): undefined.
 */
export function parseTime(value: string, now = Date.now()): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return undefined;
  const relative = duration.safeParse(text);
  if (relative.success) return now - relative.data;
  // Only ISO-looking text: Date.parse also takes "Tuesday 5" and other guesses.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const absolute = Date.parse(text);
  return Number.isNaN(absolute) ? undefined : absolute;
}
