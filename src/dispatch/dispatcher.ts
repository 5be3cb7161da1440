import type { ConnectorInstance, RoutingTable } from '../domain/route.ts';
import type { RoutedEvent } from '../domain/event.ts';
import { rehydrate } from '../wassenger/rehydrate.ts';
import type { Logger } from '../observability/logger.ts';
import { scrub } from '../observability/logger.ts';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import type { Connector, ConnectorContext, MediaFiles } from '../sdk/connector.ts';
import type { ConnectorPauses, ConnectorStateStore, DeliveryQueue } from '../store/store.ts';
import type { LruCache } from '../util/lru.ts';
import { exchangeRecorder } from './exchange.ts';
import { ConnectorWorker, type WorkerDeps } from './worker.ts';

interface Running {
  readonly instance: ConnectorInstance;
  readonly connector: Connector;
  readonly worker: ConnectorWorker;
}

/** How often an instance looks for pauses made through another instance sharing the store. */
const PAUSE_SYNC_MS = 2_000;

export interface DispatcherOptions {
  readonly store: DeliveryQueue & ConnectorPauses & ConnectorStateStore;
  readonly log: Logger;
  readonly onResult?: (connector: string, result: AttemptResult, claimed: ClaimedDelivery) => void;
  /** A connector's destination went down as a whole (`began`), or came back (`ended`). */
  readonly onOutage?: (connector: string, change: 'began' | 'ended', reason: string | undefined) => void;
  /** Normalized events by id, shared with routing (deliveries handed over at ingest carry theirs). */
  readonly events: LruCache<string, RoutedEvent>;
  /** Run before each delivery (media); see WorkerDeps.beforeDeliver. */
  readonly beforeDeliver?: WorkerDeps['beforeDeliver'];
  /** Stored media files, given to connectors as `ctx.media` (only when `media:` is configured). */
  readonly media?: MediaFiles | undefined;
}

/**
 * The delivery stage: one worker per connector instance of the current config. The only place
 * that retries, for every connector alike. A reload replaces the workers; deliveries in flight
 * finish under their leases, so nothing is sent twice by the swap.
 */
export class Dispatcher {
  private running = new Map<string, Running>();
  private config: RoutingTable | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  /** A look at the paused connectors under way; a slow store must not have two overlap and land out of order. */
  private followingPauses = false;
  /** Counts pauses and resumes made here, so a look at the store that raced with one is not applied. */
  private pauseChanges = 0;

  constructor(private readonly options: DispatcherOptions) {}

  /** Start (or restart) workers for the connectors of `config`. */
  async apply(config: RoutingTable, graceMs: number): Promise<void> {
    const previous = this.running;
    this.config = config;
    this.running = new Map();
    // Deliveries offered in memory and not sent yet go to the worker that replaces theirs.
    const offered = [...previous.values()].map((entry) => entry.worker.takeInbox());
    await Promise.all([...previous.values()].map((entry) => this.retire(entry, graceMs)));
    const paused = new Set(
      await this.options.store.pausedConnectors().catch((error: unknown) => {
        this.options.log.warn(
          { err: error },
          'Could not read which connectors are paused; starting them all, and looking again in a moment.',
        );
        return [];
      }),
    );
    for (const instance of config.connectors.values()) {
      const started = await this.start(instance, config, paused.has(instance.name));
      if (started) this.running.set(instance.name, started);
    }
    this.offer(offered.flat());
    this.pauseTimer ??= setInterval(() => void this.followPauses(), PAUSE_SYNC_MS).unref();
  }

  /** Pause or resume a running connector, here and (through the store) on every instance; false if none runs. */
  async setPaused(name: string, paused: boolean): Promise<boolean> {
    const entry = this.running.get(name);
    if (!entry) return false;
    this.pauseChanges++;
    await this.options.store.setPaused(name, paused, Date.now());
    this.pauseChanges++; // also a look that began while the write was under way is stale
    if (paused) entry.worker.pause();
    else entry.worker.resume();
    return true;
  }

  /** Take up pauses and resumes made through another instance sharing the store. */
  private async followPauses(): Promise<void> {
    if (this.followingPauses) return;
    this.followingPauses = true;
    const changesBefore = this.pauseChanges;
    let paused: Set<string>;
    try {
      paused = new Set(await this.options.store.pausedConnectors());
    } catch (error) {
      // After stop() the store may be closing: nothing to follow, nothing to report.
      if (this.pauseTimer)
        this.options.log.warn({ err: error }, 'Could not read which connectors are paused; keeping the current state.');
      return;
    } finally {
      this.followingPauses = false;
    }
    if (this.pauseChanges !== changesBefore) return; // read before a pause or resume made here: look again next time
    for (const [name, entry] of this.running) {
      if (paused.has(name) === entry.worker.isPaused) continue;
      if (paused.has(name)) entry.worker.pause();
      else entry.worker.resume();
      this.options.log.info(
        { connector: name },
        paused.has(name) ? 'Connector paused (by another instance).' : 'Connector resumed (by another instance).',
      );
    }
  }

  /** See ConnectorWorker.leaseFor: undefined when this connector's new deliveries go through the store. */
  leaseFor(connector: string, now: number): number | undefined {
    return this.running.get(connector)?.worker.leaseFor(now);
  }

  /**
   * Deliveries created leased (ingest), durable now: into their workers' inboxes. One whose worker is
   * gone (a reload removed the connector) stays leased until its lease expires, then a claim takes it.
   */
  offer(deliveries: readonly ClaimedDelivery[]): void {
    if (deliveries.length === 0) return;
    const byConnector = new Map<string, ClaimedDelivery[]>();
    for (const delivery of deliveries) {
      const list = byConnector.get(delivery.connector);
      if (list) list.push(delivery);
      else byConnector.set(delivery.connector, [delivery]);
    }
    for (const [name, list] of byConnector) this.running.get(name)?.worker.offer(list);
  }

  private async start(
    instance: ConnectorInstance,
    config: RoutingTable,
    paused: boolean,
  ): Promise<Running | undefined> {
    const { store } = this.options;
    const log = this.options.log.child({ connector: instance.name, type: instance.type });
    const context: ConnectorContext = {
      name: instance.name,
      log,
      configDir: config.dir,
      state: {
        get: (key) => store.stateGet(instance.name, key),
        set: (key, value) => store.stateSet(instance.name, key, value),
        delete: (key) => store.stateDelete(instance.name, key),
      },
      ...(this.options.media ? { media: this.options.media } : {}),
    };
    let connector: Connector;
    try {
      connector = await instance.definition.create(instance.config, context);
    } catch (error) {
      log.error({ err: error }, 'Connector could not be created; its deliveries wait until the config is fixed.');
      return undefined;
    }
    const worker = new ConnectorWorker({
      store,
      log,
      instance,
      connector,
      hydrate: (claimed) => this.hydrate(claimed),
      paramsFor: (route, stored) => this.paramsFor(instance, route, stored),
      scrub: (text) => scrub(text, this.config?.secrets ?? []),
      exchangeOf: exchangeRecorder({
        mode: () => this.config?.capture ?? 'failures',
        secrets: () => this.config?.secrets ?? [],
        warn: (problem) =>
          log.warn(
            { problem },
            'The connector reported a request and response that cannot be read; they are not recorded (this is said once).',
          ),
      }),
      onResult: (result, claimed) => this.options.onResult?.(instance.name, result, claimed),
      onOutage: (change, reason) => this.options.onOutage?.(instance.name, change, reason),
      ...(this.options.beforeDeliver ? { beforeDeliver: this.options.beforeDeliver } : {}),
    });
    if (paused) worker.pause();
    worker.wake();
    return { instance, connector, worker };
  }

  private async retire(entry: Running, graceMs: number): Promise<void> {
    await entry.worker.stop(graceMs);
    try {
      await entry.connector.close?.();
    } catch (error) {
      this.options.log.warn({ connector: entry.instance.name, err: error }, 'Connector did not close cleanly.');
    }
  }

  private hydrate(claimed: ClaimedDelivery): RoutedEvent {
    if (claimed.event) return claimed.event;
    let event = this.options.events.get(claimed.eventId);
    if (!event) {
      event = rehydrate({
        id: claimed.eventId,
        body: claimed.body,
        itemIndex: claimed.itemIndex,
        receivedAt: claimed.receivedAt,
      });
      this.options.events.set(claimed.eventId, event);
    }
    return event;
  }

  /** The route's parsed `with:` block from the current config; the stored one if the route changed. */
  private paramsFor(instance: ConnectorInstance, route: string, stored: unknown): unknown {
    const target = this.config?.routes
      .find((r) => r.name === route)
      ?.targets.find((t) => t.connector === instance.name);
    if (target && JSON.stringify(target.rawParams) === JSON.stringify(stored)) return target.params;
    if (!instance.definition.params) return undefined;
    const parsed = instance.definition.params.safeParse(stored ?? {});
    if (!parsed.success)
      throw new Error(`the stored \`with:\` block of route "${route}" no longer fits connector "${instance.name}"`);
    return parsed.data;
  }

  /** New deliveries were planned for these connectors. */
  wake(connectors?: Iterable<string>): void {
    const names = connectors ?? this.running.keys();
    for (const name of names) this.running.get(name)?.worker.wake();
  }

  connectors(): ReadonlyMap<string, Running> {
    return this.running;
  }

  /** Stop every worker (waiting up to `graceMs` for deliveries in flight) and close the connectors. */
  async stop(graceMs: number): Promise<void> {
    clearInterval(this.pauseTimer);
    this.pauseTimer = undefined;
    const all = [...this.running.values()];
    this.running = new Map();
    await Promise.all(all.map((entry) => this.retire(entry, graceMs)));
  }
}
