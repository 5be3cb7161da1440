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
  StoreStats,
  StoredEvent,
  AttemptStatsRow,
} from '../store.ts';
import { SqliteConnection, type SqliteOptions } from './connection.ts';
import { SqliteControl } from './control.ts';
import { SqliteInspector } from './inspector.ts';
import { SqliteQueue } from './queue.ts';

export type { SqliteOptions } from './connection.ts';

/**
 * SQLite adapter (better-sqlite3, WAL): the embedded default store of one router instance. One
 * object with every role, as the composition root opens it; each role lives in its own file
 * (queue.ts, inspector.ts, control.ts), all sharing one connection (connection.ts).
 */
export class SqliteStore implements Store {
  private readonly connection: SqliteConnection;
  private readonly queue: SqliteQueue;
  private readonly inspector: SqliteInspector;
  private readonly control: SqliteControl;

  constructor(options: SqliteOptions) {
    this.connection = new SqliteConnection(options);
    this.queue = new SqliteQueue(this.connection);
    this.inspector = new SqliteInspector(this.connection);
    this.control = new SqliteControl(this.connection);
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
  recordResults(results: readonly AttemptResult[], options?: { readonly urgent?: boolean }): Promise<void> {
    return this.queue.recordResults(results, options);
  }
  nextDueAt(connector: string, after?: number): Promise<number | undefined> {
    return this.queue.nextDueAt(connector, after);
  }
  recoverAtStart(): Promise<number> {
    return this.queue.recoverAtStart();
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

  ping(): Promise<void> {
    return this.connection.read(() => {
      this.connection.sql.ping.get();
    });
  }
  close(): Promise<void> {
    return this.connection.close();
  }
}
