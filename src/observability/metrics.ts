import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.ts';

/** The router's Prometheus metrics, in a registry of its own (so tests can run several routers). */
export function createMetrics(store: Store) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wa_router_' });
  const webhooks = new Counter({
    name: 'wa_router_webhooks_total',
    help: 'Webhook requests by result (accepted, duplicate, or the reason of a rejection).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const events = new Counter({ name: 'wa_router_events_total', help: 'Events received, by outcome (accepted, duplicate).', labelNames: ['outcome'] as const, registers: [registry] });
  const ingestSeconds = new Histogram({
    name: 'wa_router_ingest_duration_seconds',
    help: 'Time from request start to the acknowledgement (body read, validation, durable write).',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const deliveries = new Counter({ name: 'wa_router_deliveries_total', help: 'Delivery attempts by connector and outcome.', labelNames: ['connector', 'outcome'] as const, registers: [registry] });
  const deadLetters = new Counter({ name: 'wa_router_dead_letters_total', help: 'Deliveries that became dead letters.', labelNames: ['connector'] as const, registers: [registry] });
  const deliverySeconds = new Histogram({
    name: 'wa_router_delivery_duration_seconds',
    help: 'Duration of delivery attempts.',
    labelNames: ['connector'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const unmatched = new Counter({ name: 'wa_router_unmatched_events_total', help: 'Events that matched no route.', registers: [registry] });
  new Gauge({
    name: 'wa_router_queue_depth',
    help: 'Pending deliveries per connector.',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const stats = await store.stats();
      for (const [connector, counts] of Object.entries(stats.byConnector)) this.set({ connector }, counts.pending);
    },
  });
  new Gauge({
    name: 'wa_router_dead_letters',
    help: 'Dead letters waiting per connector.',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const stats = await store.stats();
      for (const [connector, counts] of Object.entries(stats.byConnector)) this.set({ connector }, counts.dead);
    },
  });
  return { registry, webhooks, events, ingestSeconds, deliveries, deadLetters, deliverySeconds, unmatched };
}

export type Metrics = ReturnType<typeof createMetrics>;
