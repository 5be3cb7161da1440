import type { RoutedEvent } from '../domain/event.ts';
import type { ConnectorInstance } from '../domain/route.ts';
import type { Logger } from '../observability/logger.ts';
import type { Connector } from '../sdk/connector.ts';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import type { DeliveryQueue } from '../store/store.ts';
import { type BatchDeps, sendBatch } from './batch.ts';
import { ResultWriter } from './results.ts';
import { Inbox } from './inbox.ts';
import { type OutageChange, OutageTracker } from './outage.ts';
import { TokenBucket } from './token-bucket.ts';

/** Without a wake-up, look for due work this often (retries come due; the CLI may replay). */
const IDLE_POLL_MS = 1_000;
/**
 * A lease outlives the delivery deadline by this much before another taker may claim it. The
 * worker records every result right after the deadline, so this only covers a slow store; it is
 * also how long the work of an instance that died waits before another instance takes it.
 */
const LEASE_MARGIN_MS = 5_000;
/** A delivery offered at ingest waits at most this long in the inbox; then its lease lets a claim take it. */
const OFFER_WAIT_MS = 5_000;
/** While offers keep the inbox busy, the store is still asked for due work (retries) this often. */
const STORE_TURN_MS = 200;

export interface WorkerDeps {
  readonly store: Pick<DeliveryQueue, 'claimDue' | 'nextDueAt' | 'recordResults'>;
  readonly log: Logger;
  readonly instance: ConnectorInstance;
  readonly connector: Connector;
  readonly hydrate: (claimed: ClaimedDelivery) => RoutedEvent;
  readonly paramsFor: (route: string, stored: unknown) => unknown;
  /** Removes secrets from texts stored as errors. */
  readonly scrub: (text: string) => string;
  readonly onResult?: (result: AttemptResult, claimed: ClaimedDelivery) => void;
  /** The connector's destination went down as a whole, or came back. */
  readonly onOutage?: (change: Exclude<OutageChange, undefined>, reason: string | undefined) => void;
  /** See BatchDeps.beforeDeliver (media). */
  readonly beforeDeliver?: BatchDeps['beforeDeliver'];
  /** See BatchDeps.exchangeOf: what each attempt records of its request and response. */
  readonly exchangeOf?: BatchDeps['exchangeOf'];
}

/**
 * Feeds one connector instance from one inbox of leased deliveries. Store claims fill the inbox
 * when it runs low (and every STORE_TURN_MS, so retries are not starved by offers); ingest may offer
 * deliveries it created leased. `drain` sends what the inbox holds within the connector's policy
 * (maxInFlight, maxBatch, ratePerSec, per-chat order kept by the claim), and while the destination
 * is down, one probe at a time. Sleeps until the next delivery is due or it is woken; never spins.
 */
export class ConnectorWorker {
  private readonly inbox: Inbox;
  private readonly outage = new OutageTracker();
  private readonly bucket: TokenBucket;
  /** Counts deliver() calls rather than deliveries (`callsPerSec`). */
  private readonly calls: TokenBucket;
  private readonly running = new Set<Promise<void>>();
  private readonly offerLimit: number;
  private inFlight = 0;
  private stopped = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  /** A store claim under way (only one at a time). */
  private filling = false;
  private lastFill = 0;
  /** Counts reasons to look in the store; `quietAt` is its value when a claim last left nothing due. */
  private wakes = 1;
  private quietAt = 0;
  private readonly results: ResultWriter;

  constructor(private readonly deps: WorkerDeps) {
    const policy = deps.instance.policy;
    this.bucket = new TokenBucket(policy.ratePerSec);
    this.calls = new TokenBucket(policy.callsPerSec);
    // A delivery is sent only while its lease covers the deadline and half the margin (for the write
    // of its result): a claimed one has 2.5 s to leave the inbox, an offered one OFFER_WAIT_MS more.
    this.inbox = new Inbox(policy.timeoutMs + LEASE_MARGIN_MS / 2);
    this.offerLimit = Math.min(10_000, policy.maxInFlight * policy.maxBatch * 4);
    this.results = new ResultWriter(deps.store, deps.log, deps.onResult);
  }

  get name(): string {
    return this.deps.instance.name;
  }

  get active(): number {
    return this.inFlight;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The destination is down as a whole and being probed. */
  get isDown(): boolean {
    return this.outage.isDown;
  }

  /**
   * The lease to create a new delivery with, when this worker takes it from memory (offer); undefined
   * when it must go through the store: paused, stopping, down, full, keeping per-chat order (an
   * earlier delivery of the chat may wait in the store) or rate-limited (a shared store enforces the
   * rate across instances at its claim).
   */
  leaseFor(now: number): number | undefined {
    const policy = this.deps.instance.policy;
    if (this.stopped || this.paused || this.outage.isDown) return undefined;
    if (policy.orderBy === 'chat' || policy.ratePerSec > 0 || this.inbox.size >= this.offerLimit) return undefined;
    return now + OFFER_WAIT_MS + policy.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Deliveries created leased by leaseFor(), durable now: into the inbox. */
  offer(deliveries: readonly ClaimedDelivery[]): void {
    if (this.stopped) return; // their leases expire and a claim takes them
    this.inbox.push(deliveries);
    this.drain();
  }

  /** Everything not sent yet (at a reload, for the worker that replaces this one). */
  takeInbox(): ClaimedDelivery[] {
    return this.inbox.takeAll();
  }

  /** The store may hold due work (deliveries planned, a replay, a poll, a retry coming due). */
  wake(): void {
    this.wakes++;
    this.drain();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  /** Stop claiming, and wait (up to `graceMs`) for deliveries in flight to be recorded. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.running]), grace]);
    clearTimeout(timer);
  }

  /** Send what the inbox holds while slots, rates and the outage allow; ask the store for more when needed. */
  private drain(): void {
    const policy = this.deps.instance.policy;
    while (!this.stopped && !this.paused && this.inFlight < policy.maxInFlight) {
      const now = Date.now();
      const limit = this.sendLimit(now);
      if (limit === 0) return;
      const storeTurn = this.storeMayHaveWork() && now - this.lastFill >= STORE_TURN_MS;
      if (this.inbox.size === 0 || storeTurn) {
        this.fill(limit);
        if (this.inbox.size === 0) return; // the claim's answer drains again
      }
      const batch = this.inbox.take(Math.min(limit, policy.maxBatch), now);
      if (batch.length === 0) continue;
      this.bucket.take(batch.length);
      this.calls.take(1);
      const probe = this.outage.isDown;
      if (probe) this.outage.probeSent();
      this.launch(batch, probe);
    }
  }

  /** How many deliveries may go now (0: schedules the moment more may). */
  private sendLimit(now: number): number {
    const policy = this.deps.instance.policy;
    const probe = this.outage.allowance(now);
    if (probe === 0) {
      if (this.inFlight === 0) this.schedule(this.outage.probeAt - now);
      return 0;
    }
    const tokens = this.bucket.available(now);
    const callTokens = this.calls.available(now);
    if (tokens < 1 || callTokens < 1) {
      this.schedule(Math.max(this.bucket.waitMs(now), this.calls.waitMs(now)));
      return 0;
    }
    const slots = Math.min(policy.maxInFlight - this.inFlight, callTokens);
    return Math.min(probe ?? slots * policy.maxBatch, tokens);
  }

  private storeMayHaveWork(): boolean {
    return this.wakes !== this.quietAt;
  }

  /** One claim into the inbox; drains again when it answers. */
  private fill(limit: number): void {
    const wanted = limit - this.inbox.size;
    if (this.filling || wanted <= 0 || !this.storeMayHaveWork()) return;
    this.filling = true;
    this.lastFill = Date.now();
    clearTimeout(this.timer);
    this.claim(wanted)
      .catch((error: unknown) => {
        this.deps.log.error({ err: error }, 'Claiming deliveries failed; will try again.');
        this.schedule(IDLE_POLL_MS);
      })
      .finally(() => {
        this.filling = false;
        this.drain();
      });
  }

  private async claim(limit: number): Promise<void> {
    const { instance, store } = this.deps;
    const policy = instance.policy;
    // Results the store could not take earlier go first: nothing claimed may overtake them.
    if (!(await this.results.writeKept())) {
      this.schedule(IDLE_POLL_MS);
      return;
    }
    const now = Date.now();
    const wakesBefore = this.wakes;
    const leaseMs = policy.timeoutMs + LEASE_MARGIN_MS;
    const claimed = await store.claimDue({
      connector: instance.name,
      limit,
      now,
      leaseMs,
      orderByChat: policy.orderBy === 'chat',
      // Several deliveries of one chat only when the whole claim is one batch, sent in order.
      maxPerChat: limit <= policy.maxBatch ? policy.maxBatch : 1,
      ratePerSec: policy.ratePerSec,
    });
    this.inbox.push(claimed.map((delivery) => ({ ...delivery, leaseUntil: now + leaseMs })));
    if (claimed.length > 0 && claimed.length < limit && policy.ratePerSec > 0) {
      // A shared store's cluster-wide rate may have held some back: look again at the rate's pace.
      this.schedule(Math.ceil(1_000 / policy.ratePerSec));
    } else if (claimed.length < limit) {
      // Everything due was taken; the rest waits for its time, or (per-chat order) for a delivery in
      // flight, whose end wakes this worker. Sleep until the next time, or the idle poll.
      if (this.wakes === wakesBefore) this.quietAt = wakesBefore;
      const next = await store.nextDueAt(instance.name, now);
      this.schedule(next === undefined ? IDLE_POLL_MS : next - Date.now());
    }
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, Math.min(ms, IDLE_POLL_MS)));
    this.timer.unref();
  }

  private launch(claimed: ClaimedDelivery[], probe: boolean): void {
    this.inFlight++;
    const run: Promise<void> = this.run(claimed, probe)
      .catch((error: unknown) =>
        this.deps.log.error(
          { err: error },
          'Recording delivery results failed; their leases will expire and they will be retried.',
        ),
      )
      .finally(() => {
        this.inFlight--;
        this.running.delete(run);
        // With per-chat order, the end of a delivery may unblock the next of its chat in the store.
        if (this.deps.instance.policy.orderBy === 'chat') this.wake();
        else this.drain();
      });
    this.running.add(run);
  }

  private async run(claimed: ClaimedDelivery[], probe: boolean): Promise<void> {
    const deps = this.deps;
    const onThrow = (error: unknown) => deps.log.error({ err: error }, 'Connector threw; treating the batch as retry.');
    const { results } = await sendBatch({ ...deps, onThrow }, claimed, {
      record: (outcomes) => {
        const change = this.outage.record(outcomes, Date.now(), probe);
        if (change) this.outageChanged(change, outcomes.find((o) => o.status === 'retry')?.reason);
      },
      down: () => this.outage.isDown,
    });
    // With one lane (maxInFlight 1) the next batch waits for this write: commit it at once.
    const written = await this.results.write(results, claimed, deps.instance.policy.maxInFlight === 1);
    if (!written) this.schedule(IDLE_POLL_MS); // kept; the next claim writes them first
    if (!written || results.some((result) => result.status === 'pending')) this.wakes++; // a retry comes due later
  }

  private outageChanged(change: Exclude<OutageChange, undefined>, reason: string | undefined): void {
    if (change === 'began') {
      this.deps.log.warn({ reason }, 'Destination unreachable; holding deliveries and probing with one at a time.');
    } else {
      this.deps.log.info({}, 'Destination reachable again; delivering the backlog.');
      this.wakes++; // everything held is due
    }
    this.deps.onOutage?.(change, reason);
  }
}
