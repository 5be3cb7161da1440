import type Router from '@koa/router';
import type Koa from 'koa';
import type { RouterConfig } from '../config/load.ts';
import { dryRun } from '../routing/preview.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import { readBody } from '../http/body.ts';
import { secretMatches } from '../http/auth.ts';
import { HttpProblem } from '../http/problem.ts';
import { rehydrate } from '../wassenger/rehydrate.ts';
import type { Logger } from '../observability/logger.ts';
import { scrub } from '../observability/logger.ts';
import type { Connector } from '../sdk/connector.ts';
import type { AttemptView, DeliveryStatus, DeliveryView } from '../domain/delivery.ts';
import type { EventSearch, StoreInspector, StoreReplay } from '../store/store.ts';

export const ADMIN_API = '/admin/api';
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
const THROUGHPUT_WINDOW_MS = 60_000;
const HEALTH_TIMEOUT_MS = 3_000;
const HEALTH_FRESH_MS = 15_000;
const STATUSES = ['pending', 'delivered', 'skipped', 'dead', 'unrouted', 'unmatched'] as const;

export interface AdminDeps {
  /** The admin token of the running config; empty: the admin API and the console are off (404). */
  readonly token: () => string;
  /** The admin API reads through the inspector, and acts only by replaying. */
  readonly store: StoreInspector & StoreReplay;
  readonly dispatcher: Dispatcher;
  readonly config: () => RouterConfig;
  readonly reload: () => Promise<boolean>;
  /** Events were marked unrouted: route them now rather than at the next poll. */
  readonly wakeRouting: () => void;
  readonly log: Logger;
}

/** 404 exactly like an unknown path when the admin API is off; 401 without the right bearer token. */
export function adminGuard(deps: Pick<AdminDeps, 'token'>, ctx: Koa.Context, requireToken: boolean): void {
  const expected = deps.token();
  if (expected === '') throw new HttpProblem(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
  if (!requireToken) return;
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!secretMatches(match?.[1], expected)) {
    ctx.set('WWW-Authenticate', 'Bearer realm="wa-router admin"');
    throw new HttpProblem(401, 'unauthorized', 'missing or wrong admin token (Authorization: Bearer …)');
  }
}

type Handler = (ctx: Koa.Context & { params: Record<string, string> }) => Promise<unknown>;

/** The admin API: JSON under /admin/api, every route behind the admin token. */
export function mountAdminApi(router: Router, deps: AdminDeps): void {
  const route = (method: 'get' | 'post', path: string, handler: Handler): void => {
    router[method](`${ADMIN_API}${path}`, async (ctx) => {
      adminGuard(deps, ctx, true);
      ctx.set('Cache-Control', 'no-store');
      const body = await handler(ctx as Koa.Context & { params: Record<string, string> });
      ctx.status = 200;
      ctx.body = { ok: true, ...(body as object) };
    });
  };
  const health = new HealthCache();

  route('get', '/events', async (ctx) => {
    const query = searchQuery(ctx.query);
    const page = await deps.store.searchEvents(query);
    return {
      events: page.events.map((event) => ({
        id: event.id,
        seq: event.seq,
        event: event.event,
        receivedAt: iso(event.receivedAt),
        routedAt: isoOrNull(event.routedAt),
        chatId: event.chatId ?? null,
        contactPhone: event.contactPhone ?? null,
        deliveries: event.deliveries,
      })),
      next: page.next === undefined ? null : String(page.next),
    };
  });

  route('get', '/events/:id', async (ctx) => {
    const stored = await deps.store.getEvent(ctx.params.id!);
    if (!stored) throw new HttpProblem(404, 'event_not_found', `no stored event with id "${ctx.params.id}"`);
    let normalized: unknown;
    let normalizeError: string | undefined;
    try {
      normalized = rehydrate(stored);
    } catch (error) {
      normalizeError = error instanceof Error ? error.message : String(error);
    }
    const deliveries = await deps.store.listDeliveries({ eventId: stored.id, limit: 1_000 });
    const attempts = await deps.store.attemptsOf(deliveries.map((delivery) => delivery.id));
    return {
      event: {
        id: stored.id,
        seq: stored.seq,
        event: stored.event,
        receivedAt: iso(stored.receivedAt),
        routedAt: isoOrNull(stored.routedAt),
        itemIndex: stored.itemIndex,
      },
      normalized: normalized ?? null,
      ...(normalizeError ? { normalizeError } : {}),
      raw: stored.body,
      deliveries: deliveries
        .sort((a, b) => a.connector.localeCompare(b.connector))
        .map((delivery) => ({
          ...deliveryJson(delivery),
          attemptLog: attempts.filter((attempt) => attempt.deliveryId === delivery.id).map(attemptJson),
        })),
    };
  });

  route('post', '/events/:id/replay', async (ctx) => {
    const id = ctx.params.id!;
    if (!(await deps.store.replayEvent(id)))
      throw new HttpProblem(404, 'event_not_found', `no stored event with id "${id}"`);
    deps.wakeRouting();
    deps.log.info({ eventId: id, action: 'replay_event' }, 'Admin: event replayed.');
    return { replayed: 1 };
  });

  route('get', '/dead-letters', async (ctx) => {
    const connector = optionalString(ctx.query.connector, 'connector');
    const limit = pageSize(ctx.query.limit, MAX_PAGE);
    const dead = await deps.store.listDeliveries({ status: 'dead', limit, ...(connector ? { connector } : {}) });
    return { deadLetters: dead.map(deliveryJson) };
  });

  route('post', '/dead-letters/replay', async (ctx) => {
    const body = await jsonBody(ctx, deps.config().server.bodyLimit);
    const { ids, connector, all } = (body ?? {}) as { ids?: unknown; connector?: unknown; all?: unknown };
    const given = [ids !== undefined, connector !== undefined, all !== undefined].filter(Boolean).length;
    if (given !== 1)
      throw new HttpProblem(
        400,
        'invalid_request',
        'give exactly one of `ids` (delivery ids), `connector` (all of its dead letters) or `all: true`',
      );
    let query: { ids?: string[]; connector?: string };
    if (ids !== undefined) {
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > 1_000 ||
        !ids.every((id) => typeof id === 'string' && /^\d{1,18}$/.test(id))
      ) {
        throw new HttpProblem(
          400,
          'invalid_request',
          '`ids` must be a list of 1 to 1000 delivery ids (strings of digits)',
        );
      }
      query = { ids: ids as string[] };
    } else if (connector !== undefined) {
      if (typeof connector !== 'string' || connector === '')
        throw new HttpProblem(400, 'invalid_request', '`connector` must be a connector name');
      query = { connector };
    } else {
      if (all !== true) throw new HttpProblem(400, 'invalid_request', '`all` must be true');
      query = {};
    }
    const replayed = await deps.store.replayDeadLetters(query, Date.now());
    deps.dispatcher.wake(query.connector ? [query.connector] : undefined);
    deps.log.info(
      {
        action: 'replay_dead_letters',
        replayed,
        ...(query.connector ? { connector: query.connector } : {}),
        ...(query.ids ? { ids: query.ids.length } : {}),
      },
      'Admin: dead letters replayed.',
    );
    return { replayed };
  });

  route('get', '/connectors', async (ctx) => {
    const config = deps.config();
    const now = Date.now();
    const [stats, counts] = await Promise.all([
      deps.store.stats(),
      deps.store.attemptCounts(now - THROUGHPUT_WINDOW_MS),
    ]);
    const running = deps.dispatcher.connectors();
    const withHealth = ctx.query.health !== '0';
    const refresh = ctx.query.refresh === '1';
    const names = [...new Set([...config.connectors.keys(), ...Object.keys(stats.byConnector)])];
    const connectors = await Promise.all(
      names.map(async (name) => {
        const instance = config.connectors.get(name);
        const entry = running.get(name);
        const queue = stats.byConnector[name];
        const attempts = counts[name] ?? {};
        const oldest = queue?.oldestDueAt;
        return {
          name,
          type: instance?.type ?? null,
          configured: instance !== undefined,
          running: entry !== undefined,
          paused: entry?.worker.isPaused ?? false,
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
          health:
            withHealth && entry
              ? await health.check(entry.connector, refresh, (text) => scrub(text, config.secrets))
              : null,
        };
      }),
    );
    return { events: stats.events, unrouted: stats.unrouted, connectors };
  });

  for (const action of ['pause', 'resume'] as const) {
    route('post', `/connectors/:name/${action}`, async (ctx) => {
      const name = ctx.params.name!;
      const found = await deps.dispatcher.setPaused(name, action === 'pause');
      if (!found) throw new HttpProblem(404, 'connector_not_found', `no running connector named "${name}"`);
      deps.log.info({ connector: name, action }, `Admin: connector ${action === 'pause' ? 'paused' : 'resumed'}.`);
      return { connector: name, paused: action === 'pause' };
    });
  }

  route('get', '/config', async () => {
    const config = deps.config();
    return { file: config.file, config: config.redacted };
  });

  route('post', '/config/reload', async () => {
    const reloaded = await deps.reload();
    deps.log.info({ action: 'reload', reloaded }, 'Admin: config reload asked.');
    if (!reloaded)
      throw new HttpProblem(
        422,
        'config_invalid',
        'the config file does not validate; the running config is kept (its problems are in the log, or run `wa-router validate`)',
      );
    const config = deps.config();
    return { reloaded: true, connectors: [...config.connectors.keys()], routes: config.routes.map((r) => r.name) };
  });

  route('post', '/route-test', async (ctx) => {
    const config = deps.config();
    const body = await jsonBody(ctx, config.server.bodyLimit);
    const result = await dryRun(config, body);
    if (!result.ok) throw new HttpProblem(400, 'invalid_payload', result.error, result.issues);
    // What a connector would send may carry `${VAR}` values (headers, tokens): scrub like `wa-router route`.
    return JSON.parse(scrub(JSON.stringify({ events: result.events }), config.secrets)) as object;
  });
}

/** Health of connector instances, checked at most every HEALTH_FRESH_MS (the console polls). */
class HealthCache {
  private readonly results = new WeakMap<Connector, { at: number; result: Promise<HealthJson> }>();

  check(connector: Connector, refresh: boolean, clean: (text: string) => string): Promise<HealthJson> {
    if (!connector.healthcheck) return Promise.resolve({ status: 'unchecked', checkedAt: null });
    const cached = this.results.get(connector);
    if (cached && !refresh && Date.now() - cached.at < HEALTH_FRESH_MS) return cached.result;
    const started = Date.now();
    const result = connector.healthcheck(AbortSignal.timeout(HEALTH_TIMEOUT_MS)).then(
      (): HealthJson => ({ status: 'ok', checkedAt: iso(started), durationMs: Date.now() - started }),
      (error: unknown): HealthJson => ({
        status: 'failing',
        checkedAt: iso(started),
        durationMs: Date.now() - started,
        error: clean(error instanceof Error ? error.message : String(error)),
      }),
    );
    this.results.set(connector, { at: started, result });
    return result;
  }
}

interface HealthJson {
  readonly status: 'ok' | 'failing' | 'unchecked';
  readonly checkedAt: string | null;
  readonly durationMs?: number;
  readonly error?: string;
}

function searchQuery(query: Koa.Context['query']): EventSearch {
  const status = optionalString(query.status, 'status');
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
    throw new HttpProblem(400, 'invalid_query', `status must be one of ${STATUSES.join(', ')}`);
  }
  const before = optionalString(query.before, 'before');
  if (before !== undefined && !/^\d{1,18}$/.test(before))
    throw new HttpProblem(400, 'invalid_query', '`before` must be the `next` cursor of a previous page');
  const fields: Record<string, unknown> = {
    event: optionalString(query.type, 'type'),
    chatId: optionalString(query.chat, 'chat'),
    contactPhone: optionalString(query.phone, 'phone'),
    text: optionalString(query.q, 'q'),
    since: time(query.since, 'since'),
    until: time(query.until, 'until'),
    status,
    connector: optionalString(query.connector, 'connector'),
    before: before === undefined ? undefined : Number(before),
    limit: pageSize(query.limit, MAX_PAGE),
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as unknown as EventSearch;
}

function optionalString(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new HttpProblem(400, 'invalid_query', `give \`${name}\` once`);
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function pageSize(value: string | string[] | undefined, max: number): number {
  const text = optionalString(value, 'limit');
  if (text === undefined) return DEFAULT_PAGE;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new HttpProblem(400, 'invalid_query', `limit must be a whole number from 1 to ${max}`);
  return n;
}

/** An ISO 8601 time, or epoch milliseconds. */
function time(value: string | string[] | undefined, name: string): number | undefined {
  const text = optionalString(value, name);
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new HttpProblem(
      400,
      'invalid_query',
      `\`${name}\` must be an ISO time (2026-01-31T10:00:00Z) or epoch milliseconds`,
    );
  return ms;
}

async function jsonBody(ctx: Koa.Context, limit: number): Promise<unknown> {
  if (!ctx.request.is('json'))
    throw new HttpProblem(415, 'unsupported_media_type', 'Content-Type must be application/json');
  const text = await readBody(ctx.req, limit);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpProblem(400, 'invalid_json', `body is not valid JSON: ${(error as Error).message}`);
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));

function deliveryJson(delivery: DeliveryView): Record<string, unknown> {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    event: delivery.event,
    receivedAt: iso(delivery.receivedAt),
    connector: delivery.connector,
    route: delivery.route,
    status: delivery.status satisfies DeliveryStatus,
    attempts: delivery.attempts,
    nextAt: delivery.status === 'pending' ? iso(delivery.nextAt) : null,
    lastError: delivery.lastError ?? null,
    ref: delivery.ref ?? null,
    updatedAt: iso(delivery.updatedAt),
  };
}

function attemptJson(attempt: AttemptView): Record<string, unknown> {
  return {
    attempt: attempt.attempt,
    startedAt: iso(attempt.startedAt),
    durationMs: attempt.durationMs,
    outcome: attempt.outcome,
    error: attempt.error ?? null,
    ref: attempt.ref ?? null,
  };
}
