import type { ClaimedDelivery } from '../domain/delivery.ts';

/**
 * A worker's one input queue: deliveries leased to this instance and ready to send, oldest first.
 * Two feeders fill it, both with leased deliveries: store claims, and deliveries that ingest created
 * leased and offered right after the commit (which spares a claim per event on a quiet router).
 * A delivery is only sent while enough of its lease is left to finish under it; one that waited too
 * long is dropped here and left to its lease, after which a claim takes it again.
 */
export class Inbox {
  private items: ClaimedDelivery[] = [];
  private head = 0;

  constructor(
    /** How much lease a delivery needs left when it is sent (the deadline plus a margin). */
    private readonly leaseNeededMs: number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(deliveries: readonly ClaimedDelivery[]): void {
    for (const delivery of deliveries) this.items.push(delivery);
  }

  /** Up to `limit` deliveries that can still finish under their lease. */
  take(limit: number, now: number): ClaimedDelivery[] {
    const taken: ClaimedDelivery[] = [];
    while (taken.length < limit && this.head < this.items.length) {
      const delivery = this.items[this.head++]!;
      if (delivery.leaseUntil === undefined || delivery.leaseUntil - this.leaseNeededMs > now) taken.push(delivery);
    }
    this.compact();
    return taken;
  }

  /** Everything not sent yet (a reload hands it to the worker that replaces this one). */
  takeAll(): ClaimedDelivery[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }

  /** Drop the consumed head now and then, so the array neither grows forever nor is copied per take. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1_024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
