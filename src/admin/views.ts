import type { AttemptView, DeliveryView } from '../store/store.ts';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));

/**
 * A delivery as the API shows it. `held` says why a pending delivery is not sent although its time
 * has come: its connector is paused (the stored `nextAt` is then in the past and means nothing).
 */
export function deliveryJson(delivery: DeliveryView, paused: ReadonlySet<string>): Record<string, unknown> {
  const pending = delivery.status === 'pending';
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    event: delivery.event,
    receivedAt: iso(delivery.receivedAt),
    connector: delivery.connector,
    route: delivery.route,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAt: pending ? iso(delivery.nextAt) : null,
    held: pending && paused.has(delivery.connector) ? 'paused' : null,
    lastError: delivery.lastError ?? null,
    ref: delivery.ref ?? null,
    updatedAt: iso(delivery.updatedAt),
  };
}

/**
 * One attempt. `outcome` is what the connector answered; `result` is what the attempt did to the
 * delivery: the last attempt of a dead letter answered `retry` (attempts or age ran out) but made
 * it dead. `request` (method, url, headers, body) and `response` (status, headers, body) appear when
 * the attempt recorded them (`capture.attempts`, see docs/console.md), masked and cut as stored.
 */
export function attemptJson(attempt: AttemptView, delivery: DeliveryView, last: boolean): Record<string, unknown> {
  const madeDead = last && delivery.status === 'dead';
  const { request, response } = attempt.exchange ?? {};
  return {
    attempt: attempt.attempt,
    startedAt: iso(attempt.startedAt),
    durationMs: attempt.durationMs,
    outcome: attempt.outcome,
    result: madeDead ? 'dead' : attempt.outcome,
    error: attempt.error ?? null,
    ref: attempt.ref ?? null,
    ...(request === undefined ? {} : { request }),
    ...(response === undefined ? {} : { response }),
  };
}

/** Names of the connectors paused in this instance (the dispatcher follows pauses made elsewhere). */
export function pausedConnectors(running: ReadonlyMap<string, { worker: { isPaused: boolean } }>): Set<string> {
  return new Set([...running].filter(([, entry]) => entry.worker.isPaused).map(([name]) => name));
}
