import type { RoutedEvent } from '../domain/event.ts';
import type { ConnectorInstance } from '../domain/route.ts';
import type { Connector, Delivery } from '../sdk/connector.ts';
import type { Outcome } from '../sdk/outcome.ts';
import { retry } from '../sdk/outcome.ts';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import { decide } from './backoff.ts';
import { callConnector } from './call-connector.ts';
import type { ExchangeRecorder } from './exchange.ts';

/** What sending one batch needs besides the batch. */
export interface BatchDeps {
  readonly instance: ConnectorInstance;
  readonly connector: Connector;
  readonly hydrate: (claimed: ClaimedDelivery) => RoutedEvent;
  readonly paramsFor: (route: string, stored: unknown) => unknown;
  /** Removes secrets from texts stored as errors. */
  readonly scrub: (text: string) => string;
  readonly onThrow: (error: unknown) => void;
  /** The request and response an attempt records for its outcome (see exchange.ts); none when unset. */
  readonly exchangeOf?: ExchangeRecorder | undefined;
  /**
   * Runs before each delivery is handed to the connector (media: the file is downloaded and
   * `message.media.url` or `.error` set). It answers the event to send, or a wait: the delivery is
   * then retried (backoff, at least `retryAfterMs`) without calling the connector.
   */
  readonly beforeDeliver?: ((event: RoutedEvent) => BeforeDeliverResult | Promise<BeforeDeliverResult>) | undefined;
}

/** What `beforeDeliver` answers: the event to deliver, or why to wait and try again. */
export type BeforeDeliverResult =
  | { readonly event: RoutedEvent }
  | { readonly retryAfterMs: number; readonly reason: string };

/** One attempt of each delivery of a batch: what to record. */
export interface BatchOutcome {
  /** One per claimed delivery, in order. */
  readonly results: readonly AttemptResult[];
}

/**
 * Send one batch: rebuild each delivery's event and `with:` params, call the connector under its
 * deadline, and turn each outcome into the delivery's next state with the backoff policy. A
 * delivery whose stored event cannot be read is a dead letter without a call.
 */
export async function sendBatch(
  deps: BatchDeps,
  claimed: readonly ClaimedDelivery[],
  /** Told the connector's own outcomes as soon as they arrive; says whether the connector is now down. */
  judge: Judge,
): Promise<BatchOutcome> {
  const startedAt = Date.now();
  const batch: Delivery[] = [];
  const results: (AttemptResult | undefined)[] = new Array(claimed.length);
  const sentIndexes: number[] = [];
  claimed.forEach((item, index) => {
    try {
      batch.push({
        id: item.id,
        idempotencyKey: `${item.eventId}:${deps.instance.name}`,
        attempt: item.attempt,
        route: item.route,
        event: deps.hydrate(item),
        params: deps.paramsFor(item.route, item.params),
      });
      sentIndexes.push(index);
    } catch (error) {
      const reason = `stored event could not be read: ${error instanceof Error ? error.message : String(error)}`;
      results[index] = { ...attemptOf(item, startedAt, startedAt), outcome: 'failed', status: 'dead', error: reason };
    }
  });
  if (batch.length === 0) {
    judge.record([]); // nothing reached the connector (a probe must still end)
    return { results: results as AttemptResult[] };
  }
  const outcomes = await callPrepared(deps, batch, judge);
  const now = Date.now();
  const down = judge.down();
  sentIndexes.forEach((claimedIndex, n) => {
    const item = claimed[claimedIndex]!;
    const outcome = outcomes[n]!;
    const decision = decide(outcome, {
      attempt: item.attempt,
      receivedAt: item.receivedAt,
      now,
      policy: deps.instance.policy,
      connectorDown: down,
    });
    results[claimedIndex] = {
      ...attemptOf(item, startedAt, now),
      outcome: outcome.status,
      status: decision.status,
      nextAt: decision.nextAt,
      error: decision.error === undefined ? undefined : deps.scrub(decision.error),
      ref: decision.ref,
    };
    const exchange = deps.exchangeOf?.(outcome);
    if (exchange) results[claimedIndex] = { ...results[claimedIndex]!, exchange };
  });
  return { results: results as AttemptResult[] };
}

/** The outage tracker as a batch sees it. */
export interface Judge {
  /** The connector's outcomes (not those of deliveries held before it was called). */
  record(outcomes: readonly Outcome[]): void;
  down(): boolean;
}

/**
 * Run `beforeDeliver` on each delivery, then the connector with those it let through, in order. A
 * held delivery becomes `retry` without a call, and says nothing about the destination.
 */
async function callPrepared(deps: BatchDeps, batch: readonly Delivery[], judge: Judge): Promise<readonly Outcome[]> {
  const call = async (ready: readonly Delivery[]) => {
    const outcomes = await callConnector(deps.connector, ready, deps.instance.policy.timeoutMs, deps.onThrow);
    judge.record(outcomes);
    return outcomes;
  };
  const { beforeDeliver } = deps;
  if (!beforeDeliver) return call(batch);
  const prepared = await Promise.all(
    batch.map(async (delivery): Promise<BeforeDeliverResult> => {
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
  if (ready.length === 0) judge.record([]); // all held: nothing said of the destination
  const answered = ready.length > 0 ? await call(ready) : [];
  let next = 0;
  return prepared.map((answer) => ('event' in answer ? answered[next++]! : retry(answer.reason, answer.retryAfterMs)));
}

function attemptOf(item: ClaimedDelivery, startedAt: number, now: number) {
  return { id: item.id, attempt: item.attempt, startedAt, durationMs: now - startedAt };
}
