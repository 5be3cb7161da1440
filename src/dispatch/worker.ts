import type { ConnectorInstance } from '../config/load.ts';
import type { RoutedEvent } from '../domain/event.ts';
import type { Logger } from '../observability/logger.ts';
import type { Connector, Delivery } from '../sdk/connector.ts';
import { retry, type Outcome } from '../sdk/outcome.ts';
import type { AttemptResult, ClaimedDelivery, Store } from '../store/store.ts';
import { decide } from './backoff.ts';
import { callConnector } from './call-connector.ts';
import { TokenBucket } from './token-bucket.ts';

/** Without a wake-up, look for due work this often (retries come due; the CLI may replay). */
const IDLE_POLL_MS = 1_000;
/**
 * A lease outlives the delivery deadline by this much before another taker may claim it. The
 * worker records every result right after the deadline, so this only covers a slow store; it is
 * also how long the work of an instance that died waits before another instance takes it.
 */
const LEASE_MARGIN_MS = 5_000;
/**
 * A delivery handed over in memory at ingest is sent within this long or left to its lease: it is
 * created leased for this wait + the deadline + the margin, so no claim can take it while it waits.
 */
const HANDOFF_WAIT_MS = 5_000;
/** Every so often the store is asked for due work even while handed deliveries keep coming. */
const STORE_CLAIM_EVERY_MS = 200;

export interface WorkerDeps {
  readonly store: Store;
  readonly log: Logger;
  readonly instance: ConnectorInstance;
  readonly connector: Connector;
  readonly hydrate: (claimed: ClaimedDelivery) => RoutedEvent;
  readonly paramsFor: (route: string, stored: unknown) => unknown;
  /** Removes secrets from texts stored as errors. */
  readonly scrub: (text: string) => string;
  readonly onResult?: (result: AttemptResult, claimed: ClaimedDelivery) => void;
  /**
   * Runs before each delivery is handed to the connector (media: the file is downloaded and
   * `message.media.url` or `.error` set). It answers the event to send, or a wait: the delivery is
   * then retried (backoff, at least `retryAfterMs`) without calling the connector.
   */
  readonly beforeDeliver?: (event: RoutedEvent) => BeforeDeliverResult | Promise<BeforeDeliverResult>;
}

/** What `beforeDeliver` answers: the event to deliver, or why to wait and try again. */
export type BeforeDeliverResult =
  | { readonly event: RoutedEvent }
  | { readonly retryAfterMs: number; readonly reason: string };

/**
 * Feeds one connector instance: claims due deliveries within its policy (maxInFlight, maxBatch,
 * ratePerSec, per-chat order), calls it under a deadline, and records each outcome with the
 * backoff decision. Sleeps until the next delivery is due or it is woken; never spins.
 */
export class ConnectorWorker {
  private inFlight = 0;
  private pumping = false;
  private again = false;
  private stopped = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly bucket: TokenBucket;
  /** Counts deliver() calls rather than deliveries (`callsPerSec`). */
  private readonly calls: TokenBucket;
  /** Deliveries leased at ingest and handed over in memory, oldest first (from `handedHead`). */
  private handed: ClaimedDelivery[] = [];
  private handedHead = 0;
  private lastStoreClaim = 0;
  /**
   * Cleared when a claim left nothing due behind; set by every wake-up from outside and by retries.
   * Spares the hot path of handed deliveries a claim and a query per finished delivery.
   */
  private storeMayHaveWork = true;
  /** Counts reasons to look in the store, so a claim that raced with one does not clear the flag. */
  private storeWakes = 0;
  private readonly handoffLimit: number;

  constructor(private readonly deps: WorkerDeps) {
    this.bucket = new TokenBucket(deps.instance.policy.ratePerSec);
    this.calls = new TokenBucket(deps.instance.policy.callsPerSec);
    const policy = deps.instance.policy;
    this.handoffLimit = Math.min(10_000, policy.maxInFlight * policy.maxBatch * 4);
  }

  /**
   * The lease for a delivery created now and handed over in memory, or undefined when it must go
   * through the store: paused, stopping, full, keeping per-chat order (an earlier delivery of the
   * chat may be waiting in the store, and a hand-over would overtake it), or rate-limited (a shared
   * store enforces the rate across instances at its claim).
   */
  leaseFor(now: number): number | undefined {
    const policy = this.deps.instance.policy;
    if (this.stopped || this.paused || policy.orderBy === 'chat' || policy.ratePerSec > 0) return undefined;
    if (this.handed.length - this.handedHead >= this.handoffLimit) return undefined;
    return now + HANDOFF_WAIT_MS + policy.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Deliveries created leased by leaseFor(); sent in order, as slots and rates allow. */
  handOff(deliveries: readonly ClaimedDelivery[]): void {
    // Not taken: their leases expire and a claim, which keeps order and rates, takes them.
    const policy = this.deps.instance.policy;
    if (this.stopped || policy.orderBy === 'chat' || policy.ratePerSec > 0) return;
    for (const delivery of deliveries) this.handed.push(delivery);
    this.poke();
  }

  /** Take the handed deliveries not sent yet (at a reload, for the worker that replaces this one). */
  takeHanded(): ClaimedDelivery[] {
    const rest = this.handed.slice(this.handedHead);
    this.handed = [];
    this.handedHead = 0;
    return rest;
  }

  /** Up to `limit` handed deliveries still inside their send window; stale ones are left to their lease. */
  private nextHanded(limit: number, now: number): ClaimedDelivery[] {
    const taken: ClaimedDelivery[] = [];
    const sendBy = (delivery: ClaimedDelivery) =>
      delivery.leaseUntil! - this.deps.instance.policy.timeoutMs - LEASE_MARGIN_MS;
    while (taken.length < limit && this.handedHead < this.handed.length) {
      const delivery = this.handed[this.handedHead++]!;
      if (sendBy(delivery) > now) taken.push(delivery);
    }
    if (this.handedHead === this.handed.length) {
      this.handed = [];
      this.handedHead = 0;
    } else if (this.handedHead > 1_024 && this.handedHead * 2 > this.handed.length) {
      this.handed = this.handed.slice(this.handedHead);
      this.handedHead = 0;
    }
    return taken;
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

  /** The store may hold due work for this connector (deliveries planned, a replay, a poll, a retry coming due). */
  wake(): void {
    this.storeMayHaveWork = true;
    this.storeWakes++;
    this.poke();
  }

  /** Look for work in memory, and in the store only if it may have some. */
  private poke(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
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

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, Math.min(ms, IDLE_POLL_MS)));
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const { instance, store } = this.deps;
    const policy = instance.policy;
    try {
      do {
        this.again = false;
        while (!this.stopped && !this.paused && this.inFlight < policy.maxInFlight) {
          const now = Date.now();
          const tokens = this.bucket.available(now);
          const callTokens = this.calls.available(now);
          if (tokens < 1 || callTokens < 1) {
            this.schedule(Math.max(this.bucket.waitMs(now), this.calls.waitMs(now)));
            return;
          }
          // Claim for every free slot at once: one store round trip (one commit) fills them all.
          const slots = Math.min(policy.maxInFlight - this.inFlight, callTokens);
          const limit = Math.min(slots * policy.maxBatch, tokens);
          let claimed: ClaimedDelivery[] = [];
          // Handed deliveries first, but now and then the store, so its due work is not starved.
          const storeTurn = this.storeMayHaveWork && now - this.lastStoreClaim >= STORE_CLAIM_EVERY_MS;
          if (!storeTurn) claimed = this.nextHanded(limit, now);
          if (claimed.length === 0 && !this.storeMayHaveWork) break; // the timer set by the last claim stands
          if (claimed.length === 0) {
            clearTimeout(this.timer);
            this.lastStoreClaim = now;
            const wakesBefore = this.storeWakes;
            claimed = await store.claimDue({
              connector: instance.name,
              limit,
              now,
              leaseMs: policy.timeoutMs + LEASE_MARGIN_MS,
              orderByChat: policy.orderBy === 'chat',
              // Several deliveries of one chat only when the whole claim is one batch, sent in order.
              maxPerChat: limit <= policy.maxBatch ? policy.maxBatch : 1,
              ratePerSec: policy.ratePerSec,
            });
            if (claimed.length > 0 && claimed.length < limit && policy.ratePerSec > 0) {
              // A shared store's cluster-wide rate may have held some back: look again at the rate's pace
              // (an empty claim sleeps as below: no busy polling of an idle store at a high rate).
              this.schedule(Math.ceil(1_000 / policy.ratePerSec));
            } else if (claimed.length < limit) {
              // Everything due was taken; what is left is in flight, waiting for its time, or (per-chat
              // order) behind a delivery in flight, whose end wakes this worker. Sleep until the next
              // time, or the idle poll (leases of dead instances end, other processes replay).
              if (this.storeWakes === wakesBefore) this.storeMayHaveWork = false;
              const next = await store.nextDueAt(instance.name, now);
              this.schedule(next === undefined ? IDLE_POLL_MS : next - Date.now());
            }
          }
          if (claimed.length === 0 && storeTurn) claimed = this.nextHanded(limit, Date.now());
          if (claimed.length === 0) break;
          this.bucket.take(claimed.length);
          for (let start = 0; start < claimed.length; start += policy.maxBatch) {
            this.calls.take(1);
            this.launch(claimed.slice(start, start + policy.maxBatch));
          }
        }
      } while (this.again && !this.stopped && !this.paused);
    } catch (error) {
      this.deps.log.error({ err: error }, 'Claiming deliveries failed; will try again.');
      this.schedule(IDLE_POLL_MS);
    } finally {
      this.pumping = false;
    }
  }

  private launch(claimed: ClaimedDelivery[]): void {
    this.inFlight++;
    const run: Promise<void> = this.run(claimed)
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
        else this.poke();
      });
    this.running.add(run);
  }

  private async run(claimed: ClaimedDelivery[]): Promise<void> {
    const { instance } = this.deps;
    const startedAt = Date.now();
    const batch: Delivery[] = [];
    const sent: ClaimedDelivery[] = [];
    const results: AttemptResult[] = [];
    const resultItems: ClaimedDelivery[] = [];
    for (const item of claimed) {
      try {
        batch.push({
          id: item.id,
          idempotencyKey: `${item.eventId}:${instance.name}`,
          attempt: item.attempt,
          route: item.route,
          event: this.deps.hydrate(item),
          params: this.deps.paramsFor(item.route, item.params),
        });
        sent.push(item);
      } catch (error) {
        const reason = `stored event could not be read: ${error instanceof Error ? error.message : String(error)}`;
        results.push({
          id: item.id,
          attempt: item.attempt,
          startedAt,
          durationMs: 0,
          outcome: 'failed',
          status: 'dead',
          error: reason,
        });
        resultItems.push(item);
      }
    }
    if (batch.length > 0) {
      const outcomes = await this.callPrepared(batch);
      const now = Date.now();
      sent.forEach((item, index) => {
        const outcome = outcomes[index]!;
        const decision = decide(outcome, {
          attempt: item.attempt,
          receivedAt: item.receivedAt,
          now,
          policy: instance.policy,
        });
        const result: AttemptResult = {
          id: item.id,
          attempt: item.attempt,
          startedAt,
          durationMs: now - startedAt,
          outcome: outcome.status,
          status: decision.status,
          nextAt: decision.nextAt,
          error: decision.error === undefined ? undefined : this.deps.scrub(decision.error),
          ref: decision.ref,
        };
        results.push(result);
        resultItems.push(item);
        this.logResult(result, item);
      });
    }
    // With one lane (maxInFlight 1) the next batch waits for this write: commit it at once.
    await this.deps.store.recordResults(results, { urgent: this.deps.instance.policy.maxInFlight === 1 });
    if (results.some((result) => result.status === 'pending')) {
      // A retry comes due later: the next claim's query schedules the timer for it.
      this.storeMayHaveWork = true;
      this.storeWakes++;
    }
    results.forEach((result, index) => this.deps.onResult?.(result, resultItems[index]!));
  }

  /** Run `beforeDeliver` on each delivery, then the connector with those it let through, in order. */
  private async callPrepared(batch: Delivery[]): Promise<readonly Outcome[]> {
    const { beforeDeliver, connector, instance, log } = this.deps;
    const call = (ready: Delivery[]) =>
      callConnector(connector, ready, instance.policy.timeoutMs, (error) =>
        log.error({ err: error }, 'Connector threw; treating the batch as retry.'),
      );
    if (!beforeDeliver) return call(batch);
    const prepared = await Promise.all(
      batch.map(async (delivery) => {
        try {
          return await beforeDeliver(delivery.event);
        } catch (error) {
          return { retryAfterMs: 1_000, reason: `preparing the event failed: ${(error as Error).message}` };
        }
      }),
    );
    const ready: Delivery[] = [];
    prepared.forEach((answer, index) => {
      if ('event' in answer) ready.push({ ...batch[index]!, event: answer.event });
    });
    const answered = ready.length > 0 ? await call(ready) : [];
    let next = 0;
    return prepared.map((answer) =>
      'event' in answer ? answered[next++]! : retry(answer.reason, answer.retryAfterMs),
    );
  }

  private logResult(result: AttemptResult, item: ClaimedDelivery): void {
    const fields = {
      eventId: item.eventId,
      route: item.route,
      deliveryId: item.id,
      attempt: item.attempt,
      durationMs: result.durationMs,
    };
    if (result.status === 'dead')
      this.deps.log.error({ ...fields, reason: result.error }, 'Delivery failed; it is now a dead letter.');
    else if (result.status === 'pending')
      this.deps.log.warn(
        { ...fields, reason: result.error, nextAt: new Date(result.nextAt!).toISOString() },
        'Delivery will be retried.',
      );
    else this.deps.log.debug({ ...fields, outcome: result.status, ref: result.ref }, 'Delivery done.');
  }
}
