import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptResult } from '../domain/delivery.ts';
import type { StoreInspector, StoreStats } from '../store/store.ts';

/** One scrape reads the store's stats once for all the gauges that come from it. */
const STATS_FRESH_MS = 500;

/** The router's Prometheus metrics, in a registry of its own (so tests can run several routers). */
export function createMetrics(store: Pick<StoreInspector, 'stats'>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wa_router_' });
  const webhooks = new Counter({
    name: 'wa_router_webhooks_total',
    help: 'Webhook requests by result (accepted, duplicate, or the reason of a rejection).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'wa_router_events_total',
    help: 'Events received, by outcome (accepted, duplicate).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const ingestSeconds = new Histogram({
    name: 'wa_router_ingest_duration_seconds',
    help: 'Time from request start to the acknowledgement (body read, validation, durable write).',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'wa_router_deliveries_total',
    help: 'Delivery attempts by connector and outcome.',
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
  const unmatched = new Counter({
    name: 'wa_router_unmatched_events_total',
    help: 'Events that matched no route.',
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
  new Gauge({
    name: 'wa_router_queue_depth',
    help: 'Pending deliveries per connector.',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [connector, counts] of Object.entries((await stats()).byConnector))
        this.set({ connector }, counts.pending);
    },
  });
  new Gauge({
    name: 'wa_router_dead_letters',
    help: 'Dead letters waiting per connector.',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [connector, counts] of Object.entries((await stats()).byConnector))
        this.set({ connector }, counts.dead);
    },
  });
  /** Count one recorded attempt: its outcome, duration, a scheduled retry or a new dead letter. */
  const recordAttempt = (connector: string, result: AttemptResult): void => {
    deliveries.inc({ connector, outcome: result.outcome });
    deliverySeconds.observe({ connector }, result.durationMs / 1000);
    if (result.status === 'pending') retries.inc({ connector });
    if (result.status === 'dead') deadLetters.inc({ connector });
  };
  return {
    registry,
    webhooks,
    events,
    ingestSeconds,
    deliveries,
    deadLetters,
    deliverySeconds,
    unmatched,
    retries,
    connectorDown,
    recordAttempt,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
