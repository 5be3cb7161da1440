import type { Logger } from '../observability/logger.ts';
import type { AttemptResult, ClaimedDelivery } from '../domain/delivery.ts';
import type { DeliveryQueue } from '../store/store.ts';

/** Results kept while the store cannot write, at most (older ones are dropped; their leases expire). */
const MAX_KEPT = 10_000;

/**
 * Writes a worker's attempt results to the store and logs each. When the store cannot write (disk
 * full, database locked) the results are kept and written before the worker claims again, so the
 * event's timeline has no gaps: a store owned by one process claims only through its workers, so
 * nothing overtakes them, and the deliveries they leave undone are retried as later attempts.
 */
export class ResultWriter {
  private kept: AttemptResult[] = [];

  constructor(
    private readonly store: Pick<DeliveryQueue, 'recordResults'>,
    private readonly log: Logger,
    private readonly onResult?: (result: AttemptResult, claimed: ClaimedDelivery) => void,
  ) {}

  /** Write (`urgent`: commit at once) and log one batch's results; false when they had to be kept. */
  async write(
    results: readonly AttemptResult[],
    claimed: readonly ClaimedDelivery[],
    urgent: boolean,
  ): Promise<boolean> {
    let written = true;
    try {
      await this.store.recordResults(results, { urgent });
    } catch (error) {
      written = false;
      this.log.error(
        { err: error, results: results.length },
        'Recording delivery results failed; they are kept and written once the store can write again.',
      );
      // Kept without their request and response: up to 9 KB each, they would make the backlog heavy,
      // and were a capture what the store refused, the results still get written.
      for (const result of results) this.kept.push(result.exchange ? { ...result, exchange: undefined } : result);
      if (this.kept.length > MAX_KEPT) this.kept.splice(0, this.kept.length - MAX_KEPT);
    }
    results.forEach((result, index) => {
      this.logResult(result, claimed[index]!);
      this.onResult?.(result, claimed[index]!);
    });
    return written;
  }

  /** Write the kept results; false while the store still cannot. */
  async writeKept(): Promise<boolean> {
    if (this.kept.length === 0) return true;
    const kept = this.kept;
    this.kept = [];
    try {
      await this.store.recordResults(kept, { urgent: true });
      this.log.info({ results: kept.length }, 'Recorded the delivery results kept while the store could not write.');
      return true;
    } catch {
      this.kept = kept.concat(this.kept);
      return false;
    }
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
      this.log.error({ ...fields, reason: result.error }, 'Delivery failed; it is now a dead letter.');
    else if (result.status === 'pending')
      this.log.warn(
        { ...fields, reason: result.error, nextAt: new Date(result.nextAt!).toISOString() },
        'Delivery will be retried.',
      );
    else this.log.debug({ ...fields, outcome: result.status, ref: result.ref }, 'Delivery done.');
  }
}
