import type {
  AttemptOutcome,
  AttemptResult,
  AttemptView,
  ClaimedDelivery,
  DeliveryView,
} from '../../domain/delivery.ts';
import type {
  AppendResult,
  ClaimRequest,
  DeliveryQuery,
  EventPage,
  EventSearch,
  IncomingWebhook,
  RoutingPlan,
  Store,
  StoreListener,
  StoreStats,
  StoredEvent,
  AttemptStatsRow,
} from '../store.ts';
import { PostgresConnection, type PostgresOptions } from './connection.ts';
import { PostgresControl } from './control.ts';
import { PostgresInspector } from './inspector.ts';
import { PostgresQueue } from './queue.ts';

export type { PostgresOptions } from './connection.ts';

/**
 * PostgreSQL adapter: any number of router instances share one database. One object with every
 * role, as the composition root opens it; each role lives in its own file (queue.ts with
 * append.ts, inspector.ts, control.ts), all sharing one set of pools (connection.ts).
 */
export class PostgresStore implements Store {
  private readonly queue: PostgresQueue;
  private readonly inspector: PostgresInspector;
  private readonly control: PostgresControl;

  private constructor(private readonly connection: PostgresConnection) {
    this.queue = new PostgresQueue(connection);
    this.inspector = new PostgresInspector(connection);
    this.control = new PostgresControl(connection);
  }

  /** Connect, create the schema if asked for, and apply pending migrations under an advisory lock. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    return new PostgresStore(await PostgresConnection.open(options));
  }

  // Queue.
  appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]> {
    return this.queue.appendWebhooks(webhooks);
  }
  takeUnrouted(limit: number): Promise<StoredEvent[]> {
    return this.queue.takeUnrouted(limit);
  }
  planDeliveries(plans: readonly RoutingPlan[], now: number): Promise<void> {
    return this.queue.planDeliveries(plans, now);
  }
  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return this.queue.claimDue(request);
  }
  recordResults(results: readonly AttemptResult[]): Promise<void> {
    return this.queue.recordResults(results);
  }
  nextDueAt(connector: string, after?: number): Promise<number | undefined> {
    return this.queue.nextDueAt(connector, after);
  }
  recoverAtStart(): Promise<number> {
    return this.queue.recoverAtStart();
  }
  subscribe(listener: StoreListener): Promise<() => Promise<void>> {
    return this.queue.subscribe(listener);
  }

  // Inspector.
  getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.inspector.getEvent(id);
  }
  searchEvents(query: EventSearch): Promise<EventPage> {
    return this.inspector.searchEvents(query);
  }
  listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]> {
    return this.inspector.listDeliveries(query);
  }
  attemptsOf(deliveryIds: readonly string[]): Promise<AttemptView[]> {
    return this.inspector.attemptsOf(deliveryIds);
  }
  attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptOutcome, number>>>> {
    return this.inspector.attemptCounts(since);
  }
  attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]> {
    return this.inspector.attemptStats(since, bucketMs);
  }
  stats(): Promise<StoreStats> {
    return this.inspector.stats();
  }

  // Replay, retention, pauses, connector state.
  replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number> {
    return this.control.replayDeadLetters(query, now);
  }
  replayEvents(query: { since: number; until?: number; event?: string }): Promise<number> {
    return this.control.replayEvents(query);
  }
  replayEvent(id: string): Promise<boolean> {
    return this.control.replayEvent(id);
  }
  redeliver(ids: readonly string[], now: number): Promise<number> {
    return this.control.redeliver(ids, now);
  }
  prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }> {
    return this.control.prune(policy);
  }
  setPaused(connector: string, paused: boolean, now: number): Promise<void> {
    return this.control.setPaused(connector, paused, now);
  }
  pausedConnectors(): Promise<string[]> {
    return this.control.pausedConnectors();
  }
  stateGet(connector: string, key: string): Promise<string | undefined> {
    return this.control.stateGet(connector, key);
  }
  stateSet(connector: string, key: string, value: string): Promise<void> {
    return this.control.stateSet(connector, key, value);
  }
  stateDelete(connector: string, key: string): Promise<void> {
    return this.control.stateDelete(connector, key);
  }

  async ping(): Promise<void> {
    await this.connection.query('SELECT 1');
  }
  close(): Promise<void> {
    return this.connection.close();
  }
}
