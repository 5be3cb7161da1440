import { LATENCY_CLASSES_MS } from '../store/attempt-stats-sql.ts';
import type { AttemptStatsRow } from '../store/store.ts';
import type { RecentAttempts } from './health.ts';

/** The console's charts cover the last hour in 5-minute buckets; "recent" is the last 5 minutes. */
export const STATS_WINDOW_MS = 3_600_000;
export const STATS_BUCKET_MS = 300_000;
const BUCKETS = STATS_WINDOW_MS / STATS_BUCKET_MS;

export interface Bucket {
  readonly start: string;
  readonly attempts: number;
  readonly succeeded: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

export interface HourStats {
  readonly bucketSeconds: number;
  readonly buckets: Bucket[];
  readonly attempts: number;
  /** Delivered or skipped, over all attempts (a retry or a failure counts against it); null: no attempt. */
  readonly successRate: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

const succeeded = (outcome: string) => outcome === 'delivered' || outcome === 'skipped';

/** Rows of attemptStats grouped by connector. */
export function byConnector(rows: readonly AttemptStatsRow[]): Map<string, AttemptStatsRow[]> {
  const out = new Map<string, AttemptStatsRow[]>();
  for (const row of rows) {
    // An attempt stamped a moment after `now` lands past the last bucket: count it in the last one.
    const clamped = { ...row, bucket: Math.min(row.bucket, BUCKETS - 1) };
    const list = out.get(row.connector);
    if (list) list.push(clamped);
    else out.set(row.connector, [clamped]);
  }
  return out;
}

/** One connector's hour (buckets from `since`) and its last bucket's attempts (the "failing" state). */
export function statsOf(own: readonly AttemptStatsRow[], since: number): { hour: HourStats; recent: RecentAttempts } {
  const buckets = Array.from({ length: BUCKETS }, (_, i) =>
    bucket(
      own.filter((row) => row.bucket === i),
      since + i * STATS_BUCKET_MS,
    ),
  );
  const last = own.filter((row) => row.bucket === BUCKETS - 1);
  return {
    hour: { bucketSeconds: STATS_BUCKET_MS / 1000, buckets, ...summary(own) },
    recent: {
      windowSeconds: STATS_BUCKET_MS / 1000,
      attempts: count(last),
      failed: count(last.filter((row) => !succeeded(row.outcome))),
    },
  };
}

function bucket(rows: readonly AttemptStatsRow[], start: number): Bucket {
  const { attempts, p50Ms, p95Ms } = summary(rows);
  return {
    start: new Date(start).toISOString(),
    attempts,
    succeeded: count(rows.filter((row) => succeeded(row.outcome))),
    p50Ms,
    p95Ms,
  };
}

function summary(rows: readonly AttemptStatsRow[]): Omit<HourStats, 'bucketSeconds' | 'buckets'> {
  const attempts = count(rows);
  const ok = count(rows.filter((row) => succeeded(row.outcome)));
  return {
    attempts,
    successRate: attempts === 0 ? null : ok / attempts,
    p50Ms: percentile(rows, 0.5),
    p95Ms: percentile(rows, 0.95),
  };
}

const count = (rows: readonly AttemptStatsRow[]) => rows.reduce((sum, row) => sum + row.count, 0);

/**
 * The percentile from latency classes, interpolated within its class as Prometheus'
 * histogram_quantile does (so within the classes' 1.5× spacing); the open last class reads as its floor.
 */
export function percentile(rows: readonly AttemptStatsRow[], q: number): number | null {
  const perClass = new Array<number>(LATENCY_CLASSES_MS.length).fill(0);
  for (const row of rows) perClass[row.latencyClass] = (perClass[row.latencyClass] ?? 0) + row.count;
  const total = perClass.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < perClass.length; i++) {
    const n = perClass[i]!;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_CLASSES_MS[i - 1]!;
      const upper = LATENCY_CLASSES_MS[i]!;
      if (!Number.isFinite(upper)) return lower;
      return Math.round(lower + (upper - lower) * ((rank - seen) / n));
    }
    seen += n;
  }
  return null;
}
