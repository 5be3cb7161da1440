import type { RoutedEvent } from '../domain/event.ts';
import type { ConnectorInstance } from '../domain/route.ts';
import type { Connector, Delivery } from '../sdk/connector.ts';
import type { Outcome } from '../sdk/outcome.ts';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import { decide } from './backoff.ts';
import { callConnector } from './call-connector.ts';

/** What sending one batch needs besides the batch. */
export interface BatchDeps {
  readonly instance: ConnectorInstance;
  readonly connector: Connector;
  readonly hydrate: (claimed: ClaimedDelivery) => RoutedEvent;
  readonly paramsFor: (route: string, stored: unknown) => unknown;
  /** Removes secrets from texts stored as errors. */
  readonly scrub: (text: string) => string;
  readonly onThrow: (error: unknown) => void;
}

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
  /** Told the connector's outcomes as soon as they arrive; answers whether the connector is now down. */
  judge: (outcomes: readonly Outcome[]) => boolean,
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
  if (batch.length === 0) return { results: results as AttemptResult[] };
  const outcomes = await callConnector(deps.connector, batch, deps.instance.policy.timeoutMs, deps.onThrow);
  const now = Date.now();
  const down = judge(outcomes);
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
  });
  return { results: results as AttemptResult[] };
}

function attemptOf(item: ClaimedDelivery, startedAt: number, now: number) {
  return { id: item.id, attempt: item.attempt, startedAt, durationMs: now - startedAt };
}
