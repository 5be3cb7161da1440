import type { AttemptResult, ClaimedDelivery } from '../../domain/delivery.ts';
import type {
  AppendResult,
  ClaimRequest,
  DeliveryQueue,
  IncomingWebhook,
  RoutingPlan,
  StoreListener,
  StoredEvent,
} from '../store.ts';
import type pg from 'pg';
import { exchangeColumn } from '../exchange-column.ts';
import { PostgresAppend } from './append.ts';
import type { PostgresConnection } from './connection.ts';
import { type ClaimRow, type EventRow, toClaimed, toStoredEvent } from './rows.ts';

/** How long an instance may hold unrouted events while it routes them. */
const ROUTE_LEASE_MS = 30_000;

/** Lease due deliveries of connector $1 at $2 until $3, at most $4 of them, in the given order. */
const claim = (order: string) => `
  WITH claimed AS (
    UPDATE deliveries d SET lease_until = $3, attempts = d.attempts + 1, updated_at = $2
    WHERE d.id IN (SELECT c.id FROM deliveries c
                   WHERE c.connector = $1 AND c.status = 'pending' AND c.next_at <= $2
                     AND (c.lease_until IS NULL OR c.lease_until <= $2)
                   ${order} LIMIT $4 FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.event_seq, d.connector, d.route, d.params, d.attempts)
  SELECT c.*, e.id AS event_id, e.received_at, e.item_index, w.body
  FROM claimed c JOIN events e ON e.seq = c.event_seq JOIN webhooks w ON w.seq = e.webhook_seq
  ORDER BY c.id`;
const CLAIM_BY_DUE_TIME = claim('ORDER BY c.next_at, c.id');
/** Per-chat order: nothing taken while an earlier delivery of its chat is pending (leased or not). */
const CLAIM_IN_CHAT_ORDER = claim(`
  AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.connector = c.connector AND p.status = 'pending'
                  AND p.chat_key = c.chat_key AND p.id < c.id)
  ORDER BY c.id`);

/** Results of attempts ($1, a jsonb array): each delivery's new state, and its attempt row. */
const RECORD_RESULTS = `
  WITH x AS MATERIALIZED (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id BIGINT, attempt INTEGER, started_at BIGINT, duration_ms INTEGER,
                                                          outcome TEXT, status TEXT, next_at BIGINT, error TEXT, ref TEXT, updated_at BIGINT,
                                                          exchange TEXT)),
       u AS (UPDATE deliveries d SET status = x.status, next_at = COALESCE(x.next_at, d.next_at), last_error = x.error,
                    ref = x.ref, lease_until = NULL, updated_at = x.updated_at
             FROM x WHERE d.id = x.id)
  INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, outcome, error, ref, exchange)
  SELECT x.id, x.attempt, x.started_at, x.duration_ms, x.outcome, x.error, x.ref, x.exchange FROM x`;

/**
 * The queue role of the PostgreSQL store. Deliveries and unrouted events are taken with
 * `FOR UPDATE SKIP LOCKED` under leases (an instance that dies releases nothing; its leases
 * expire and others take the work again), per-chat order holds across instances, a connector's
 * rate limit is one token bucket in the database, and instances wake each other with LISTEN/NOTIFY.
 */
export class PostgresQueue implements DeliveryQueue {
  private readonly append: PostgresAppend;
  private pendingResults: { results: readonly AttemptResult[]; resolve(): void; reject(error: unknown): void }[] = [];
  private writingResults = false;

  constructor(private readonly connection: PostgresConnection) {
    this.append = new PostgresAppend(connection);
  }

  appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    return this.append.appendWebhooks(webhooks);
  }

  async takeUnrouted(limit: number): Promise<StoredEvent[]> {
    const now = Date.now();
    const { rows } = await this.connection.query<EventRow>(
      `WITH taken AS (
         UPDATE events SET route_lease_until = $2
         WHERE seq IN (SELECT seq FROM events
                       WHERE routed_at IS NULL AND (route_lease_until IS NULL OR route_lease_until <= $1)
                       ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING seq, id, event, received_at, item_index, routed_at, webhook_seq)
       SELECT t.seq, t.id, t.event, t.received_at, t.item_index, t.routed_at, w.body
       FROM taken t JOIN webhooks w ON w.seq = t.webhook_seq ORDER BY t.seq`,
      [now, now + ROUTE_LEASE_MS, limit],
      this.connection.fast,
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
    await this.connection.transaction(async (client) => {
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
        await client.query('SELECT pg_notify($1, $2)', [this.connection.deliveriesChannel, [...connectors].join(',')]);
    });
  }

  /**
   * One statement (one round trip) takes the due deliveries and leases them; a connector with a
   * rate limit also takes tokens from its bucket, in a transaction with the claim.
   */
  async claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const text = request.orderByChat ? CLAIM_IN_CHAT_ORDER : CLAIM_BY_DUE_TIME;
    const values = (limit: number) => [request.connector, request.now, request.now + request.leaseMs, limit];
    if (!request.ratePerSec) {
      const { rows } = await this.connection.query<ClaimRow>(text, values(request.limit), this.connection.fast);
      return rows.map(toClaimed);
    }
    return this.connection.transaction(async (client) => {
      const limit = await this.takeTokens(client, request);
      if (limit <= 0) return [];
      const { rows } = await client.query<ClaimRow>(text, values(limit));
      if (rows.length < limit) {
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
      // As text inside the JSON (not a nested jsonb value, which would reorder the headers).
      exchange: exchangeColumn(r.exchange),
    }));
    // One statement, so one round trip and one implicit transaction: the deliveries and their attempts.
    await this.connection.query(RECORD_RESULTS, [JSON.stringify(rows)], this.connection.fast);
  }

  async nextDueAt(connector: string, after?: number): Promise<number | undefined> {
    const { rows } = await this.connection.query<{ next: string | null }>(
      `SELECT min(next_at) AS next FROM deliveries WHERE connector = $1 AND status = 'pending' AND lease_until IS NULL AND next_at > $2`,
      [connector, after ?? -1],
      this.connection.fast,
    );
    return rows[0]?.next == null ? undefined : Number(rows[0].next);
  }

  /** Shared store: other instances may hold leases; an expired one is taken again by anyone. */
  async recoverAtStart(): Promise<number> {
    return 0;
  }

  async subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    const client = await this.connection.fast.connect();
    client.on('notification', (message) => {
      if (message.channel === this.connection.eventsChannel) listener.eventsStored();
      else if (message.channel === this.connection.deliveriesChannel)
        listener.deliveriesPlanned((message.payload ?? '').split(',').filter(Boolean));
    });
    await client.query(`LISTEN ${this.connection.eventsChannel}`);
    await client.query(`LISTEN ${this.connection.deliveriesChannel}`);
    return async () => {
      await client.query(`UNLISTEN *`).catch(() => {});
      client.release();
    };
  }
}
