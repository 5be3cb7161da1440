import type { RouterConfig } from '../config/load.ts';
import { rehydrate } from '../ingest/rehydrate.ts';
import type { Logger } from '../observability/logger.ts';
import type { RoutingPlan, Store } from '../store/store.ts';
import { logPlan, planEvent } from './plan.ts';
import type { RoutedEvent } from '../domain/event.ts';
import type { LruCache } from '../util/lru.ts';

const BATCH = 500;
/** Poll now and then even without a wake-up, so replays asked for by the CLI are picked up. */
const IDLE_POLL_MS = 1_000;

/**
 * The routing stage: takes unrouted events from the store, evaluates the routes and records one
 * delivery per (event, connector), marking the events routed in the same transaction. Runs off
 * the request path; a crash before planning is recovered because events stay unrouted.
 */
export class RoutingLoop {
  private running = false;
  private wakeUp: (() => void) | undefined;
  private pending = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly config: () => RouterConfig,
    private readonly log: Logger,
    private readonly onPlanned: (connectors: ReadonlySet<string>) => void,
    /** Normalized events by id, shared with ingest and the dispatcher: each body is parsed once. */
    private readonly events?: LruCache<string, RoutedEvent>,
    /** Called with the routes each event matched (an empty list: it matched none). */
    private readonly onRouted: (matched: readonly string[]) => void = () => {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** New events were stored. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.pending = false;
      let routedAny = false;
      try {
        routedAny = await this.routeBatch();
      } catch (error) {
        this.log.error({ err: error }, 'Routing failed; will try again.');
        await this.sleep(IDLE_POLL_MS);
        continue;
      }
      if (!routedAny && !this.pending) await this.sleep(IDLE_POLL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Route one batch; true when there was something to route. */
  async routeBatch(): Promise<boolean> {
    const events = await this.store.takeUnrouted(BATCH);
    if (events.length === 0) return false;
    const config = this.config();
    const plans: RoutingPlan[] = [];
    const touched = new Set<string>();
    for (const stored of events) {
      let deliveries: RoutingPlan['deliveries'] = [];
      try {
        let event = this.events?.get(stored.id);
        if (!event) {
          event = rehydrate(stored);
          this.events?.set(stored.id, event);
        }
        const plan = planEvent(event, config.routes);
        deliveries = plan.deliveries;
        this.onRouted(plan.matched);
        logPlan(this.log, event, plan);
      } catch (error) {
        this.log.error({ eventId: stored.id, err: error }, 'Stored event could not be read; it is not routed.');
      }
      for (const delivery of deliveries) touched.add(delivery.connector);
      plans.push({ eventSeq: stored.seq, deliveries });
    }
    await this.store.planDeliveries(plans, Date.now());
    if (touched.size > 0) this.onPlanned(touched);
    return true;
  }
}
