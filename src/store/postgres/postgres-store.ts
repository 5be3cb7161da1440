import pg from 'pg';
import type {
  AttemptStatsRow,
  AppendResult,
  AttemptResult,
  AttemptView,
  ClaimRequest,
  ClaimedDelivery,
  DeliveryQuery,
  DeliveryView,
  EventPage,
  EventSearch,
  EventSummary,
  IncomingWebhook,
  NewEvent,
  RoutingPlan,
  Store,
  StoreListener,
  StoreStats,
  StoredEvent,
} from '../store.ts';
import { StoreUnavailableError, phoneKey } from '../store.ts';
import { EVENT_SUMMARY_COLUMNS, eventSearchWhere } from '../search-sql.ts';
import { attemptStatsSql, statsRow } from '../attempt-stats-sql.ts';
import { MIGRATIONS } from './schema.ts';

/** Advisory lock key of the migrations ("waro" in ASCII). */
const MIGRATION_LOCK = 0x7761726f;
/** How long an instance may hold unrouted events while it routes them. */
const ROUTE_LEASE_MS = 30_000;

export interface PostgresOptions {
  /** postgres://user@host:port/db — with `?schema=NAME` to keep the router's tables in a schema. */
  readonly url: string;
  readonly poolSize?: number;
}

/**
 * PostgreSQL adapter: any number of router instances share one database. Deliveries and unrouted
 * events are taken with `FOR UPDATE SKIP LOCKED` under leases (an instance that dies releases
 * nothing; its leases expire and others take the work again), per-chat order holds across
 * instances, a connector's rate limit is one token bucket in the database, and instances wake
 * each other with LISTEN/NOTIFY.
 */
export class PostgresStore implements Store {
  /** Writes that must survive a crash of the database server (acknowledged events, state). */
  private readonly pool: pg.Pool;
  /**
   * Routing and delivery bookkeeping, committed with synchronous_commit=off: a commit lost in a
   * database crash only means the work is done again (at-least-once), and no commit waits on a
   * WAL flush. The same trade as the SQLite store's NORMAL commits.
   */
  private readonly fast: pg.Pool;
  private readonly schema: string | undefined;
  /** NOTIFY channels are database-wide: name them after the schema, so clusters do not wake each other. */
  private readonly eventsChannel: string;
  private pendingResults: { results: readonly AttemptResult[]; resolve(): void; reject(error: unknown): void }[] = [];
  private writingResults = false;
  private readonly deliveriesChannel: string;
  private closed = false;

  private constructor(options: PostgresOptions) {
    const url = new URL(options.url);
    this.schema = url.searchParams.get('schema') ?? undefined;
    if (this.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) {
      throw new Error('the ?schema= of a postgres store must be a lower-case identifier');
    }
    url.searchParams.delete('schema');
    this.eventsChannel = `wa_router_events${this.schema ? `_${this.schema}` : ''}`;
    this.deliveriesChannel = `wa_router_deliveries${this.schema ? `_${this.schema}` : ''}`;
    const searchPath = this.schema ? `-c search_path=${this.schema}` : '';
    this.pool = new pg.Pool({ connectionString: url.toString(), max: options.poolSize ?? 10, options: searchPath });
    this.fast = new pg.Pool({
      connectionString: url.toString(),
      max: options.poolSize ?? 10,
      options: `${searchPath} -c synchronous_commit=off`.trim(),
    });
    for (const pool of [this.pool, this.fast]) {
      pool.on('error', () => {
        // An idle client lost its connection; the pool replaces it. Queries report their own errors.
      });
    }
  }

  /** Connect, create the schema if asked for, and apply pending migrations under an advisory lock. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.migrate();
    } catch (error) {
      await Promise.all([store.pool.end(), store.fast.end()]);
      throw error;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS wa_router_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT max(version) AS version FROM wa_router_migrations',
      );
      for (let index = rows[0]?.version ?? 0; index < MIGRATIONS.length; index++) {
        await client.query(MIGRATIONS[index]!);
        await client.query('INSERT INTO wa_router_migrations (version) VALUES ($1)', [index + 1]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  private async query<R extends pg.QueryResultRow>(
    text: string,
    values?: unknown[],
    pool: pg.Pool = this.pool,
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    try {
      return await pool.query<R>(text, values);
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  /** A bookkeeping transaction (on the fast pool). */
  private async transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.fast.connect();
    } catch (error) {
      throw asUnavailable(error);
    }
    try {
      await client.query('BEGIN');
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw asUnavailable(error);
    } finally {
      client.release();
    }
  }

  async appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const webhook of webhooks) {
      const events = webhook.events.map((event) => ({
        id: event.id,
        item_index: event.itemIndex,
        event: event.event,
        chat_id: event.chatId ?? null,
        contact_phone: phoneKey(event.contactPhone) ?? null,
        routed: event.plan !== undefined,
      }));
      // The plan of an id's first occurrence only: a repeat in the same request is a duplicate.
      const planned = new Map<string, NewEvent>();
      for (const event of webhook.events) if (!planned.has(event.id)) planned.set(event.id, event);
      const deliveries = [...planned.values()].flatMap((event) =>
        (event.plan ?? []).map((delivery) => ({
          event_id: event.id,
          connector: delivery.connector,
          route: delivery.route,
          chat_key: delivery.chatKey ?? null,
          params: delivery.params === undefined ? null : JSON.stringify(delivery.params),
          lease_until: delivery.leaseUntil ?? null,
        })),
      );
      // One statement, so one implicit transaction: the webhook, its new events and their deliveries, or nothing.
      const { rows } = await this.query<{
        accepted: string;
        seq: string;
        events: { seq: number; id: string }[] | null;
        leased: { id: number; seq: number; connector: string }[] | null;
      }>(
        `WITH w AS (INSERT INTO webhooks (received_at, body) VALUES ($1, $2) RETURNING seq),
              e AS (INSERT INTO events (id, webhook_seq, item_index, event, chat_id, received_at, contact_phone, routed_at)
                    SELECT x.id, w.seq, x.item_index, x.event, x.chat_id, $1, x.contact_phone, CASE WHEN x.routed THEN $1::bigint END FROM w,
                           jsonb_to_recordset($3::jsonb) AS x(id TEXT, item_index INTEGER, event TEXT, chat_id TEXT, contact_phone TEXT, routed BOOLEAN)
                    ON CONFLICT (id) DO NOTHING RETURNING seq, id),
              d AS (INSERT INTO deliveries (event_seq, connector, route, params, chat_key, status, attempts, next_at, lease_until, created_at, updated_at)
                    SELECT e.seq, y.connector, y.route, y.params, y.chat_key, 'pending', CASE WHEN y.lease_until IS NULL THEN 0 ELSE 1 END, $1, y.lease_until, $1, $1
                    FROM e JOIN jsonb_to_recordset($4::jsonb) AS y(event_id TEXT, connector TEXT, route TEXT, params TEXT, chat_key TEXT, lease_until BIGINT) ON y.event_id = e.id
                    RETURNING id, event_seq, connector, lease_until)
         SELECT (SELECT count(*) FROM e) AS accepted, (SELECT seq FROM w) AS seq,
                (SELECT json_agg(json_build_object('seq', e.seq, 'id', e.id)) FROM e) AS events,
                (SELECT json_agg(json_build_object('id', d.id, 'seq', d.event_seq, 'connector', d.connector)) FROM d WHERE d.lease_until IS NOT NULL) AS leased,
                ${events.some((event) => !event.routed) ? `pg_notify('${this.eventsChannel}', '')` : 'NULL'} AS notified,
                (SELECT pg_notify('${this.deliveriesChannel}', q.connectors)
                 FROM (SELECT string_agg(DISTINCT d.connector, ',') AS connectors FROM d WHERE d.lease_until IS NULL) q
                 WHERE q.connectors IS NOT NULL) AS planned`,
        [webhook.receivedAt, webhook.body, JSON.stringify(events), JSON.stringify(deliveries)],
      );
      const row = rows[0]!;
      const accepted = Number(row.accepted);
      if (accepted === 0) await this.query('DELETE FROM webhooks WHERE seq = $1', [row.seq]);
      const idOfSeq = new Map((row.events ?? []).map((event) => [Number(event.seq), event.id]));
      const leased = (row.leased ?? []).map((entry): ClaimedDelivery => {
        const event = planned.get(idOfSeq.get(Number(entry.seq))!)!;
        const delivery = event.plan!.find((candidate) => candidate.connector === entry.connector)!;
        return {
          id: String(entry.id),
          eventSeq: Number(entry.seq),
          eventId: event.id,
          connector: entry.connector,
          route: delivery.route,
          params: delivery.params,
          attempt: 1,
          receivedAt: webhook.receivedAt,
          body: webhook.body,
          itemIndex: event.itemIndex,
          leaseUntil: delivery.leaseUntil,
        };
      });
      leased.sort((a, b) => Number(a.id) - Number(b.id));
      results.push({ accepted, duplicates: webhook.events.length - accepted, leased });
    }
    return results;
  }

  async takeUnrouted(limit: number): Promise<StoredEvent[]> {
    const now = Date.now();
    const { rows } = await this.query<EventRow>(
      `WITH taken AS (
         UPDATE events SET route_lease_until = $2
         WHERE seq IN (SELECT seq FROM events
                       WHERE routed_at IS NULL AND (route_lease_until IS NULL OR route_lease_until <= $1)
                       ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING seq, id, event, received_at, item_index, routed_at, webhook_seq)
       SELECT t.seq, t.id, t.event, t.received_at, t.item_index, t.routed_at, w.body
       FROM taken t JOIN webhooks w ON w.seq = t.webhook_seq ORDER BY t.seq`,
      [now, now + ROUTE_LEASE_MS, limit],
      this.fast,
    );
    return rows.map(toStoredEvent);
  }

  async planDeliveries(plans: readonly RoutingPlan[], now: number): Promise<void> {
    if (plans.length === 0) return;
    const connectors = new Set<string>();
    const rows = plans.flatMap((plan) =>
      plan.deliveries.map((delivery) => {
        connectors.add(delivery.connector);
        return {
          event_seq: plan.eventSeq,
          connector: delivery.connector,
          route: delivery.route,
          params: delivery.params === undefined ? null : JSON.stringify(delivery.params),
          chat_key: delivery.chatKey ?? null,
        };
      }),
    );
    await this.transaction(async (client) => {
      if (rows.length > 0) {
        await client.query(
          `INSERT INTO deliveries (event_seq, connector, route, params, chat_key, status, attempts, next_at, created_at, updated_at)
           SELECT x.event_seq, x.connector, x.route, x.params, x.chat_key, 'pending', 0, $1, $1, $1
           FROM jsonb_to_recordset($2::jsonb) AS x(event_seq BIGINT, connector TEXT, route TEXT, params TEXT, chat_key TEXT)
           ON CONFLICT (event_seq, connector) DO UPDATE SET
             status = 'pending', attempts = 0, next_at = excluded.next_at, lease_until = NULL, last_error = NULL,
             route = excluded.route, params = excluded.params, chat_key = excluded.chat_key, updated_at = excluded.updated_at`,
          [now, JSON.stringify(rows)],
        );
      }
      await client.query('UPDATE events SET routed_at = $1, route_lease_until = NULL WHERE seq = ANY($2::bigint[])', [
        now,
        plans.map((plan) => plan.eventSeq),
      ]);
      if (connectors.size > 0)
        await client.query('SELECT pg_notify($1, $2)', [this.deliveriesChannel, [...connectors].join(',')]);
    });
  }

  async claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return this.transaction(async (client) => {
      const limit = await this.takeTokens(client, request);
      if (limit <= 0) return [];
      const order = request.orderByChat
        ? `AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.connector = c.connector AND p.status = 'pending' AND p.chat_key = c.chat_key AND p.id < c.id)
           ORDER BY c.id`
        : 'ORDER BY c.next_at, c.id';
      const { rows } = await client.query<ClaimRow>(
        `WITH claimed AS (
           UPDATE deliveries d SET lease_until = $3, attempts = d.attempts + 1, updated_at = $2
           WHERE d.id IN (SELECT c.id FROM deliveries c
                          WHERE c.connector = $1 AND c.status = 'pending' AND c.next_at <= $2
                            AND (c.lease_until IS NULL OR c.lease_until <= $2)
                          ${order} LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING d.id, d.event_seq, d.connector, d.route, d.params, d.attempts)
         SELECT c.*, e.id AS event_id, e.received_at, e.item_index, w.body
         FROM claimed c JOIN events e ON e.seq = c.event_seq JOIN webhooks w ON w.seq = e.webhook_seq
         ORDER BY c.id`,
        [request.connector, request.now, request.now + request.leaseMs, limit],
      );
      if (request.ratePerSec && rows.length < limit) {
        await client.query('UPDATE rate_buckets SET tokens = tokens + $2 WHERE connector = $1', [
          request.connector,
          limit - rows.length,
        ]);
      }
      return rows.map(toClaimed);
    });
  }

  /** Take up to `limit` tokens from the connector's cluster-wide bucket (one second of burst). */
  private async takeTokens(client: pg.PoolClient, request: ClaimRequest): Promise<number> {
    const rate = request.ratePerSec ?? 0;
    if (rate <= 0) return request.limit;
    const capacity = Math.max(1, rate);
    await client.query(
      'INSERT INTO rate_buckets (connector, tokens, updated_at) VALUES ($1, $2, $3) ON CONFLICT (connector) DO NOTHING',
      [request.connector, capacity, request.now],
    );
    const { rows } = await client.query<{ tokens: number; updated_at: string }>(
      'SELECT tokens, updated_at FROM rate_buckets WHERE connector = $1 FOR UPDATE',
      [request.connector],
    );
    const bucket = rows[0]!;
    const elapsed = Math.max(0, request.now - Number(bucket.updated_at));
    const tokens = Math.min(capacity, bucket.tokens + (elapsed / 1000) * rate);
    const take = Math.max(0, Math.min(request.limit, Math.floor(tokens)));
    await client.query('UPDATE rate_buckets SET tokens = $2, updated_at = $3 WHERE connector = $1', [
      request.connector,
      tokens - take,
      request.now,
    ]);
    return take;
  }

  /**
   * Results wait while a write of earlier results is in flight, then go together: one transaction
   * for many deliveries instead of one each (each held a pool connection and a delivery slot).
   */
  recordResults(results: readonly AttemptResult[]): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pendingResults.push({ results, resolve, reject });
      if (!this.writingResults) void this.writeResults();
    });
  }

  private async writeResults(): Promise<void> {
    this.writingResults = true;
    while (this.pendingResults.length > 0) {
      const batch = this.pendingResults;
      this.pendingResults = [];
      try {
        await this.writeResultRows(batch.flatMap((entry) => entry.results));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.writingResults = false;
  }

  private async writeResultRows(results: readonly AttemptResult[]): Promise<void> {
    const rows = results.map((r) => ({
      id: Number(r.id),
      attempt: r.attempt,
      started_at: r.startedAt,
      duration_ms: r.durationMs,
      outcome: r.outcome,
      status: r.status,
      next_at: r.nextAt ?? null,
      error: r.error ?? null,
      ref: r.ref ?? null,
      updated_at: r.startedAt + r.durationMs,
    }));
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE deliveries d SET status = x.status, next_at = COALESCE(x.next_at, d.next_at), last_error = x.error, ref = x.ref,
                lease_until = NULL, updated_at = x.updated_at
         FROM jsonb_to_recordset($1::jsonb) AS x(id BIGINT, status TEXT, next_at BIGINT, error TEXT, ref TEXT, updated_at BIGINT)
         WHERE d.id = x.id`,
        [JSON.stringify(rows)],
      );
      await client.query(
        `INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, outcome, error, ref)
         SELECT x.id, x.attempt, x.started_at, x.duration_ms, x.outcome, x.error, x.ref
         FROM jsonb_to_recordset($1::jsonb) AS x(id BIGINT, attempt INTEGER, started_at BIGINT, duration_ms INTEGER, outcome TEXT, error TEXT, ref TEXT)`,
        [JSON.stringify(rows)],
      );
    });
  }

  async nextDueAt(connector: string, after?: number): Promise<number | undefined> {
    const { rows } = await this.query<{ next: string | null }>(
      `SELECT min(next_at) AS next FROM deliveries WHERE connector = $1 AND status = 'pending' AND lease_until IS NULL AND next_at > $2`,
      [connector, after ?? -1],
      this.fast,
    );
    return rows[0]?.next == null ? undefined : Number(rows[0].next);
  }

  /** Shared store: other instances may hold leases; an expired one is taken again by anyone. */
  async recoverAtStart(): Promise<number> {
    return 0;
  }

  async subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    const client = await this.fast.connect();
    client.on('notification', (message) => {
      if (message.channel === this.eventsChannel) listener.eventsStored();
      else if (message.channel === this.deliveriesChannel)
        listener.deliveriesPlanned((message.payload ?? '').split(',').filter(Boolean));
    });
    await client.query(`LISTEN ${this.eventsChannel}`);
    await client.query(`LISTEN ${this.deliveriesChannel}`);
    return async () => {
      await client.query(`UNLISTEN *`).catch(() => {});
      client.release();
    };
  }

  async listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]> {
    const { rows } = await this.query<DeliveryRow>(
      `SELECT d.id, e.id AS event_id, e.event, e.received_at, d.connector, d.route, d.status, d.attempts,
              d.next_at, d.last_error, d.ref, d.updated_at
       FROM deliveries d JOIN events e ON e.seq = d.event_seq
       WHERE ($1::text IS NULL OR d.status = $1) AND ($2::text IS NULL OR d.connector = $2) AND ($3::text IS NULL OR e.id = $3)
       ORDER BY d.updated_at DESC, d.id DESC LIMIT $4`,
      [query.status ?? null, query.connector ?? null, query.eventId ?? null, query.limit],
    );
    return rows.map(toDeliveryView);
  }

  async replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number> {
    const { rowCount } = query.ids
      ? await this.query(
          `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = $1, lease_until = NULL, updated_at = $1 WHERE status = 'dead' AND id = ANY($2::bigint[])`,
          [now, query.ids.map(Number)],
        )
      : await this.query(
          `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = $1, lease_until = NULL, updated_at = $1 WHERE status = 'dead' AND ($2::text IS NULL OR connector = $2)`,
          [now, query.connector ?? null],
        );
    if (rowCount) await this.query('SELECT pg_notify($1, $2)', [this.deliveriesChannel, query.connector ?? '']);
    return rowCount ?? 0;
  }

  async replayEvents(query: { since: number; until?: number; event?: string }): Promise<number> {
    const { rowCount } = await this.query(
      `UPDATE events SET routed_at = NULL, route_lease_until = NULL
       WHERE received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR event = $3) AND routed_at IS NOT NULL`,
      [query.since, query.until ?? Number.MAX_SAFE_INTEGER, query.event ?? null],
    );
    if (rowCount) await this.query(`SELECT pg_notify('${this.eventsChannel}', '')`);
    return rowCount ?? 0;
  }

  async prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ seq: string; webhook_seq: string }>(
        `SELECT e.seq, e.webhook_seq FROM events e
         WHERE e.routed_at IS NOT NULL AND e.received_at < $1
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending')
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'dead' AND d.updated_at >= $2)
         LIMIT 5000 FOR UPDATE SKIP LOCKED`,
        [policy.deliveredBefore, policy.deadBefore],
      );
      const seqs = rows.map((row) => row.seq);
      if (seqs.length === 0) return { events: 0 };
      await client.query(
        'DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = ANY($1::bigint[]))',
        [seqs],
      );
      await client.query('DELETE FROM deliveries WHERE event_seq = ANY($1::bigint[])', [seqs]);
      await client.query('DELETE FROM events WHERE seq = ANY($1::bigint[])', [seqs]);
      await client.query(
        'DELETE FROM webhooks w WHERE w.seq = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM events e WHERE e.webhook_seq = w.seq)',
        [[...new Set(rows.map((row) => row.webhook_seq))]],
      );
      return { events: seqs.length };
    });
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const { rows } = await this.query<EventRow>(
      `SELECT e.seq, e.id, e.event, e.received_at, e.item_index, e.routed_at, w.body
       FROM events e JOIN webhooks w ON w.seq = e.webhook_seq WHERE e.id = $1`,
      [id],
    );
    return rows[0] && toStoredEvent(rows[0]);
  }

  async searchEvents(query: EventSearch): Promise<EventPage> {
    const values: (string | number)[] = [];
    const where = eventSearchWhere(query, (value) => {
      values.push(value);
      return `$${values.length}`;
    });
    values.push(query.limit + 1);
    const { rows } = await this.query<SummaryRow>(
      `SELECT ${EVENT_SUMMARY_COLUMNS} FROM events e ${where} ORDER BY e.seq DESC LIMIT $${values.length}`,
      values,
    );
    const page = rows.slice(0, query.limit);
    const deliveries = new Map<string, EventSummary['deliveries']>();
    if (page.length > 0) {
      const found = await this.query<{
        id: string;
        event_seq: string;
        connector: string;
        status: DeliveryView['status'];
        attempts: number;
      }>(
        'SELECT d.id, d.event_seq, d.connector, d.status, d.attempts FROM deliveries d WHERE d.event_seq = ANY($1::bigint[]) ORDER BY d.id',
        [page.map((row) => row.seq)],
      );
      for (const row of found.rows) {
        const list = deliveries.get(String(row.event_seq)) ?? [];
        list.push({ id: String(row.id), connector: row.connector, status: row.status, attempts: row.attempts });
        deliveries.set(String(row.event_seq), list);
      }
    }
    return {
      events: page.map((row) => ({
        seq: Number(row.seq),
        id: row.id,
        event: row.event,
        receivedAt: Number(row.received_at),
        routedAt: row.routed_at === null ? undefined : Number(row.routed_at),
        chatId: row.chat_id ?? undefined,
        contactPhone: row.contact_phone ?? undefined,
        deliveries: deliveries.get(String(row.seq)) ?? [],
      })),
      next: rows.length > query.limit ? Number(page[page.length - 1]!.seq) : undefined,
    };
  }

  async attemptsOf(deliveryIds: readonly string[]): Promise<AttemptView[]> {
    if (deliveryIds.length === 0) return [];
    const { rows } = await this.query<{
      delivery_id: string;
      attempt: number;
      started_at: string;
      duration_ms: number;
      outcome: AttemptResult['outcome'];
      error: string | null;
      ref: string | null;
    }>(
      `SELECT delivery_id, attempt, started_at, duration_ms, outcome, error, ref FROM attempts
       WHERE delivery_id = ANY($1::bigint[]) ORDER BY started_at, ctid`,
      [deliveryIds.map(Number)],
    );
    return rows.map((row) => ({
      deliveryId: String(row.delivery_id),
      attempt: row.attempt,
      startedAt: Number(row.started_at),
      durationMs: row.duration_ms,
      outcome: row.outcome,
      error: row.error ?? undefined,
      ref: row.ref ?? undefined,
    }));
  }

  async replayEvent(id: string): Promise<boolean> {
    const { rowCount } = await this.query(
      'UPDATE events SET routed_at = NULL, route_lease_until = NULL WHERE id = $1',
      [id],
    );
    if (rowCount) await this.query(`SELECT pg_notify('${this.eventsChannel}', '')`);
    return (rowCount ?? 0) > 0;
  }

  async attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptResult['outcome'], number>>>> {
    const { rows } = await this.query<{ connector: string; outcome: AttemptResult['outcome']; n: string }>(
      `SELECT d.connector, a.outcome, count(*) AS n FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE a.started_at >= $1 GROUP BY d.connector, a.outcome`,
      [since],
    );
    const counts: Record<string, Partial<Record<AttemptResult['outcome'], number>>> = {};
    for (const row of rows) (counts[row.connector] ??= {})[row.outcome] = Number(row.n);
    return counts;
  }

  async attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]> {
    const { rows } = await this.query<Parameters<typeof statsRow>[0]>(attemptStatsSql('$1::bigint', '$2::bigint'), [
      since,
      bucketMs,
    ]);
    return rows.map(statsRow);
  }

  async redeliver(ids: readonly string[], now: number): Promise<number> {
    const { rowCount } = await this.query(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = $1, lease_until = NULL, updated_at = $1
       WHERE id = ANY($2::bigint[]) AND (lease_until IS NULL OR lease_until <= $1)`,
      [now, ids.map(Number)],
    );
    if (rowCount) await this.query('SELECT pg_notify($1, $2)', [this.deliveriesChannel, '']);
    return rowCount ?? 0;
  }

  async stats(): Promise<StoreStats> {
    const counts = await this.query<{ events: string; unrouted: string }>(
      'SELECT count(*) AS events, count(*) FILTER (WHERE routed_at IS NULL) AS unrouted FROM events',
    );
    const byConnector: Record<string, { pending: number; dead: number; oldestDueAt?: number }> = {};
    const { rows } = await this.query<{ connector: string; pending: string; dead: string; oldest: string | null }>(
      `SELECT connector, count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'dead') AS dead,
              min(next_at) FILTER (WHERE status = 'pending') AS oldest
       FROM deliveries WHERE status IN ('pending', 'dead') GROUP BY connector`,
    );
    for (const row of rows) {
      byConnector[row.connector] = {
        pending: Number(row.pending),
        dead: Number(row.dead),
        ...(row.oldest === null ? {} : { oldestDueAt: Number(row.oldest) }),
      };
    }
    return { events: Number(counts.rows[0]!.events), unrouted: Number(counts.rows[0]!.unrouted), byConnector };
  }

  async stateGet(connector: string, key: string): Promise<string | undefined> {
    const { rows } = await this.query<{ value: string }>(
      'SELECT value FROM connector_state WHERE connector = $1 AND key = $2',
      [connector, key],
    );
    return rows[0]?.value;
  }

  async stateSet(connector: string, key: string, value: string): Promise<void> {
    await this.query(
      'INSERT INTO connector_state (connector, key, value) VALUES ($1, $2, $3) ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value',
      [connector, key, value],
    );
  }

  async stateDelete(connector: string, key: string): Promise<void> {
    await this.query('DELETE FROM connector_state WHERE connector = $1 AND key = $2', [connector, key]);
  }

  async setPaused(connector: string, paused: boolean, now: number): Promise<void> {
    if (paused)
      await this.query(
        'INSERT INTO connector_pauses (connector, paused_at) VALUES ($1, $2) ON CONFLICT (connector) DO NOTHING',
        [connector, now],
      );
    else await this.query('DELETE FROM connector_pauses WHERE connector = $1', [connector]);
  }

  async pausedConnectors(): Promise<string[]> {
    const { rows } = await this.query<{ connector: string }>(
      'SELECT connector FROM connector_pauses ORDER BY connector',
    );
    return rows.map((row) => row.connector);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.fast.end()]);
  }
}

function asUnavailable(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  // Connection failures, and PostgreSQL classes 08 (connection), 53 (resources), 57 (operator), 58 (system).
  if (/^(08|53|57|58)/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH)$/.test(code)) {
    return new StoreUnavailableError(`store unavailable (${code}): ${message}`);
  }
  return error instanceof Error ? error : new Error(message);
}

interface EventRow {
  seq: string;
  id: string;
  event: string;
  received_at: string;
  body: string;
  item_index: number;
  routed_at: string | null;
}
interface ClaimRow {
  id: string;
  event_seq: string;
  event_id: string;
  connector: string;
  route: string;
  params: string | null;
  attempts: number;
  received_at: string;
  body: string;
  item_index: number;
}
interface SummaryRow {
  seq: string;
  id: string;
  event: string;
  received_at: string;
  routed_at: string | null;
  chat_id: string | null;
  contact_phone: string | null;
}
interface DeliveryRow {
  id: string;
  event_id: string;
  event: string;
  received_at: string;
  connector: string;
  route: string;
  status: DeliveryView['status'];
  attempts: number;
  next_at: string;
  last_error: string | null;
  ref: string | null;
  updated_at: string;
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    event: row.event,
    receivedAt: Number(row.received_at),
    body: row.body,
    itemIndex: row.item_index,
    routedAt: row.routed_at === null ? undefined : Number(row.routed_at),
  };
}

function toClaimed(row: ClaimRow): ClaimedDelivery {
  return {
    id: String(row.id),
    eventSeq: Number(row.event_seq),
    eventId: row.event_id,
    connector: row.connector,
    route: row.route,
    params: row.params === null ? undefined : JSON.parse(row.params),
    attempt: row.attempts,
    receivedAt: Number(row.received_at),
    body: row.body,
    itemIndex: row.item_index,
  };
}

function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: String(row.id),
    eventId: row.event_id,
    event: row.event,
    receivedAt: Number(row.received_at),
    connector: row.connector,
    route: row.route,
    status: row.status,
    attempts: row.attempts,
    nextAt: Number(row.next_at),
    lastError: row.last_error ?? undefined,
    ref: row.ref ?? undefined,
    updatedAt: Number(row.updated_at),
  };
}
