import type { AttemptResult, ClaimedDelivery } from '../../domain/delivery.ts';
import type { AppendResult, ClaimRequest, DeliveryQueue, IncomingWebhook, RoutingPlan, StoredEvent } from '../store.ts';
import { exchangeColumn } from '../exchange-column.ts';
import { phoneKey } from '../store.ts';
import type { SqliteConnection } from './connection.ts';
import { type ClaimRow, type EventRow, toClaimed, toStoredEvent } from './rows.ts';

/** The queue role of the SQLite store: append, route, claim, record. */
export class SqliteQueue implements DeliveryQueue {
  constructor(private readonly connection: SqliteConnection) {}

  appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    return this.connection.write(() => webhooks.map((webhook) => this.appendOne(webhook)), true);
  }

  private appendOne(webhook: IncomingWebhook): AppendResult {
    const { sql } = this.connection;
    // Most webhooks are new: insert first, and take the body back out if every event was known.
    const webhookSeq = sql.insertWebhook.run(webhook.receivedAt, webhook.body).lastInsertRowid;
    let accepted = 0;
    const leased: ClaimedDelivery[] = [];
    for (const event of webhook.events) {
      // OR IGNORE: an id already stored (or twice in one request) is a duplicate, stored once.
      const routedAt = event.plan ? webhook.receivedAt : null;
      const inserted = sql.insertEvent.run(
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
        const at = webhook.receivedAt;
        const id = sql.insertDelivery.run(
          inserted.lastInsertRowid,
          delivery.connector,
          delivery.route,
          params,
          delivery.chatKey ?? null,
          lease === null ? 0 : 1,
          at,
          lease,
          at,
          at,
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
            receivedAt: at,
            body: webhook.body,
            itemIndex: event.itemIndex,
            leaseUntil: lease,
          });
        }
      }
    }
    if (accepted === 0) sql.deleteWebhookIfOrphan.run({ seq: webhookSeq });
    return { accepted, duplicates: webhook.events.length - accepted, leased };
  }

  takeUnrouted(limit: number): Promise<StoredEvent[]> {
    return this.connection.read(() => (this.connection.sql.unrouted.all(limit) as EventRow[]).map(toStoredEvent));
  }

  planDeliveries(plans: readonly RoutingPlan[], now: number): Promise<void> {
    const { sql } = this.connection;
    return this.connection.write(() => {
      for (const plan of plans) {
        for (const delivery of plan.deliveries) {
          const params = delivery.params === undefined ? null : JSON.stringify(delivery.params);
          sql.upsertDelivery.run(
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
        sql.markRouted.run(now, plan.eventSeq);
      }
    });
  }

  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const { sql } = this.connection;
    return this.connection.write(() => {
      const ids = request.orderByChat
        ? this.orderedDueIds(request)
        : (sql.dueIds.all(request.connector, request.now, request.now, request.limit) as { id: number }[]).map(
            (row) => row.id,
          );
      if (ids.length === 0) return [];
      const list = JSON.stringify(ids);
      const rows = sql.claimedRows.all(list) as ClaimRow[];
      sql.lease.run(request.now + request.leaseMs, request.now, list);
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
    for (const row of this.connection.sql.pendingInOrder.iterate(request.connector) as IterableIterator<
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
    const { sql } = this.connection;
    return this.connection.write(
      () => {
        for (const result of results) {
          const id = Number(result.id);
          const error = result.error ?? null;
          const ref = result.ref ?? null;
          const endedAt = result.startedAt + result.durationMs;
          sql.updateDelivery.run(result.status, result.nextAt ?? null, error, ref, endedAt, id);
          const exchange = exchangeColumn(result.exchange);
          sql.insertAttempt.run(
            id,
            result.attempt,
            result.startedAt,
            result.durationMs,
            result.outcome,
            error,
            ref,
            exchange,
          );
        }
      },
      false,
      !options.urgent,
    );
  }

  nextDueAt(connector: string, after?: number): Promise<number | undefined> {
    return this.connection.read(() => {
      const row = this.connection.sql.nextDue.get(connector, after ?? -1) as { next: number | null } | undefined;
      return row?.next ?? undefined;
    });
  }

  /** One router instance owns an SQLite file: leases left by a previous process are void. */
  recoverAtStart(): Promise<number> {
    return this.connection.write(() => this.connection.sql.releaseLeases.run().changes);
  }
}
