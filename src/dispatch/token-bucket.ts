/**
 * A token bucket for a connector's `ratePerSec`: holds up to one second of tokens, refilled
 * continuously. A rate of 0 means unlimited.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSec: number,
    now: number = Date.now(),
  ) {
    this.tokens = Math.max(1, ratePerSec);
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const capacity = Math.max(1, this.ratePerSec);
    this.tokens = Math.min(capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSec);
    this.updatedAt = now;
  }

  /** Whole tokens available now (Infinity when unlimited). */
  available(now: number = Date.now()): number {
    if (this.ratePerSec <= 0) return Infinity;
    this.refill(now);
    return Math.floor(this.tokens);
  }

  take(count: number, now: number = Date.now()): void {
    if (this.ratePerSec <= 0) return;
    this.refill(now);
    this.tokens -= count;
  }

  /** Milliseconds until one whole token is available. */
  waitMs(now: number = Date.now()): number {
    if (this.ratePerSec <= 0) return 0;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
  }
}
