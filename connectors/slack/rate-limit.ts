/**
 * Slack's posting limit is about one message per second per channel. The dispatcher's
 * `ratePerSec` is per connector instance, so this keeps a tiny schedule per channel: when a
 * channel's next slot is in the future the delivery is not sent but answered with
 * `retry(…, waitMs)`. Nothing here sleeps. A 429 from Slack holds the channel until its
 * Retry-After, so the other deliveries to that channel do not run into it too.
 */
export class ChannelRateLimiter {
  /** Channel id → earliest time (ms) its next message may be posted. */
  private readonly nextAt = new Map<string, number>();
  /** Channels held by a Slack Retry-After rather than by the rate. */
  private readonly heldBySlack = new Set<string>();

  constructor(
    private readonly ratePerSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take the channel's slot: 0 when the message may be posted now, else how many ms to wait. */
  take(channel: string): number {
    const now = this.now();
    const at = this.nextAt.get(channel) ?? 0;
    if (at > now) return at - now;
    this.heldBySlack.delete(channel);
    if (this.ratePerSec > 0) {
      this.nextAt.set(channel, now + 1000 / this.ratePerSec);
      if (this.nextAt.size > 1_000) this.prune(now);
    }
    return 0;
  }

  /** Slack said to wait: post nothing more to this channel before `at`. */
  holdUntil(channel: string, at: number): void {
    if (at > (this.nextAt.get(channel) ?? 0)) {
      this.nextAt.set(channel, at);
      this.heldBySlack.add(channel);
    }
  }

  /** Why a channel waits: Slack's Retry-After, or the configured rate. */
  isHeldBySlack(channel: string): boolean {
    return this.heldBySlack.has(channel);
  }

  private prune(now: number): void {
    for (const [channel, at] of this.nextAt) {
      if (at <= now) {
        this.nextAt.delete(channel);
        this.heldBySlack.delete(channel);
      }
    }
  }
}
