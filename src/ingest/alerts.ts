import type { Logger } from '../observability/logger.ts';
import { isRouterEventName } from '../domain/event.ts';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import { rehydrate } from '../wassenger/rehydrate.ts';
import type { Ingest } from './ingest.ts';

/** The device id of the router's own events. */
export const ROUTER_DEVICE = 'wa-router';

export interface AlertSettings {
  /** Failed attempts in a row (no delivery between) that raise router:connector:failing. */
  readonly failingAfter: number;
  /** At most this many router events per connector per minute. */
  readonly maxPerMinute: number;
}

interface ConnectorWatch {
  failuresInRow: number;
  failing: boolean;
  windowStart: number;
  sentInWindow: number;
  suppressed: number;
}

/**
 * The router's own events, routed like Wassenger's (no peer has this): `router:delivery:dead` when a
 * delivery becomes a dead letter, `router:connector:failing` after `failingAfter` failed attempts in a
 * row (or when its destination becomes unreachable), `router:connector:recovered` at the next
 * delivery. Each is a webhook item `{ event, device: { id: "wa-router" }, data }` fed to the same
 * ingest as a webhook: stored durably, deduplicated, matched by routes (`when: { event: … }`), read by
 * templates (`{{ data.connector }}`, `{{ data.reason }}`). No loops: a delivery of a router event
 * raises nothing. Rate-limited per connector; what is held back is counted in the next one sent.
 */
export function createAlerts(ingest: Ingest, settings: () => AlertSettings, log: Logger) {
  const watches = new Map<string, ConnectorWatch>();
  const watchOf = (connector: string): ConnectorWatch => {
    let watch = watches.get(connector);
    if (!watch)
      watches.set(
        connector,
        (watch = { failuresInRow: 0, failing: false, windowStart: 0, sentInWindow: 0, suppressed: 0 }),
      );
    return watch;
  };

  function emit(event: string, connector: string, data: Record<string, unknown>, now: number): void {
    const watch = watchOf(connector);
    if (now - watch.windowStart >= 60_000) {
      watch.windowStart = now;
      watch.sentInWindow = 0;
    }
    if (watch.sentInWindow >= settings().maxPerMinute) {
      watch.suppressed++;
      return;
    }
    watch.sentInWindow++;
    const suppressed = watch.suppressed;
    watch.suppressed = 0;
    const at = new Date(now).toISOString();
    const item = {
      event,
      device: { id: ROUTER_DEVICE },
      data: { id: `${event}:${connector}:${data.id ?? at}`, connector, at, suppressed, ...data },
    };
    ingest(JSON.stringify(item), new Date(now)).then(
      (result) => {
        if (!result.ok) log.error({ event, problem: result.problem }, 'A router event was refused by ingest.');
      },
      (error: unknown) => log.warn({ err: error, event, connector }, 'A router event could not be stored.'),
    );
  }

  return {
    /** After each attempt result of a connector. */
    onResult(connector: string, result: AttemptResult, claimed: ClaimedDelivery): void {
      if (isRouterEvent(claimed)) return; // an alert's own failure never raises another
      const watch = watchOf(connector);
      const now = Date.now();
      if (result.outcome === 'delivered' || result.outcome === 'skipped') {
        watch.failuresInRow = 0;
        if (watch.failing) {
          watch.failing = false;
          emit('router:connector:recovered', connector, {}, now);
        }
        return;
      }
      watch.failuresInRow++;
      if (!watch.failing && watch.failuresInRow >= settings().failingAfter) {
        watch.failing = true;
        emit('router:connector:failing', connector, { reason: result.error, failures: watch.failuresInRow }, now);
      }
      if (result.status === 'dead') {
        emit(
          'router:delivery:dead',
          connector,
          {
            id: `${claimed.id}:${result.attempt}`,
            deliveryId: claimed.id,
            eventId: claimed.eventId,
            route: claimed.route,
            attempts: result.attempt,
            reason: result.error,
          },
          now,
        );
      }
    },

    /** The connector's destination became unreachable as a whole. */
    onUnreachable(connector: string, reason: string | undefined): void {
      const watch = watchOf(connector);
      if (watch.failing) return;
      watch.failing = true;
      emit('router:connector:failing', connector, { reason: reason ?? 'unreachable', unreachable: true }, Date.now());
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;

/** Deliveries of the router's own events: offered ones carry their event; claimed ones are read from the body. */
function isRouterEvent(claimed: ClaimedDelivery): boolean {
  if (claimed.event) return claimed.event.device.id === ROUTER_DEVICE && isRouterEventName(claimed.event.event);
  if (!claimed.body.includes(ROUTER_DEVICE)) return false;
  try {
    const event = rehydrate({
      id: claimed.eventId,
      body: claimed.body,
      itemIndex: claimed.itemIndex,
      receivedAt: claimed.receivedAt,
    });
    return event.device.id === ROUTER_DEVICE && isRouterEventName(event.event);
  } catch {
    return false;
  }
}
