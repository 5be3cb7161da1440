import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
  RoutingPlan,
  Store,
  StoreStats,
  StoredEvent,
} from '../store.ts';
import { StoreUnavailableError, phoneKey } from '../store.ts';
import { EVENT_SUMMARY_COLUMNS, eventSearchWhere } from '../search-sql.ts';
import { attemptStatsSql, statsRow } from '../attempt-stats-sql.ts';
import { GroupCommit } from './group-commit.ts';
import { Checkpointer } from './checkpointer.ts';
import { WalSync } from './wal-sync.ts';
import { MIGRATIONS } from './schema.ts';
import { prepareStatements, type Statements } from './statements.ts';

export interface SqliteOptions {
  /** Path of the database file, or ":memory:". */
  readonly path: string;
  /** `full` (default) fsyncs every commit; `normal` survives a process crash but not a power loss. */
  readonly synchronous?: 'full' | 'normal';
  /** How long a write waits for a lock held by another process before failing (503). */
  readonly busyTimeoutMs?: number;
  /** Told about a problem the store works around but an operator should know of (the router logs it). */
  readonly onProblem?: (message: string) => void;
}

/** SQLite adapter (better-sqlite3, WAL): the embedded default store of one router instance. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly commits: GroupCommit;
  /** Durable commits are synced off the event loop (see WalSync); none for ":memory:" or synchronous=normal. */
  private readonly wal: WalSync | undefined;
  /** Checkpoints the WAL on a worker thread (see Checkpointer); none for ":memory:". */
  private readonly checkpointer: Checkpointer | undefined;
  private readonly sql: Statements;
  private closed = false;
  /** Search statements by the shape of their WHERE clause (a few shapes in practice). */
  private readonly searches = new Map<string, Database.Statement>();

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 2000}`);
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.sql = prepareStatements(this.db);
    if (options.path !== ':memory:') {
      // Durable commits wait for an fdatasync of the WAL, unless configured to skip fsyncs.
      if (options.synchronous !== 'normal') this.wal = new WalSync(`${options.path}-wal`);
      this.db.pragma('wal_autocheckpoint = 0');
      let fellBack = false;
      this.checkpointer = new Checkpointer(options.path, 1_000, (message) => {
        // Without its checkpoints the WAL would grow without end: let SQLite checkpoint again.
        if (this.closed) return;
        this.db.pragma('wal_autocheckpoint = 1000');
        if (!fellBack)
          options.onProblem?.(
            `WAL checkpoints on the checkpoint thread failed (${message}); SQLite checkpoints inside commits again, which can hold up acknowledgements`,
          );
        fellBack = true;
      });
    }
    const wal = this.wal;
    const sync = wal
      ? () =>
          wal.sync().catch((error: unknown) => {
            throw new StoreUnavailableError(
              `could not make the write durable (fdatasync of the WAL): ${error instanceof Error ? error.message : String(error)}`,
            );
          })
      : undefined;
    this.commits = new GroupCommit(this.db, options.synchronous === 'normal' ? 'NORMAL' : 'FULL', sync);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let index = version; index < MIGRATIONS.length; index++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[index]!);
        this.db.pragma(`user_version = ${index + 1}`);
      })();
    }
  }

  private async write<T>(run: () => T, durable = false, lazy = false): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    try {
      return await this.commits.write(run, durable, lazy);
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  private read<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('store is closed'));
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(asUnavailable(error));
    }
  }

  appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    return this.write(() => webhooks.map((webhook) => this.appendOne(webhook)), true);
  }

  private appendOne(webhook: IncomingWebhook): AppendResult {
    // Most webhooks are new: insert first, and take the body back out if every event was known.
    const webhookSeq = this.sql.insertWebhook.run(webhook.receivedAt, webhook.body).lastInsertRowid;
    let accepted = 0;
    const leased: ClaimedDelivery[] = [];
    for (const event of webhook.events) {
      // OR IGNORE: an id already stored (or twice in one request) is a duplicate, stored once.
      const routedAt = event.plan ? webhook.receivedAt : null;
      const inserted = this.sql.insertEvent.run(
        event.id,
        webhookSeq,
        event.itemIndex,
        event.event,
        event.chatId ?? null,
        webhook.receivedAt,
        phoneKey(event.contactPhone) ?? null,
        routedAt,
      );
      if (inserted.changes === 0) continue;
      accepted++;
      for (const delivery of event.plan ?? []) {
        const params = delivery.params === undefined ? null : JSON.stringify(delivery.params);
        const lease = delivery.leaseUntil ?? null;
        const id = this.sql.insertDelivery.run(
          inserted.lastInsertRowid,
          delivery.connector,
          delivery.route,
          params,
          delivery.chatKey ?? null,
          lease === null ? 0 : 1,
          webhook.receivedAt,
          lease,
          webhook.receivedAt,
          webhook.receivedAt,
        ).lastInsertRowid;
        if (lease !== null) {
          leased.push({
            id: String(id),
            eventSeq: Number(inserted.lastInsertRowid),
            eventId: event.id,
            connector: delivery.connector,
            route: delivery.route,
            params: delivery.params,
            attempt: 1,
            receivedAt: webhook.receivedAt,
            body: webhook.body,
            itemIndex: event.itemIndex,
            leaseUntil: lease,
          });
        }
      }
    }
    if (accepted === 0) this.sql.deleteWebhookIfOrphan.run({ seq: webhookSeq });
    return { accepted, duplicates: webhook.events.length - accepted, leased };
  }

  takeUnrouted(limit: number): Promise<StoredEvent[]> {
    return this.read(() => (this.sql.unrouted.all(limit) as EventRow[]).map(toStoredEvent));
  }

  planDeliveries(plans: readonly RoutingPlan[], now: number): Promise<void> {
    return this.write(() => {
      for (const plan of plans) {
        for (const delivery of plan.deliveries) {
          const params = delivery.params === undefined ? null : JSON.stringify(delivery.params);
          this.sql.upsertDelivery.run(
            plan.eventSeq,
            delivery.connector,
            delivery.route,
            params,
            delivery.chatKey ?? null,
            now,
            now,
            now,
          );
        }
        this.sql.markRouted.run(now, plan.eventSeq);
      }
    });
  }

  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return this.write(() => {
      const ids = request.orderByChat
        ? this.orderedDueIds(request)
        : (this.sql.dueIds.all(request.connector, request.now, request.now, request.limit) as { id: number }[]).map(
            (row) => row.id,
          );
      if (ids.length === 0) return [];
      const list = JSON.stringify(ids);
      const rows = this.sql.claimedRows.all(list) as ClaimRow[];
      this.sql.lease.run(request.now + request.leaseMs, request.now, list);
      return rows.map(toClaimed);
    });
  }

  /**
   * Walk the connector's pending deliveries oldest first: one that is leased or not due blocks its
   * chat, so nothing later of that chat is taken; the others are taken, up to maxPerChat per chat.
   * The walk is bounded, so a long blocked backlog costs a claim milliseconds, not a table scan.
   */
  private orderedDueIds(request: ClaimRequest): number[] {
    const maxPerChat = Math.max(1, request.maxPerChat ?? 1);
    const scanLimit = request.limit * 20 + 1_000;
    const taken: number[] = [];
    const blocked = new Set<string>();
    const perChat = new Map<string, number>();
    let scanned = 0;
    for (const row of this.sql.pendingInOrder.iterate(request.connector) as IterableIterator<
      [number, string | null, number, number | null]
    >) {
      const [id, chat, nextAt, leaseUntil] = row;
      const ready = nextAt <= request.now && (leaseUntil === null || leaseUntil <= request.now);
      if (chat === null) {
        if (ready) taken.push(id);
      } else if (!blocked.has(chat)) {
        if (!ready) {
          blocked.add(chat);
        } else {
          taken.push(id);
          const count = (perChat.get(chat) ?? 0) + 1;
          perChat.set(chat, count);
          if (count >= maxPerChat) blocked.add(chat);
        }
      }
      if (taken.length >= request.limit || ++scanned >= scanLimit) break;
    }
    return taken;
  }

  recordResults(results: readonly AttemptResult[], options: { readonly urgent?: boolean } = {}): Promise<void> {
    return this.write(
      () => {
        for (const result of results) {
          const id = Number(result.id);
          this.sql.updateDelivery.run(
            result.status,
            result.nextAt ?? null,
            result.error ?? null,
            result.ref ?? null,
            result.startedAt + result.durationMs,
            id,
          );
          this.sql.insertAttempt.run(
            id,
            result.attempt,
            result.startedAt,
            result.durationMs,
            result.outcome,
            result.error ?? null,
            result.ref ?? null,
          );
        }
      },
      false,
      !options.urgent,
    );
  }

  nextDueAt(connector: string, after?: number): Promise<number | undefined> {
    return this.read(() => {
      const row = this.sql.nextDue.get(connector, after ?? -1) as { next: number | null } | undefined;
      return row?.next ?? undefined;
    });
  }

  /** One router instance owns an SQLite file: leases left by a previous process are void. */
  recoverAtStart(): Promise<number> {
    return this.write(() => this.sql.releaseLeases.run().changes);
  }

  listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]> {
    return this.read(() => {
      const rows = this.sql.listDeliveries.all({
        status: query.status ?? null,
        connector: query.connector ?? null,
        eventId: query.eventId ?? null,
        limit: query.limit,
      }) as DeliveryRow[];
      return rows.map(toDeliveryView);
    });
  }

  replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number> {
    return this.write(() => {
      if (query.ids) {
        let changed = 0;
        for (const id of query.ids) changed += this.sql.replayDeadById.run(now, now, Number(id)).changes;
        return changed;
      }
      return this.sql.replayDead.run({ now, connector: query.connector ?? null }).changes;
    }, true);
  }

  replayEvents(query: { since: number; until?: number; event?: string }): Promise<number> {
    return this.write(
      () =>
        this.sql.unroute.run({
          since: query.since,
          until: query.until ?? Number.MAX_SAFE_INTEGER,
          event: query.event ?? null,
        }).changes,
      true,
    );
  }

  prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }> {
    return this.write(() => {
      const rows = this.sql.prunable.all(policy) as { seq: number; webhook_seq: number }[];
      for (const row of rows) {
        this.sql.deleteAttemptsOf.run(row.seq);
        this.sql.deleteDeliveriesOf.run(row.seq);
        this.sql.deleteEvent.run(row.seq);
      }
      for (const webhookSeq of new Set(rows.map((row) => row.webhook_seq)))
        this.sql.deleteWebhookIfOrphan.run({ seq: webhookSeq });
      return { events: rows.length };
    });
  }

  getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.read(() => {
      const row = this.sql.eventById.get(id) as EventRow | undefined;
      return row && toStoredEvent(row);
    });
  }

  searchEvents(query: EventSearch): Promise<EventPage> {
    return this.read(() => {
      const values: (string | number)[] = [];
      const where = eventSearchWhere(query, (value) => {
        values.push(value);
        return '?';
      });
      const text = `SELECT ${EVENT_SUMMARY_COLUMNS} FROM events e ${where} ORDER BY e.seq DESC LIMIT ?`;
      let statement = this.searches.get(text);
      if (!statement) {
        statement = this.db.prepare(text);
        if (this.searches.size < 256) this.searches.set(text, statement);
      }
      const rows = statement.all(...values, query.limit + 1) as SummaryRow[];
      const page = rows.slice(0, query.limit);
      const deliveries = new Map<number, EventSummary['deliveries']>();
      if (page.length > 0) {
        for (const row of this.sql.deliveriesOfEvents.all(
          JSON.stringify(page.map((event) => event.seq)),
        ) as SummaryDeliveryRow[]) {
          const list = deliveries.get(row.event_seq) ?? [];
          list.push({ id: String(row.id), connector: row.connector, status: row.status, attempts: row.attempts });
          deliveries.set(row.event_seq, list);
        }
      }
      return {
        events: page.map((row) => ({
          seq: row.seq,
          id: row.id,
          event: row.event,
          receivedAt: row.received_at,
          routedAt: row.routed_at ?? undefined,
          chatId: row.chat_id ?? undefined,
          contactPhone: row.contact_phone ?? undefined,
          deliveries: deliveries.get(row.seq) ?? [],
        })),
        next: rows.length > query.limit ? page[page.length - 1]!.seq : undefined,
      };
    });
  }

  attemptsOf(deliveryIds: readonly string[]): Promise<AttemptView[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return this.read(() =>
      (this.sql.attemptsOf.all(JSON.stringify(deliveryIds.map(Number))) as AttemptRow[]).map((row) => ({
        deliveryId: String(row.delivery_id),
        attempt: row.attempt,
        startedAt: row.started_at,
        durationMs: row.duration_ms,
        outcome: row.outcome,
        error: row.error ?? undefined,
        ref: row.ref ?? undefined,
      })),
    );
  }

  replayEvent(id: string): Promise<boolean> {
    return this.write(() => this.sql.replayEvent.run(id).changes > 0, true);
  }

  attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptResult['outcome'], number>>>> {
    return this.read(() => {
      const counts: Record<string, Partial<Record<AttemptResult['outcome'], number>>> = {};
      for (const row of this.sql.attemptCounts.all(since) as {
        connector: string;
        outcome: AttemptResult['outcome'];
        n: number;
      }[]) {
        (counts[row.connector] ??= {})[row.outcome] = row.n;
      }
      return counts;
    });
  }

  attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]> {
    return this.read(() =>
      (
        this.db.prepare(attemptStatsSql('@since', '@bucketMs')).all({ since, bucketMs }) as Parameters<
          typeof statsRow
        >[0][]
      ).map(statsRow),
    );
  }

  redeliver(ids: readonly string[], now: number): Promise<number> {
    return this.write(() => {
      const statement = this.db.prepare(
        `UPDATE deliveries SET status = 'pending', attempts = 0, next_at = @now, lease_until = NULL, updated_at = @now
         WHERE id = @id AND (lease_until IS NULL OR lease_until <= @now)`,
      );
      let changed = 0;
      for (const id of ids) changed += statement.run({ id: Number(id), now }).changes;
      return changed;
    }, true);
  }

  stats(): Promise<StoreStats> {
    return this.read(() => {
      const counts = this.sql.eventCounts.get() as { events: number; unrouted: number | null };
      const byConnector: Record<string, { pending: number; dead: number; oldestDueAt?: number }> = {};
      for (const row of this.sql.connectorCounts.all() as {
        connector: string;
        pending: number;
        dead: number;
        oldest: number | null;
      }[]) {
        byConnector[row.connector] = {
          pending: row.pending,
          dead: row.dead,
          ...(row.oldest === null ? {} : { oldestDueAt: row.oldest }),
        };
      }
      return { events: counts.events, unrouted: counts.unrouted ?? 0, byConnector };
    });
  }

  stateGet(connector: string, key: string): Promise<string | undefined> {
    return this.read(() => (this.sql.stateGet.get(connector, key) as { value: string } | undefined)?.value);
  }

  stateSet(connector: string, key: string, value: string): Promise<void> {
    return this.write(() => {
      this.sql.stateSet.run(connector, key, value);
    }, true);
  }

  stateDelete(connector: string, key: string): Promise<void> {
    return this.write(() => {
      this.sql.stateDelete.run(connector, key);
    }, true);
  }

  setPaused(connector: string, paused: boolean, now: number): Promise<void> {
    return this.write(() => {
      if (paused) this.sql.pause.run(connector, now);
      else this.sql.resume.run(connector);
    }, true);
  }

  pausedConnectors(): Promise<string[]> {
    return this.read(() => (this.sql.paused.all() as { connector: string }[]).map((row) => row.connector));
  }

  ping(): Promise<void> {
    return this.read(() => {
      this.sql.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commits.flush();
    this.closed = true;
    await this.wal?.close();
    await this.checkpointer?.stop();
    this.db.close();
  }
}

function asUnavailable(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_')) return new StoreUnavailableError(`store write failed (${code}): ${message}`);
  return error instanceof Error ? error : new Error(message);
}

interface EventRow {
  seq: number;
  id: string;
  event: string;
  received_at: number;
  body: string;
  item_index: number;
  routed_at: number | null;
}
interface ClaimRow {
  id: number;
  event_seq: number;
  event_id: string;
  connector: string;
  route: string;
  params: string | null;
  attempts: number;
  received_at: number;
  body: string;
  item_index: number;
}
interface SummaryRow {
  seq: number;
  id: string;
  event: string;
  received_at: number;
  routed_at: number | null;
  chat_id: string | null;
  contact_phone: string | null;
}
interface SummaryDeliveryRow {
  id: number;
  event_seq: number;
  connector: string;
  status: DeliveryView['status'];
  attempts: number;
}
interface AttemptRow {
  delivery_id: number;
  attempt: number;
  started_at: number;
  duration_ms: number;
  outcome: AttemptResult['outcome'];
  error: string | null;
  ref: string | null;
}
interface DeliveryRow {
  id: number;
  event_id: string;
  event: string;
  received_at: number;
  connector: string;
  route: string;
  status: DeliveryView['status'];
  attempts: number;
  next_at: number;
  last_error: string | null;
  ref: string | null;
  updated_at: number;
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    id: row.id,
    event: row.event,
    receivedAt: row.received_at,
    body: row.body,
    itemIndex: row.item_index,
    routedAt: row.routed_at ?? undefined,
  };
}

function toClaimed(row: ClaimRow): ClaimedDelivery {
  return {
    id: String(row.id),
    eventSeq: row.event_seq,
    eventId: row.event_id,
    connector: row.connector,
    route: row.route,
    params: row.params === null ? undefined : JSON.parse(row.params),
    attempt: row.attempts + 1,
    receivedAt: row.received_at,
    body: row.body,
    itemIndex: row.item_index,
  };
}

function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: String(row.id),
    eventId: row.event_id,
    event: row.event,
    receivedAt: row.received_at,
    connector: row.connector,
    route: row.route,
    status: row.status,
    attempts: row.attempts,
    nextAt: row.next_at,
    lastError: row.last_error ?? undefined,
    ref: row.ref ?? undefined,
    updatedAt: row.updated_at,
  };
}
