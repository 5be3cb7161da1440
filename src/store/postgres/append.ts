import type { ClaimedDelivery } from '../../domain/delivery.ts';
import type { AppendResult, IncomingWebhook, NewEvent } from '../store.ts';
import { StoreUnavailableError, phoneKey } from '../store.ts';
import type { PostgresConnection } from './connection.ts';

interface PendingAppend {
  readonly webhooks: readonly IncomingWebhook[];
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

interface AppendRow {
  hooks: { n: number; seq: number }[];
  events: { seq: number; id: string; webhook: number }[] | null;
  leased: { id: number; seq: number; connector: string }[] | null;
}

/**
 * The webhooks, their new events (a known id is a duplicate, stored once) and the deliveries
 * planned at ingest, in ONE statement: webhooks get their seq from the sequence up front, so the
 * events can name them. $1 webhooks, $2 events, $3 deliveries (jsonb arrays).
 */
const APPEND = (eventsChannel: string, deliveriesChannel: string, notifyEvents: boolean) => `
  WITH x AS MATERIALIZED (
         SELECT x.n, nextval('webhooks_seq_seq') AS seq, x.received_at, x.body
         FROM jsonb_to_recordset($1::jsonb) AS x(n INTEGER, received_at BIGINT, body TEXT)),
       w AS (INSERT INTO webhooks (seq, received_at, body) SELECT seq, received_at, body FROM x),
       e AS (INSERT INTO events (id, webhook_seq, item_index, event, chat_id, received_at, contact_phone, routed_at)
             SELECT v.id, x.seq, v.item_index, v.event, v.chat_id, x.received_at, v.contact_phone,
                    CASE WHEN v.routed THEN x.received_at END
             FROM jsonb_to_recordset($2::jsonb) AS v(n INTEGER, id TEXT, item_index INTEGER, event TEXT, chat_id TEXT, contact_phone TEXT, routed BOOLEAN)
             JOIN x ON x.n = v.n ORDER BY v.n, v.item_index
             ON CONFLICT (id) DO NOTHING RETURNING seq, id, webhook_seq, received_at),
       d AS (INSERT INTO deliveries (event_seq, connector, route, params, chat_key, status, attempts, next_at, lease_until, created_at, updated_at)
             SELECT e.seq, y.connector, y.route, y.params, y.chat_key, 'pending', CASE WHEN y.lease_until IS NULL THEN 0 ELSE 1 END,
                    e.received_at, y.lease_until, e.received_at, e.received_at
             FROM e JOIN x ON x.seq = e.webhook_seq
             JOIN jsonb_to_recordset($3::jsonb) AS y(n INTEGER, event_id TEXT, connector TEXT, route TEXT, params TEXT, chat_key TEXT, lease_until BIGINT)
               ON y.n = x.n AND y.event_id = e.id
             RETURNING id, event_seq, connector, lease_until)
  SELECT (SELECT json_agg(json_build_object('n', x.n, 'seq', x.seq)) FROM x) AS hooks,
         (SELECT json_agg(json_build_object('seq', e.seq, 'id', e.id, 'webhook', e.webhook_seq)) FROM e) AS events,
         (SELECT json_agg(json_build_object('id', d.id, 'seq', d.event_seq, 'connector', d.connector) ORDER BY d.id)
          FROM d WHERE d.lease_until IS NOT NULL) AS leased,
         ${notifyEvents ? `pg_notify('${eventsChannel}', '')` : 'NULL'} AS notified,
         (SELECT pg_notify('${deliveriesChannel}', q.connectors)
          FROM (SELECT string_agg(DISTINCT d.connector, ',') AS connectors FROM d WHERE d.lease_until IS NULL) q
          WHERE q.connectors IS NOT NULL) AS planned`;

/**
 * Appending webhooks to the PostgreSQL store, with group commit as the SQLite store has it: the
 * webhooks asked for during one event-loop turn go in one statement, so one transaction and one
 * WAL flush cover them all. If the group fails for one webhook's sake, each is tried alone, so
 * only the faulty one fails; a store that is unavailable fails them all.
 */
export class PostgresAppend {
  private queue: PendingAppend[] = [];
  private scheduled = false;

  constructor(private readonly connection: PostgresConnection) {}

  appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    if (webhooks.length === 0) return Promise.resolve([]);
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.queue.push({ webhooks, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const group = this.queue;
    this.queue = [];
    try {
      const results = await this.insert(group.flatMap((pending) => pending.webhooks));
      let at = 0;
      for (const pending of group) {
        pending.resolve(results.slice(at, at + pending.webhooks.length));
        at += pending.webhooks.length;
      }
    } catch (error) {
      if (group.length === 1 || error instanceof StoreUnavailableError) {
        for (const pending of group) pending.reject(error);
      } else {
        for (const pending of group) this.insert(pending.webhooks).then(pending.resolve, pending.reject);
      }
    }
  }

  private async insert(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    // The plan of an id's first occurrence in a webhook only: a repeat in the same request is a duplicate.
    const planned = webhooks.map((webhook) => {
      const first = new Map<string, NewEvent>();
      for (const event of webhook.events) if (!first.has(event.id)) first.set(event.id, event);
      return first;
    });
    const hooks = webhooks.map((webhook, n) => ({ n, received_at: webhook.receivedAt, body: webhook.body }));
    const events = webhooks.flatMap((webhook, n) =>
      webhook.events.map((event) => ({
        n,
        id: event.id,
        item_index: event.itemIndex,
        event: event.event,
        chat_id: event.chatId ?? null,
        contact_phone: phoneKey(event.contactPhone) ?? null,
        routed: event.plan !== undefined,
      })),
    );
    const deliveries = planned.flatMap((first, n) =>
      [...first.values()].flatMap((event) =>
        (event.plan ?? []).map((delivery) => ({
          n,
          event_id: event.id,
          connector: delivery.connector,
          route: delivery.route,
          chat_key: delivery.chatKey ?? null,
          params: delivery.params === undefined ? null : JSON.stringify(delivery.params),
          lease_until: delivery.leaseUntil ?? null,
        })),
      ),
    );
    const { eventsChannel, deliveriesChannel } = this.connection;
    const { rows } = await this.connection.query<AppendRow>(
      APPEND(
        eventsChannel,
        deliveriesChannel,
        events.some((event) => !event.routed),
      ),
      [JSON.stringify(hooks), JSON.stringify(events), JSON.stringify(deliveries)],
    );
    return this.results(webhooks, planned, rows[0]!);
  }

  /** Each webhook's result; the webhooks whose every event was known are taken out again. */
  private async results(
    webhooks: readonly IncomingWebhook[],
    planned: readonly Map<string, NewEvent>[],
    row: AppendRow,
  ): Promise<AppendResult[]> {
    const nOfSeq = new Map(row.hooks.map((hook) => [Number(hook.seq), hook.n]));
    const accepted = webhooks.map(() => 0);
    const eventOfSeq = new Map<number, { n: number; event: NewEvent }>();
    for (const stored of row.events ?? []) {
      const n = nOfSeq.get(Number(stored.webhook))!;
      accepted[n]!++;
      eventOfSeq.set(Number(stored.seq), { n, event: planned[n]!.get(stored.id)! });
    }
    const leased: ClaimedDelivery[][] = webhooks.map(() => []);
    for (const entry of row.leased ?? []) {
      const { n, event } = eventOfSeq.get(Number(entry.seq))!;
      const delivery = event.plan!.find((candidate) => candidate.connector === entry.connector)!;
      leased[n]!.push({
        id: String(entry.id),
        eventSeq: Number(entry.seq),
        eventId: event.id,
        connector: entry.connector,
        route: delivery.route,
        params: delivery.params,
        attempt: 1,
        receivedAt: webhooks[n]!.receivedAt,
        body: webhooks[n]!.body,
        itemIndex: event.itemIndex,
        leaseUntil: delivery.leaseUntil,
      });
    }
    const unused = row.hooks.filter((hook) => accepted[hook.n] === 0).map((hook) => hook.seq);
    if (unused.length > 0) await this.connection.query('DELETE FROM webhooks WHERE seq = ANY($1::bigint[])', [unused]);
    return webhooks.map((webhook, n) => ({
      accepted: accepted[n]!,
      duplicates: webhook.events.length - accepted[n]!,
      leased: leased[n]!,
    }));
  }
}
