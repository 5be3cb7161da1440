import type Koa from 'koa';
import type { Ingest } from '../ingest/ingest.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { StoreUnavailableError } from '../domain/errors.ts';
import { secretMatches } from './auth.ts';
import { readBody } from './body.ts';
import { HttpProblem } from './problem.ts';
import { requestFields } from './request-id.ts';

/**
 * `log.access`: an info line per accepted webhook; true (the default) logs each, false none, a
 * fraction in (0, 1) that share of them, picked at random. Rejections are always logged.
 */
export type AccessLog = boolean | number;

export interface WebhookSettings {
  readonly secret: string;
  readonly bodyLimit: number;
  /** server.requestTimeout: the body must arrive within it (a little less, see below). */
  readonly requestTimeout?: number;
}

/** Answer a slow body this long before Node's own request timeout would cut the socket without a word. */
const BODY_DEADLINE_MARGIN_MS = 500;

/**
 * POST handler for Wassenger webhooks: authenticate (before reading the body), check the content
 * type, read the body within its limit, validate and store durably; answer 200 only after the
 * write is durable, 503 when the store cannot write, so Wassenger retries.
 */
export function webhookHandler(deps: {
  settings: () => WebhookSettings;
  ingest: Ingest;
  log: Logger;
  metrics: Metrics;
  accessLog?: () => AccessLog;
}) {
  return async function receiveWebhook(ctx: Koa.Context): Promise<void> {
    const started = process.hrtime.bigint();
    const settings = deps.settings();
    const presented = firstOf(ctx.query.key) ?? firstOf(ctx.get('x-webhook-secret') || undefined);
    if (!secretMatches(presented, settings.secret)) {
      throw new HttpProblem(401, 'unauthorized', 'missing or wrong webhook secret (?key=… or X-Webhook-Secret header)');
    }
    if (!ctx.request.is('json')) {
      const type = ctx.get('content-type') || 'none';
      throw new HttpProblem(415, 'unsupported_media_type', `Content-Type must be application/json (got ${type})`);
    }
    const timeout = settings.requestTimeout
      ? Math.max(settings.requestTimeout - BODY_DEADLINE_MARGIN_MS, settings.requestTimeout / 2)
      : undefined;
    const body = await readBody(ctx.req, settings.bodyLimit, timeout);
    let result;
    try {
      result = await deps.ingest(body, new Date());
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        deps.log.error({ err: error }, 'Store unavailable; answering 503 so the webhook is retried.');
        throw new HttpProblem(503, 'store_unavailable', 'the event store cannot write right now; retry later');
      }
      throw error;
    }
    if (!result.ok) throw new HttpProblem(400, result.problem.error, result.problem.message, result.problem.issues);
    deps.metrics.webhooks.inc({ result: result.accepted > 0 ? 'accepted' : 'duplicate' });
    countEvents(deps.metrics, result);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.ingestSeconds.observe(seconds);
    deps.log.debug(
      { eventIds: result.eventIds, accepted: result.accepted, duplicates: result.duplicates, ...requestFields(ctx) },
      'Webhook stored.',
    );
    if (sampled(deps.accessLog?.() ?? true)) {
      deps.log.info(
        {
          status: 200,
          items: result.eventIds.length,
          accepted: result.accepted,
          duplicates: result.duplicates,
          events: [...new Set(result.eventTypes)],
          durationMs: Math.round(seconds * 10_000) / 10,
          ...requestFields(ctx),
        },
        'Webhook accepted.',
      );
    }
    ctx.status = 200;
    ctx.body = { ok: true, accepted: result.accepted, duplicates: result.duplicates };
  };
}

function sampled(setting: AccessLog): boolean {
  if (typeof setting === 'boolean') return setting;
  return setting >= 1 || (setting > 0 && Math.random() < setting);
}

/**
 * The line of a refused webhook: why (the status, the error code, the reason and the paths of
 * the payload's problems) and from where (client address, request id). The reason of a JSON
 * syntax error is left out: Node quotes the body in it, and bodies are logged only at debug.
 */
export function logRejected(log: Logger, ctx: Koa.Context, problem: HttpProblem): void {
  log.info(
    {
      status: problem.status,
      error: problem.code,
      reason: problem.code === 'invalid_json' ? 'the body is not valid JSON' : problem.message,
      ...(problem.issues ? { issues: problem.issues.map((issue) => issue.path || '(root)') } : {}),
      ...requestFields(ctx),
    },
    'Webhook rejected.',
  );
}

/**
 * Count events by outcome and type. The store says how many of a webhook's events were duplicates,
 * not which: a batch with both kinds (rare) is counted with an empty event type.
 */
function countEvents(
  metrics: Metrics,
  result: { accepted: number; duplicates: number; eventTypes: readonly string[] },
): void {
  if (result.accepted > 0 && result.duplicates > 0) {
    metrics.events.inc({ outcome: 'accepted', event: '' }, result.accepted);
    metrics.events.inc({ outcome: 'duplicate', event: '' }, result.duplicates);
    return;
  }
  const outcome = result.accepted > 0 ? 'accepted' : 'duplicate';
  for (const event of result.eventTypes) metrics.events.inc({ outcome, event });
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
