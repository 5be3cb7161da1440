import { z } from 'zod';
import { HttpProblem } from '../../http/problem.ts';
import { scrub } from '../../observability/logger.ts';
import type { HandlerInput } from '../api.ts';
import { byConnector, STATS_WINDOW_MS, statsOf } from '../connector-stats.ts';
import { isFailing } from '../health.ts';
import { isoOrNull } from '../views.ts';

const THROUGHPUT_WINDOW_MS = 60_000;

export const connectorsQuery = z.strictObject({
  health: z.enum(['0', '1'], { error: '`health` is 0 (skip health checks) or 1' }).optional(),
  refresh: z.enum(['0', '1'], { error: '`refresh` is 1 (check health now) or 0' }).optional(),
});

/**
 * GET /connectors: per connector its state, queue, throughput, the last hour's success rate and
 * latency, and health. `state` is `failing` when most attempts of the last 5 minutes failed, so a
 * connector whose every delivery is refused is not shown as running well.
 */
export async function listConnectors({
  query,
  admin,
}: HandlerInput<z.output<typeof connectorsQuery>, unknown>): Promise<object> {
  const config = admin.config();
  const now = Date.now();
  const since = now - STATS_WINDOW_MS + 1;
  const [stats, counts, rows] = await Promise.all([
    admin.store.stats(),
    admin.store.attemptCounts(now - THROUGHPUT_WINDOW_MS),
    admin.store.attemptStats(since, 300_000),
  ]);
  const perConnector = byConnector(rows);
  const running = admin.dispatcher.connectors();
  const names = [...new Set([...config.connectors.keys(), ...Object.keys(stats.byConnector)])];
  const connectors = await Promise.all(
    names.map(async (name) => {
      const entry = running.get(name);
      const queue = stats.byConnector[name];
      const attempts = counts[name] ?? {};
      const oldest = queue?.oldestDueAt;
      const { hour, recent } = statsOf(perConnector.get(name) ?? [], since);
      const configured = config.connectors.has(name);
      const paused = entry?.worker.isPaused ?? false;
      return {
        name,
        type: config.connectors.get(name)?.type ?? null,
        configured,
        running: entry !== undefined,
        paused,
        state: !configured
          ? 'removed'
          : !entry
            ? 'not running'
            : paused
              ? 'paused'
              : isFailing(recent)
                ? 'failing'
                : 'running',
        inFlight: entry?.worker.active ?? 0,
        pending: queue?.pending ?? 0,
        dead: queue?.dead ?? 0,
        oldestDueAt: isoOrNull(oldest),
        oldestDueAgeSeconds: oldest === undefined ? null : Math.max(0, now - oldest) / 1000,
        throughput: {
          windowSeconds: THROUGHPUT_WINDOW_MS / 1000,
          delivered: attempts.delivered ?? 0,
          skipped: attempts.skipped ?? 0,
          retried: attempts.retry ?? 0,
          failed: attempts.failed ?? 0,
        },
        recent,
        hour,
        health:
          query.health !== '0' && entry
            ? await admin.health.check(entry.connector, recent, query.refresh === '1', (text) =>
                scrub(text, config.secrets),
              )
            : null,
      };
    }),
  );
  return { events: stats.events, unrouted: stats.unrouted, connectors };
}

/** POST /connectors/:name/pause and /resume. */
export const setPaused =
  (paused: boolean) =>
  async ({ params, admin }: HandlerInput<unknown, unknown>): Promise<object> => {
    const name = params.name!;
    const found = await admin.dispatcher.setPaused(name, paused);
    if (!found) throw new HttpProblem(404, 'connector_not_found', `no running connector named "${name}"`);
    admin.log.info(
      { connector: name, action: paused ? 'pause' : 'resume' },
      `Admin: connector ${paused ? 'paused' : 'resumed'}.`,
    );
    return { connector: name, paused };
  };
