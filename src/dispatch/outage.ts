import type { Outcome } from '../sdk/outcome.ts';

/** The first probe after an outage begins waits this long; each failed probe doubles it. */
export const FIRST_PROBE_MS = 500;
/** Probes never wait longer than this, so a backlog starts draining within it of the destination's return. */
export const MAX_PROBE_MS = 4_000;

/**
 * While down, a delivery whose probe failed becomes due this much later, so the next probe (claims
 * take the earliest due first) takes another delivery: one bad host behind a plugin's per-event
 * address cannot hold the whole connector down. Short, since a chat's head delivery that steps back
 * also holds its chat (orderBy: chat) once the destination is back.
 */
export const PROBE_ROTATION_MS = 1_000;

/** An outage opens after this many unreachable outcomes in a row (one is a blip, not an outage). */
export const OPEN_AFTER = 3;

/** True for the outcome a connector gives when the destination itself cannot be reached. */
export function isUnreachable(outcome: Outcome): boolean {
  return outcome.status === 'retry' && outcome.unreachable === true;
}

export type OutageChange = 'began' | 'ended' | undefined;

/**
 * Whether a connector's destination is down as a whole, after the circuit breakers of Envoy and
 * Vector: OPEN_AFTER unreachable outcomes in a row (connection refused or reset, DNS, a broker that
 * cannot be reached) open the outage; from then on the worker sends one probe delivery at a time,
 * at growing intervals capped at MAX_PROBE_MS, instead of every delivery backing off on its own.
 * The first other outcome ends it, and the worker drains the backlog at once. Pure: the worker
 * feeds it outcomes and the clock.
 */
export class OutageTracker {
  private down = false;
  private probeDelayMs = FIRST_PROBE_MS;
  private nextProbeAt = 0;
  private probing = false;
  private unreachableInRow = 0;

  get isDown(): boolean {
    return this.down;
  }

  /** When the next probe may go (only meaningful while down). */
  get probeAt(): number {
    return this.nextProbeAt;
  }

  /** How many deliveries may be sent now: all (undefined) when healthy, 1 for a probe, else 0. */
  allowance(now: number): number | undefined {
    if (!this.down) return undefined;
    return !this.probing && now >= this.nextProbeAt ? 1 : 0;
  }

  /** A probe was sent; no other goes until its outcome is recorded. */
  probeSent(): void {
    this.probing = true;
  }

  /**
   * Record a batch's outcomes (`probe`: the batch was the probe); says whether an outage began or
   * ended with it. Only a failed probe lengthens the wait: batches that were already in flight when
   * the outage began fail too, and say nothing new.
   */
  record(outcomes: readonly Outcome[], now: number, probe: boolean): OutageChange {
    if (probe) this.probing = false;
    if (outcomes.length === 0) return undefined;
    if (!outcomes.every(isUnreachable)) {
      this.unreachableInRow = 0;
      if (!this.down) return undefined;
      this.down = false;
      this.probeDelayMs = FIRST_PROBE_MS;
      return 'ended';
    }
    this.unreachableInRow += outcomes.length;
    const retryAfter = Math.max(0, ...outcomes.map((o) => (o.status === 'retry' ? (o.retryAfterMs ?? 0) : 0)));
    if (!this.down) {
      if (this.unreachableInRow < OPEN_AFTER) return undefined;
      this.down = true;
      this.probeDelayMs = FIRST_PROBE_MS;
      this.nextProbeAt = now + Math.max(this.probeDelayMs, retryAfter);
      return 'began';
    }
    if (probe) {
      this.probeDelayMs = Math.min(MAX_PROBE_MS, this.probeDelayMs * 2);
      this.nextProbeAt = now + Math.max(this.probeDelayMs, retryAfter);
    }
    return undefined;
  }
}
