import type { DeliveryPolicy } from '../sdk/connector.ts';
import type { Outcome } from '../sdk/outcome.ts';
import type { DeliveryStatus } from '../domain/delivery.ts';
import { PROBE_ROTATION_MS } from './outage.ts';

/** Never retry sooner than this, even when full jitter draws zero: no tight retry loops. */
export const MIN_RETRY_DELAY_MS = 100;

/** Exponential backoff with full jitter: a random delay in [floor, min(max, base·2^(attempt-1))]. */
export function backoffDelay(
  attempt: number,
  policy: Pick<DeliveryPolicy, 'backoffBaseMs' | 'maxBackoffMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffBaseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(MIN_RETRY_DELAY_MS, Math.round(random() * ceiling));
}

export interface Decision {
  readonly status: DeliveryStatus;
  readonly nextAt?: number;
  readonly error?: string;
  readonly ref?: string;
}

export interface DecisionContext {
  readonly attempt: number;
  readonly receivedAt: number;
  readonly now: number;
  readonly policy: DeliveryPolicy;
  readonly random?: () => number;
  /** The connector's destination is down as a whole (see OutageTracker): its probes wait for it, not for a backoff. */
  readonly connectorDown?: boolean;
}

/**
 * What becomes of a delivery after an attempt. `retry` waits its backoff, and at least as long as
 * the destination's Retry-After; past `maxAttempts` or `maxAgeMs` it becomes a dead letter with the
 * last reason. `failed` is a dead letter at once. An unreachable destination while the connector is
 * down is not the delivery's fault: it stays due, whatever its attempts. Pure: the dispatcher's only
 * timing policy.
 */
export function decide(outcome: Outcome, context: DecisionContext): Decision {
  switch (outcome.status) {
    case 'delivered':
      return outcome.ref === undefined ? { status: 'delivered' } : { status: 'delivered', ref: outcome.ref };
    case 'skipped':
      return { status: 'skipped', error: outcome.reason };
    case 'failed':
      return { status: 'dead', error: outcome.reason };
    case 'retry': {
      const { attempt, policy, now, receivedAt } = context;
      if (context.connectorDown && outcome.unreachable) {
        // The outage, not the delivery, failed: no attempt budget is spent, and the probes set the pace
        // (this one steps back so the next probe takes another delivery).
        const wait = Math.max(outcome.retryAfterMs ?? 0, PROBE_ROTATION_MS);
        return { status: 'pending', nextAt: now + wait, error: outcome.reason };
      }
      if (attempt >= policy.maxAttempts) {
        return { status: 'dead', error: `gave up after ${attempt} attempts: ${outcome.reason}` };
      }
      const delay = Math.max(outcome.retryAfterMs ?? 0, backoffDelay(attempt, policy, context.random));
      if (now + delay - receivedAt > policy.maxAgeMs) {
        return {
          status: 'dead',
          error: `gave up: the event would be older than ${policy.maxAgeMs} ms at the next attempt: ${outcome.reason}`,
        };
      }
      return { status: 'pending', nextAt: now + delay, error: outcome.reason };
    }
  }
}
