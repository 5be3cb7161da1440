import type { RoutedEvent } from '../domain/event.ts';

/**
 * The store port. Data moves one way through it: ingest appends events, the router plans
 * deliveries, the dispatcher claims them and records outcomes. Adapters: SQLite (embedded
 * default, one router instance); PostgreSQL can follow by passing the same contract test.
 * Times are epoch milliseconds.
 */
export interface Store {
  /**
   * Append the events of webhook requests, deduplicated by event id; resolves once durable. An
   * event that carries its routing `plan` is stored routed, with its deliveries, in the same
   * transaction (a duplicate gets none); deliveries given a `leaseUntil` are created leased to
   * this instance and returned, ready to send, so the dispatcher needs no claim for them.
   */
  appendWebhooks(webhooks: readonly IncomingWebhook[]): Promise<AppendResult[]>;
  /** Events not yet routed, oldest first. */
  takeUnrouted(limit: number): Promise<StoredEvent[]>;
  /**
   * Record the routing decision of events (one transaction): their deliveries are created (or,
   * for a replayed event, reset to pending) and the events marked routed.
   */
  planDeliveries(plans: readonly RoutingPlan[], now: number): Promise<void>;
  /** Lease up to `limit` due deliveries of one connector. */
  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Write the results of attempts and release their leases. Not `urgent`: a store may hold the
   * write back a few milliseconds to commit it with others (nothing waits on it but bookkeeping).
   */
  recordResults(results: readonly AttemptResult[], options?: { readonly urgent?: boolean }): Promise<void>;
  /**
   * The earliest `next_at` of a pending, unleased delivery of this connector (undefined if none);
   * with `after`, the earliest one later than that (a due one that a claim left is blocked by order).
   */
  nextDueAt(connector: string, after?: number): Promise<number | undefined>;
  /**
   * Make work left in flight by a previous run available again, at start-up. A store owned by one
   * instance (SQLite) releases every lease; a shared one (PostgreSQL) lets leases expire, since
   * other instances may hold them. Returns how many deliveries were released.
   */
  recoverAtStart(): Promise<number>;
  /**
   * Wake-ups from other instances (PostgreSQL LISTEN/NOTIFY): new events stored, deliveries
   * planned. Optional: a store used by one instance has nobody else to hear from.
   */
  subscribe?(listener: StoreListener): Promise<() => Promise<void>>;
  listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]>;
  /** Set dead letters back to pending (attempts reset). Returns how many. */
  replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number>;
  /** Mark stored events received in [since, until) unrouted, so the current routes run again. */
  replayEvents(query: { since: number; until?: number; event?: string }): Promise<number>;
  /** Delete finished events older than the retention, and dead letters older than theirs. */
  prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  /** Events matching every given filter, newest first (admin API, console). */
  searchEvents(query: EventSearch): Promise<EventPage>;
  /** Every attempt of these deliveries, in the order they were made. */
  attemptsOf(deliveryIds: readonly string[]): Promise<AttemptView[]>;
  /** Mark one stored event unrouted, so the current routes run again (its deliveries restart). False if unknown. */
  replayEvent(id: string): Promise<boolean>;
  /** Attempts started at or after `since`, counted per connector and outcome (throughput). */
  attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptResult['outcome'], number>>>>;
  /**
   * Attempts started at or after `since`, counted per connector, time bucket (`bucketMs` wide,
   * 0 = the one starting at `since`), outcome and latency class (see LATENCY_CLASSES_MS): the
   * console's success-rate and latency charts.
   */
  attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]>;
  /**
   * Set these deliveries back to pending, due `now`, attempts reset, whatever their status (an
   * explicit replay, delivered ones included). One in flight (leased) is left as it is. Returns how many.
   */
  redeliver(ids: readonly string[], now: number): Promise<number>;
  stats(): Promise<StoreStats>;
  stateGet(connector: string, key: string): Promise<string | undefined>;
  stateSet(connector: string, key: string, value: string): Promise<void>;
  stateDelete(connector: string, key: string): Promise<void>;
  /** Pause or resume a connector's deliveries, for every instance using this store (kept across restarts). */
  setPaused(connector: string, paused: boolean, now: number): Promise<void>;
  /** The connectors paused with setPaused. */
  pausedConnectors(): Promise<string[]>;
  /** Cheap liveness check of the storage (for /readyz). Throws when unusable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One webhook request: its raw body as received, and the events found in it. */
export interface IncomingWebhook {
  readonly body: string;
  readonly receivedAt: number;
  readonly events: readonly NewEvent[];
}

export interface NewEvent {
  readonly id: string;
  readonly event: string;
  /** Position of the item in an array envelope (0 for the object envelope). */
  readonly itemIndex: number;
  readonly chatId?: string | undefined;
  /** The contact's phone number, for search (stored as its digits, see phoneKey). */
  readonly contactPhone?: string | undefined;
  /** The routing decision taken at ingest (empty: no route matched). Absent: stored unrouted, for the routing stage. */
  readonly plan?: readonly NewDelivery[] | undefined;
}

/** A delivery planned at ingest. */
export interface NewDelivery extends PlannedDelivery {
  /** Create it leased to this instance until then (attempt 1 in progress): the dispatcher has it in memory. */
  readonly leaseUntil?: number | undefined;
}

/** How phone numbers are stored and searched: digits only, so "+1 234-567" finds "+1234567". */
export function phoneKey(phone: string | undefined): string | undefined {
  const digits = phone?.replace(/\D+/g, '') ?? '';
  return digits === '' ? undefined : digits;
}

export interface AppendResult {
  readonly accepted: number;
  readonly duplicates: number;
  /** The deliveries created leased (NewDelivery.leaseUntil), as a claim would have returned them. */
  readonly leased: readonly ClaimedDelivery[];
}

export interface StoredEvent {
  readonly seq: number;
  readonly id: string;
  readonly event: string;
  readonly receivedAt: number;
  readonly body: string;
  readonly itemIndex: number;
  readonly routedAt?: number | undefined;
}

export interface RoutingPlan {
  readonly eventSeq: number;
  readonly deliveries: readonly PlannedDelivery[];
}

export interface PlannedDelivery {
  readonly connector: string;
  readonly route: string;
  readonly params?: unknown;
  /** Ordering key (the chat id), for connectors that keep per-chat order. */
  readonly chatKey?: string | undefined;
}

export interface ClaimRequest {
  readonly connector: string;
  readonly limit: number;
  readonly now: number;
  readonly leaseMs: number;
  /** Keep per-chat order: no delivery taken while an earlier one of its chat is unfinished and not taken with it. */
  readonly orderByChat: boolean;
  /**
   * With orderByChat: how many deliveries of one chat this claim may take, oldest first (default 1).
   * More than one only when the whole claim goes to the connector as one batch, in order. A store
   * may take fewer (a shared one takes one, as its concurrent claims could not keep order otherwise).
   */
  readonly maxPerChat?: number;
  /** The connector's rate, enforced across every instance sharing the store (0: unlimited). */
  readonly ratePerSec?: number;
}

export interface StoreListener {
  eventsStored(): void;
  deliveriesPlanned(connectors: readonly string[]): void;
}

export interface ClaimedDelivery {
  readonly id: string;
  readonly eventSeq: number;
  readonly eventId: string;
  readonly connector: string;
  readonly route: string;
  readonly params: unknown;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  readonly receivedAt: number;
  readonly body: string;
  readonly itemIndex: number;
  /** Set on deliveries leased at ingest: the lease they were created with. */
  readonly leaseUntil?: number | undefined;
  /** In memory only: the normalized event, on deliveries handed over at ingest (saves parsing the body again). */
  readonly event?: RoutedEvent | undefined;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'skipped' | 'dead';

export interface AttemptResult {
  readonly id: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /** What the connector said (or the dispatcher, for timeouts and throws). */
  readonly outcome: 'delivered' | 'skipped' | 'retry' | 'failed';
  /** The delivery's new state. */
  readonly status: DeliveryStatus;
  readonly nextAt?: number | undefined;
  readonly error?: string | undefined;
  readonly ref?: string | undefined;
}

export interface DeliveryQuery {
  readonly status?: DeliveryStatus;
  readonly connector?: string;
  readonly eventId?: string;
  readonly limit: number;
}

export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly event: string;
  readonly receivedAt: number;
  readonly connector: string;
  readonly route: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError?: string | undefined;
  readonly ref?: string | undefined;
  readonly updatedAt: number;
}

/** Filters of searchEvents; every given one must hold. Times are epoch ms, `until` exclusive. */
export interface EventSearch {
  readonly event?: string;
  readonly chatId?: string;
  /** Any formatting: compared by its digits. */
  readonly contactPhone?: string;
  /** Matches the event id, the chat id or the contact phone exactly. */
  readonly text?: string;
  /** The raw payload contains this, in any case (a first cut: callers check the message itself). */
  readonly payloadText?: string;
  readonly since?: number;
  readonly until?: number;
  /** A delivery status (the event has a delivery in it), `unrouted` or `unmatched` (routed, no delivery). */
  readonly status?: DeliveryStatus | 'unrouted' | 'unmatched';
  /** The event has a delivery to this connector (with `status`: one in that status). */
  readonly connector?: string;
  /** Cursor: only events older than this `seq` (the `next` of the previous page). */
  readonly before?: number;
  readonly limit: number;
}

export interface EventPage {
  readonly events: EventSummary[];
  /** `before` for the next (older) page; undefined on the last one. */
  readonly next?: number | undefined;
}

export interface EventSummary {
  readonly seq: number;
  readonly id: string;
  readonly event: string;
  readonly receivedAt: number;
  readonly routedAt?: number | undefined;
  readonly chatId?: string | undefined;
  readonly contactPhone?: string | undefined;
  readonly deliveries: {
    readonly id: string;
    readonly connector: string;
    readonly status: DeliveryStatus;
    readonly attempts: number;
  }[];
}

export interface AttemptView {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: AttemptResult['outcome'];
  readonly error?: string | undefined;
  readonly ref?: string | undefined;
}

export interface AttemptStatsRow {
  readonly connector: string;
  readonly bucket: number;
  readonly outcome: AttemptResult['outcome'];
  /** Index into LATENCY_CLASSES_MS: the attempt took at most that many milliseconds. */
  readonly latencyClass: number;
  readonly count: number;
}

export interface StoreStats {
  readonly events: number;
  readonly unrouted: number;
  readonly byConnector: Readonly<Record<string, { pending: number; dead: number; oldestDueAt?: number | undefined }>>;
}

/** The store could not write or read; the receiver answers 503 so Wassenger retries. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
