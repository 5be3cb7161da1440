import type { ClaimedDelivery } from '../../domain/delivery.ts';
import type { AppendResult, IncomingWebhook, NewEvent } from '../store.ts';
import { phoneKey } from '../store.ts';
import type { PostgresConnection } from './connection.ts';

/** Appending webhooks to the PostgreSQL store (the queue's durable write, acknowledged to Wassenger). */
export class PostgresAppend {
  constructor(private readonly connection: PostgresConnection) {}

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
      const { rows } = await this.connection.query<{
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
                ${events.some((event) => !event.routed) ? `pg_notify('${this.connection.eventsChannel}', '')` : 'NULL'} AS notified,
                (SELECT pg_notify('${this.connection.deliveriesChannel}', q.connectors)
                 FROM (SELECT string_agg(DISTINCT d.connector, ',') AS connectors FROM d WHERE d.lease_until IS NULL) q
                 WHERE q.connectors IS NOT NULL) AS planned`,
        [webhook.receivedAt, webhook.body, JSON.stringify(events), JSON.stringify(deliveries)],
      );
      const row = rows[0]!;
      const accepted = Number(row.accepted);
      if (accepted === 0) await this.connection.query('DELETE FROM webhooks WHERE seq = $1', [row.seq]);
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
}
