import type {
  AttemptOutcome,
  AttemptResult,
  AttemptView,
  ClaimedDelivery,
  DeliveryStatus,
  DeliveryView,
  NewDelivery,
  PlannedDelivery,
} from '../domain/delivery.ts';

// The delivery types moved to src/domain/delivery.ts; re-exported so imports from here keep working.
export type {
  AttemptOutcome,
  AttemptResult,
  AttemptView,
  ClaimedDelivery,
  DeliveryStatus,
  DeliveryView,
  NewDelivery,
  PlannedDelivery,
} from '../domain/delivery.ts';

/**
 * The store port, split by role: each consumer names only the role it uses (the dispatcher the
 * queue, connectors their state, the admin API the inspector and the replays). Adapters: SQLite
 * (embedded default, one router instance) and PostgreSQL (several instances), both held to
 * test/store/store-contract.ts. Times are epoch milliseconds.
 */

/** The way events and deliveries move: ingest appends, routing plans, the dispatcher claims and records. */
export interface DeliveryQueue {
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
}

/** Read-only views of what the store holds (admin API, console, CLI, metrics). */
export interface StoreInspector {
  getEvent(id: string): Promise<StoredEvent | undefined>;
  /** Events matching every given filter, newest first (admin API, console). */
  searchEvents(query: EventSearch): Promise<EventPage>;
  listDeliveries(query: DeliveryQuery): Promise<DeliveryView[]>;
  /** Every attempt of these deliveries, in the order they were made. */
  attemptsOf(deliveryIds: readonly string[]): Promise<AttemptView[]>;
  /** Attempts started at or after `since`, counted per connector and outcome (throughput). */
  attemptCounts(since: number): Promise<Record<string, Partial<Record<AttemptOutcome, number>>>>;
  /**
   * Attempts started at or after `since`, counted per connector, time bucket (`bucketMs` wide,
   * 0 = the one starting at `since`), outcome and latency class (see LATENCY_CLASSES_MS): the
   * console's success-rate and latency charts.
   */
  attemptStats(since: number, bucketMs: number): Promise<AttemptStatsRow[]>;
  stats(): Promise<StoreStats>;
}

/** Operator actions that send stored events or deliveries round again. */
export interface StoreReplay {
  /** Set dead letters back to pending (attempts reset). Returns how many. */
  replayDeadLetters(query: { ids?: readonly string[]; connector?: string }, now: number): Promise<number>;
  /** Mark stored events received in [since, until) unrouted, so the current routes run again. */
  replayEvents(query: { since: number; until?: number; event?: string }): Promise<number>;
  /** Mark one stored event unrouted, so the current routes run again (its deliveries restart). False if unknown. */
  replayEvent(id: string): Promise<boolean>;
  /**
   * Set these deliveries back to pending, due `now`, attempts reset, whatever their status (an
   * explicit replay, delivered ones included). One in flight (leased) is left as it is. Returns how many.
   */
  redeliver(ids: readonly string[], now: number): Promise<number>;
}

/** Housekeeping of the router itself. */
export interface StoreRetention {
  /** Delete finished events older than the retention, and dead letters older than theirs. */
  prune(policy: { deliveredBefore: number; deadBefore: number }): Promise<{ events: number }>;
}

/** Pauses of connectors, shared by every instance using this store (kept across restarts). */
export interface ConnectorPauses {
  /** Pause or resume a connector's deliveries, for every instance using this store. */
  setPaused(connector: string, paused: boolean, now: number): Promise<void>;
  /** The connectors paused with setPaused. */
  pausedConnectors(): Promise<string[]>;
}

/** Each connector's own key/value state (the SDK's `ctx.state`), kept across restarts. */
export interface ConnectorStateStore {
  stateGet(connector: string, key: string): Promise<string | undefined>;
  stateSet(connector: string, key: string, value: string): Promise<void>;
  stateDelete(connector: string, key: string): Promise<void>;
}

/** The whole store, as the composition root opens it: every role, plus health and closing. */
export interface Store
  extends DeliveryQueue,
    StoreInspector,
    StoreReplay,
    StoreRetention,
    ConnectorPauses,
    ConnectorStateStore {
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

export interface DeliveryQuery {
  readonly status?: DeliveryStatus;
  readonly connector?: string;
  readonly eventId?: string;
  readonly limit: number;
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

export interface AttemptStatsRow {
  readonly connector: string;
  readonly bucket: number;
  readonly outcome: AttemptOutcome;
  /** Index into LATENCY_CLASSES_MS: the attempt took at most that many milliseconds. */
  readonly latencyClass: number;
  readonly count: number;
}

export interface StoreStats {
  readonly events: number;
  readonly unrouted: number;
  readonly byConnector: Readonly<Record<string, { pending: number; dead: number; oldestDueAt?: number | undefined }>>;
}

export { StoreUnavailableError } from '../domain/errors.ts';
