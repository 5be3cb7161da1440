import type { CompiledRoute } from '../domain/route.ts';
import { isRouterEventName, type RoutedEvent } from '../domain/event.ts';
import { logPlan, planEvent } from '../routing/plan.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClaimedDelivery, NewDelivery } from '../domain/delivery.ts';
import type { DeliveryQueue, NewEvent } from '../store/store.ts';
import { normalizeItem } from '../wassenger/normalize.ts';
import { parseWebhookBody } from '../wassenger/payload.ts';

/** Why a body was refused, in words that say what is wrong and where. */
export interface PayloadProblem {
  readonly error: 'invalid_json' | 'invalid_payload';
  readonly message: string;
  readonly issues?: readonly { path: string; message: string }[];
}

export type IngestResult =
  | {
      readonly ok: true;
      readonly accepted: number;
      readonly duplicates: number;
      readonly eventIds: readonly string[];
      /** The Wassenger event type of each event, in the order of eventIds. */
      readonly eventTypes: readonly string[];
    }
  | { readonly ok: false; readonly problem: PayloadProblem };

/** The dispatcher as ingest sees it: the one port through which stored deliveries reach it. */
export interface DeliveryPort {
  /**
   * The lease to create a new delivery of this connector with, when the dispatcher will send it
   * from memory (undefined: it is stored pending, and the connector's worker claims it).
   */
  leaseFor(connector: string, now: number): number | undefined;
  /** Deliveries stored leased (now durable), for their workers' inboxes. */
  offer(deliveries: readonly ClaimedDelivery[]): void;
  /** Deliveries were stored pending for these connectors: their workers look in the store. */
  wake(connectors: ReadonlySet<string>): void;
}

export interface IngestOptions {
  readonly store: Pick<DeliveryQueue, 'appendWebhooks'>;
  /** The routes of the running config (routing is decided at ingest, in the same transaction). */
  readonly routes: () => readonly CompiledRoute[];
  readonly dispatch: DeliveryPort;
  /** An event matched no route. */
  readonly onUnmatched?: (event: RoutedEvent) => void;
  /** A new (not duplicate) event was routed: the routes it matched, maybe none. */
  readonly onRouted?: (event: RoutedEvent, matched: readonly string[]) => void;
  /** Routing decisions at debug level, and routes that failed on an event. */
  readonly log?: Logger;
  /** Take `router:*` events (the router's own, see alerts.ts); a webhook claiming one is refused. */
  readonly acceptRouterEvents?: boolean;
}

/**
 * Validate a webhook body, derive its events, route them and append them with their deliveries
 * durably (deduplicated) in one transaction. Resolves only after the store committed; rejects with
 * StoreUnavailableError when it could not. Then the deliveries reach the dispatcher through its one
 * port: those it has room for were created leased and go into its inbox from memory (a quiet router
 * delivers without a claim per event), the others wake their workers to claim them.
 */
export function createIngest(options: IngestOptions) {
  const { store } = options;
  return async function ingest(rawBody: string, receivedAt: Date): Promise<IngestResult> {
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch (error) {
      return {
        ok: false,
        problem: { error: 'invalid_json', message: `body is not valid JSON: ${(error as Error).message}` },
      };
    }
    const parsed = parseWebhookBody(json);
    if (!parsed.ok)
      return { ok: false, problem: { error: 'invalid_payload', message: parsed.error, issues: parsed.issues } };
    const spoofed = options.acceptRouterEvents ? -1 : parsed.items.findIndex((item) => isRouterEventName(item.event));
    if (spoofed >= 0) {
      const message = `router:* events are the router's own and cannot come in a webhook (${parsed.items[spoofed]!.event})`;
      return { ok: false, problem: { error: 'invalid_payload', message, issues: [{ path: 'event', message }] } };
    }
    const now = receivedAt.getTime();
    const routes = options.routes();
    const normalized = parsed.items.map((item) => normalizeItem(item, receivedAt));
    const pendingFor = new Set<string>();
    const unmatched: RoutedEvent[] = [];
    const routed: [RoutedEvent, readonly string[]][] = [];
    const debug = options.log?.isLevelEnabled('debug') ?? false;
    const events = normalized.map((event, itemIndex): NewEvent => {
      const stored = {
        id: event.id,
        event: event.event,
        itemIndex,
        chatId: event.chat?.id,
        contactPhone: event.contact?.phone,
      };
      let plan: ReturnType<typeof planEvent>;
      try {
        plan = planEvent(event, routes);
      } catch (error) {
        // Never refuse a webhook for a route's fault: store it unrouted; the routing stage retries and logs it.
        options.log?.error(
          { eventId: event.id, err: error },
          'Routing failed at ingest; the event is stored unrouted.',
        );
        return stored;
      }
      if (plan.matched.length === 0) unmatched.push(event);
      routed.push([event, plan.matched]);
      if (debug) logPlan(options.log!, event, plan);
      const deliveries = plan.deliveries.map((delivery): NewDelivery => {
        const leaseUntil = options.dispatch.leaseFor(delivery.connector, now);
        if (leaseUntil === undefined) pendingFor.add(delivery.connector);
        return leaseUntil === undefined ? delivery : { ...delivery, leaseUntil };
      });
      return { ...stored, plan: deliveries };
    });
    const [result] = await store.appendWebhooks([{ body: rawBody, receivedAt: now, events }]);
    if (result!.duplicates === 0) {
      for (const event of unmatched) options.onUnmatched?.(event);
      for (const [event, matched] of routed) options.onRouted?.(event, matched);
    }
    // The leased deliveries belong to events stored just now: they travel with their normalized
    // event, so the dispatcher does not parse the body again.
    if (result!.leased.length > 0) {
      options.dispatch.offer(
        result!.leased.map((delivery) => ({ ...delivery, event: normalized[delivery.itemIndex] })),
      );
    }
    if (result!.accepted > 0 && pendingFor.size > 0) options.dispatch.wake(pendingFor);
    return {
      ok: true,
      accepted: result!.accepted,
      duplicates: result!.duplicates,
      eventIds: events.map((event) => event.id),
      eventTypes: events.map((event) => event.event),
    };
  };
}

export type Ingest = ReturnType<typeof createIngest>;
