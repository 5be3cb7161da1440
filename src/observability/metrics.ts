import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import type { StoreInspector, StoreStats } from '../store/store.ts';

/** One scrape reads the store's stats once for all the gauges that come from it. */
const STATS_FRESH_MS = 500;

/**
 * The router's Prometheus metrics, in a registry of its own (so tests can run several routers).
 * Node's default metrics keep their standard names (`process_*`, `nodejs_*`) so the usual Node.js
 * dashboards work unchanged. `connectors` names the configured connectors: their gauges are
 * exported as 0 rather than missing, so an alert on them sees a series from the start.
 */
export function createMetrics(store: Pick<StoreInspector, 'stats'>, connectors: () => Iterable<string> = () => []) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const webhooks = new Counter({
    name: 'wa_router_webhooks_total',
    help: 'Webhook requests by result (accepted, duplicate, or the reason of a rejection).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'wa_router_events_total',
    help: 'Events received, by outcome (accepted, duplicate) and Wassenger event type.',
    labelNames: ['outcome', 'event'] as const,
    registers: [registry],
  });
  const routeMatches = new Counter({
    name: 'wa_router_route_matches_total',
    help: 'Events matched, by route.',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const ingestSeconds = new Histogram({
    name: 'wa_router_ingest_duration_seconds',
    help: 'Time from request start to the acknowledgement (body read, validation, durable write).',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const unmatched = new Counter({
    name: 'wa_router_unmatched_events_total',
    help: 'Events that matched no route.',
    registers: [registry],
  });
  storeGauges(registry, store, connectors);
  const delivery = deliveryMetrics(registry);
  /** Count the routes an event matched (none: an unmatched event). */
  const recordRouted = (matched: readonly string[]): void => {
    if (matched.length === 0) unmatched.inc();
    for (const route of matched) routeMatches.inc({ route });
  };
  return {
    registry,
    webhooks,
    events,
    ingestSeconds,
    ...delivery,
    unmatched,
    routeMatches,
    recordRouted,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Delivery attempts: counts by outcome, durations, retries, dead letters, receipt-to-delivery latency. */
function deliveryMetrics(registry: Registry) {
  const deliveryLatency = new Histogram({
    name: 'wa_router_delivery_latency_seconds',
    help: 'Time from the receipt of an event to its delivery, per connector (retries included).',
    labelNames: ['connector'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'wa_router_deliveries_total',
    help: 'Delivery attempts by connector and outcome (delivered, skipped, retry, failed, dead).',
    labelNames: ['connector', 'outcome'] as const,
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'wa_router_dead_letters_total',
    help: 'Deliveries that became dead letters.',
    labelNames: ['connector'] as const,
    registers: [registry],
  });
  const deliverySeconds = new Histogram({
    name: 'wa_router_delivery_duration_seconds',
    help: 'Duration of delivery attempts.',
    labelNames: ['connector'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'wa_router_retries_total',
    help: 'Failed attempts scheduled for another try, by connector.',
    labelNames: ['connector'] as const,
    registers: [registry],
  });
  const connectorDown = new Gauge({
    name: 'wa_router_connector_unreachable',
    help: '1 while a connector destination is down as a whole (its deliveries held, probed one at a time).',
    labelNames: ['connector'] as const,
    registers: [registry],
  });
  /**
   * Count one recorded attempt: its outcome, duration, a scheduled retry or a new dead letter.
   * A retryable failure that ran out of attempts (or time) is counted `dead`, not `retry`: nothing
   * follows it, and `delivered / all` is then the success rate.
   */
  const recordAttempt = (connector: string, result: AttemptResult, claimed?: ClaimedDelivery): void => {
    const outcome = result.outcome === 'retry' && result.status === 'dead' ? 'dead' : result.outcome;
    deliveries.inc({ connector, outcome });
    deliverySeconds.observe({ connector }, result.durationMs / 1000);
    if (result.status === 'pending') retries.inc({ connector });
    if (result.status === 'dead') deadLetters.inc({ connector });
    if (result.outcome === 'delivered' && claimed) {
      const deliveredAt = result.startedAt + result.durationMs;
      deliveryLatency.observe({ connector }, Math.max(0, deliveredAt - claimed.receivedAt) / 1000);
    }
  };
  return { deliveries, deadLetters, deliverySeconds, retries, deliveryLatency, connectorDown, recordAttempt };
}

/** The gauges read from the store at scrape time (one read of its stats per scrape for all of them). */
function storeGauges(
  registry: Registry,
  store: Pick<StoreInspector, 'stats'>,
  connectors: () => Iterable<string>,
): void {
  let cached: { at: number; stats: Promise<StoreStats> } | undefined;
  const stats = (): Promise<StoreStats> => {
    const now = Date.now();
    if (!cached || now - cached.at > STATS_FRESH_MS) {
      cached = { at: now, stats: store.stats() };
      cached.stats.catch(() => (cached = undefined));
    }
    return cached.stats;
  };
  new Gauge({
    name: 'wa_router_queue_oldest_due_age_seconds',
    help: 'How long the oldest due pending delivery of each connector has been waiting (0 when none is due yet).',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const now = Date.now();
      for (const [connector, counts] of Object.entries((await stats()).byConnector)) {
        if (counts.pending > 0)
          this.set({ connector }, counts.oldestDueAt === undefined ? 0 : Math.max(0, now - counts.oldestDueAt) / 1000);
      }
    },
  });
  new Gauge({
    name: 'wa_router_unrouted_events',
    help: 'Stored events not yet routed.',
    registers: [registry],
    async collect() {
      this.set((await stats()).unrouted);
    },
  });
  /** A per-connector count from the store, 0 for every configured connector that has none. */
  const perConnector = (name: string, help: string, count: (counts: StoreStats['byConnector'][string]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['connector'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const connector of connectors()) this.set({ connector }, 0);
        for (const [connector, counts] of Object.entries((await stats()).byConnector))
          this.set({ connector }, count(counts));
      },
    });
  perConnector('wa_router_queue_depth', 'Pending deliveries per connector.', (counts) => counts.pending);
  perConnector('wa_router_dead_letters', 'Dead letters waiting per connector.', (counts) => counts.dead);
}
