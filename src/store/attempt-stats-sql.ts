import type { AttemptStatsRow } from './store.ts';

/**
 * Upper bounds (ms) of the latency classes attempts are counted in for the console's charts:
 * about 1.5× apart, so a percentile read from them is within that factor; the last is open.
 */
export const LATENCY_CLASSES_MS: readonly number[] = [
  1,
  2,
  3,
  5,
  7,
  10,
  15,
  20,
  30,
  50,
  70,
  100,
  150,
  200,
  300,
  500,
  700,
  1_000,
  1_500,
  2_000,
  3_000,
  5_000,
  7_000,
  10_000,
  15_000,
  20_000,
  30_000,
  60_000,
  Number.POSITIVE_INFINITY,
];

/**
 * The query of Store.attemptStats, shared by the SQL adapters: attempts since a time, counted per
 * connector, time bucket, outcome and latency class (an index into LATENCY_CLASSES_MS). The class
 * bounds are constants written into the text; `since` and the bucket width are parameters.
 */
export function attemptStatsSql(since: string, bucketMs: string): string {
  const bounded = LATENCY_CLASSES_MS.slice(0, -1);
  const latencyClass = `CASE ${bounded.map((bound, i) => `WHEN a.duration_ms <= ${bound} THEN ${i}`).join(' ')} ELSE ${bounded.length} END`;
  return `SELECT d.connector AS connector, CAST((a.started_at - ${since}) / ${bucketMs} AS INTEGER) AS bucket, a.outcome AS outcome,
      ${latencyClass} AS latency_class, COUNT(*) AS n
    FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
    WHERE a.started_at >= ${since}
    GROUP BY 1, 2, 3, 4`;
}

export function statsRow(row: {
  connector: string;
  bucket: number | string;
  outcome: string;
  latency_class: number | string;
  n: number | string;
}): AttemptStatsRow {
  return {
    connector: row.connector,
    bucket: Number(row.bucket),
    outcome: row.outcome as AttemptStatsRow['outcome'],
    latencyClass: Number(row.latency_class),
    count: Number(row.n),
  };
}
