import { attemptStatsSql, statsRow } from '../attempt-stats-sql.ts';
import { exchangeOfColumn } from '../exchange-column.ts';
import type { AttemptOutcome, AttemptView, DeliveryStatus, DeliveryView } from '../../domain/delivery.ts';
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
import type { PostgresConnection } from './connection.ts';
import { type DeliveryRow, type EventRow, type SummaryRow, toDeliveryView, toStoredEvent } from './rows.ts';

/** The inspector role of the PostgreSQL store: read-only views for the admin API, the CLI and metrics. */
export class PostgresInspector implements StoreInspector {
  constructor(private readonly connection: PostgresConnection) {}

  async listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]> {
    const { rows } = await this.connection.query<DeliveryRow>(
      `SELECT d.id, e.id AS event_id, e.event, e.received_at, d.connector, d.route, d.status, d.attempts,
              d.next_at, d.last_error, d.ref, d.updated_at
       FROM deliveries d JOIN events e ON e.seq = d.event_seq
       WHERE ($1::text IS NULL OR d.status = $1) AND ($2::text IS NULL OR d.connector = $2) AND ($3::text IS NULL OR e.id = $3)
       ORDER BY d.updated_at DESC, d.id DESC LIMIT $4`,
      [query.status ?? null, query.connector ?? null, query.eventId ?? null, query.limit],
    );
    return rows.map(toDeliveryView);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const { rows } = await this.connection.query<EventRow>(
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
    const { rows } = await this.connection.query<SummaryRow>(
      `SELECT ${EVENT_SUMMARY_COLUMNS} FROM events e ${where} ORDER BY e.seq DESC LIMIT $${values.length}`,
      values,
    );
    const page = rows.slice(0, query.limit);
    const deliveries = new Map<string, EventSummary['deliveries']>();
    if (page.length > 0) {
      const found = await this.connection.query<{
        id: string;
        event_seq: string;
        connector: string;
        status: DeliveryStatus;
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
    const { rows } = await this.connection.query<{
      delivery_id: string;
      attempt: number;
      started_at: string;
      duration_ms: number;
      outcome: AttemptOutcome;
      error: string | null;
      ref: string | null;
      exchange: string | null;
    }>(
      `SELECT delivery_id, attempt, started_at, duration_ms, outcome, error, ref, exchange FROM attempts
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
      exchange: exchangeOfColumn(row.exchange),
    }));
  }

  async attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]> {
    const { rows } = await this.connection.query<Parameters<typeof statsRow>[0]>(
      attemptStatsSql('$1::bigint', '$2::bigint'),
      [since, bucketMs],
    );
    return rows.map(statsRow);
  }

  async attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptOutcome, number>>>> {
    const { rows } = await this.connection.query<{ connector: string; outcome: AttemptOutcome; n: string }>(
      `SELECT d.connector, a.outcome, count(*) AS n FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE a.started_at >= $1 GROUP BY d.connector, a.outcome`,
      [since],
    );
    const counts: Record<string, Partial<Record<AttemptOutcome, number>>> = {};
    for (const row of rows) (counts[row.connector] ??= {})[row.outcome] = Number(row.n);
    return counts;
  }

  async stats(): Promise<StoreStats> {
    const counts = await this.connection.query<{ events: string; unrouted: string }>(
      'SELECT count(*) AS events, count(*) FILTER (WHERE routed_at IS NULL) AS unrouted FROM events',
    );
    const byConnector: Record<string, { pending: number; dead: number; oldestDueAt?: number }> = {};
    const { rows } = await this.connection.query<{
      connector: string;
      pending: string;
      dead: string;
      oldest: string | null;
    }>(
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
}
