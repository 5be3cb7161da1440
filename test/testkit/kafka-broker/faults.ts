/**
 * Queued fault injections, consumed one per matching request, in the order
 * they were scheduled. Kept apart from the connections so that faults
 * scheduled before a reconnect or restart still apply afterwards.
 */
export class FaultInjector {
  private readonly failures = new Map<number, number[]>();
  private readonly delays = new Map<number, number[]>();
  private readonly drops = new Map<number, number[]>();

  /** Answer the next `count` requests of `apiKey` with `errorCode`. */
  failNext(apiKey: number, errorCode: number, count: number): void {
    enqueue(this.failures, apiKey, errorCode, count);
  }

  /** Hold back the responses to the next `count` requests of `apiKey` by `ms`. */
  delayNext(apiKey: number, ms: number, count: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a non-negative number of ms, got ${ms}`);
    enqueue(this.delays, apiKey, ms, count);
  }

  /** Apply the next `count` requests of `apiKey`, then close the connection instead of answering. */
  dropAfterNext(apiKey: number, count: number): void {
    enqueue(this.drops, apiKey, 1, count);
  }

  takeDrop(apiKey: number): boolean {
    return this.drops.get(apiKey)?.shift() !== undefined;
  }

  takeFailure(apiKey: number): number | undefined {
    return this.failures.get(apiKey)?.shift();
  }

  takeDelay(apiKey: number): number | undefined {
    return this.delays.get(apiKey)?.shift();
  }

  /** Forget every fault not yet consumed. */
  clear(): void {
    this.failures.clear();
    this.delays.clear();
    this.drops.clear();
  }
}

function enqueue(queues: Map<number, number[]>, apiKey: number, value: number, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  let queue = queues.get(apiKey);
  if (queue === undefined) {
    queue = [];
    queues.set(apiKey, queue);
  }
  for (let i = 0; i < count; i++) queue.push(value);
}
