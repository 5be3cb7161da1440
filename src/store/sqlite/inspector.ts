import type { Statement } from 'better-sqlite3';
import type { AttemptOutcome, AttemptView, DeliveryView } from '../../domain/delivery.ts';
import { attemptStatsSql, statsRow } from '../attempt-stats-sql.ts';
import { exchangeOfColumn } from '../exchange-column.ts';
import { EVENT_SUMMARY_COLUMNS, eventSearchWhere } from '../search-sql.ts';
import type {
  AttemptStatsRow,
  DeliveryQuery,
  EventPage,
  EventSearch,
  EventSummary,
  StoreInspector,
  StoreStats,
  StoredEvent,
} from '../store.ts';
import type { SqliteConnection } from './connection.ts';
import {
  type AttemptRow,
  type DeliveryRow,
  type EventRow,
  type SummaryDeliveryRow,
  type SummaryRow,
  toDeliveryView,
  toStoredEvent,
} from './rows.ts';

/** The inspector role of the SQLite store: read-only views for the admin API, the CLI and metrics. */
export class SqliteInspector implements StoreInspector {
  /** Search statements by the shape of their WHERE clause (a few shapes in practice). */
  private readonly searches = new Map<string, Statement>();

  constructor(private readonly connection: SqliteConnection) {}

  getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.connection.read(() => {
      const row = this.connection.sql.eventById.get(id) as EventRow | undefined;
      return row && toStoredEvent(row);
    });
  }

  searchEvents(query: EventSearch): Promise<EventPage> {
    return this.connection.read(() => {
      const values: (string | number)[] = [];
      const where = eventSearchWhere(query, (value) => {
        values.push(value);
        return '?';
      });
      const rows = this.search(where).all(...values, query.limit + 1) as SummaryRow[];
      const page = rows.slice(0, query.limit);
      const deliveries = this.deliveriesOf(page.map((event) => event.seq));
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

  /** The statement of one shape of search, prepared once (a few shapes in practice). */
  private search(where: string) {
    const text = `SELECT ${EVENT_SUMMARY_COLUMNS} FROM events e ${where} ORDER BY e.seq DESC LIMIT ?`;
    let statement = this.searches.get(text);
    if (!statement) {
      statement = this.connection.db.prepare(text);
      if (this.searches.size < 256) this.searches.set(text, statement);
    }
    return statement;
  }

  private deliveriesOf(seqs: readonly number[]): Map<number, EventSummary['deliveries']> {
    const deliveries = new Map<number, EventSummary['deliveries']>();
    if (seqs.length === 0) return deliveries;
    for (const row of this.connection.sql.deliveriesOfEvents.all(JSON.stringify(seqs)) as SummaryDeliveryRow[]) {
      const list = deliveries.get(row.event_seq) ?? [];
      list.push({ id: String(row.id), connector: row.connector, status: row.status, attempts: row.attempts });
      deliveries.set(row.event_seq, list);
    }
    return deliveries;
  }

  listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]> {
    return this.connection.read(() => {
      const rows = this.connection.sql.listDeliveries.all({
        status: query.status ?? null,
        connector: query.connector ?? null,
        eventId: query.eventId ?? null,
        limit: query.limit,
      }) as DeliveryRow[];
      return rows.map(toDeliveryView);
    });
  }

  attemptsOf(deliveryIds: readonly string[]): Promise<AttemptView[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return this.connection.read(() =>
      (this.connection.sql.attemptsOf.all(JSON.stringify(deliveryIds.map(Number))) as AttemptRow[]).map((row) => ({
        deliveryId: String(row.delivery_id),
        attempt: row.attempt,
        startedAt: row.started_at,
        durationMs: row.duration_ms,
        outcome: row.outcome,
        error: row.error ?? undefined,
        ref: row.ref ?? undefined,
        exchange: exchangeOfColumn(row.exchange),
      })),
    );
  }

  attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]> {
    return this.connection.read(() =>
      (
        this.connection.db.prepare(attemptStatsSql('@since', '@bucketMs')).all({ since, bucketMs }) as Parameters<
          typeof statsRow
        >[0][]
      ).map(statsRow),
    );
  }

  attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptOutcome, number>>>> {
    return this.connection.read(() => {
      const counts: Record<string, Partial<Record<AttemptOutcome, number>>> = {};
      const rows = this.connection.sql.attemptCounts.all(since) as {
        connector: string;
        outcome: AttemptOutcome;
        n: number;
      }[];
      for (const row of rows) (counts[row.connector] ??= {})[row.outcome] = row.n;
      return counts;
    });
  }

  stats(): Promise<StoreStats> {
    const { sql } = this.connection;
    return this.connection.read(() => {
      const counts = sql.eventCounts.get() as { events: number; unrouted: number | null };
      const byConnector: Record<string, { pending: number; dead: number; oldestDueAt?: number }> = {};
      const rows = sql.connectorCounts.all() as {
        connector: string;
        pending: number;
        dead: number;
        oldest: number | null;
      }[];
      for (const row of rows) {
        byConnector[row.connector] = {
          pending: row.pending,
          dead: row.dead,
          ...(row.oldest === null ? {} : { oldestDueAt: row.oldest }),
        };
      }
      return { events: counts.events, unrouted: counts.unrouted ?? 0, byConnector };
    });
  }
}
