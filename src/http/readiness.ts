/**
 * Readiness that follows the store's writes. `ping` only proves the store answers reads; on a full
 * disk it still does while every webhook gets 503, and a load balancer would keep sending traffic
 * to an instance that refuses all of it. So a failed write marks the instance not ready, and the
 * readiness check itself then tries a small write: the instance is ready again as soon as writes
 * succeed, without waiting for a webhook the load balancer no longer sends.
 */
export interface WriteHealth {
  /** Pass a store write through: its failure (per `isWriteFailure`) marks the store unwritable, its success writable. */
  track<T>(write: Promise<T>): Promise<T>;
  /** For /readyz: resolves when the store answers and can write; throws saying why not. */
  check(): Promise<void>;
}

export interface WriteHealthOptions {
  /** Cheap read that proves the store answers. */
  readonly ping: () => Promise<void>;
  /** A small real write, tried only while the last write failed. */
  readonly probe: () => Promise<void>;
  /** Whether an error means the store could not write (other errors, like a bad payload, do not count). */
  readonly isWriteFailure: (error: unknown) => boolean;
}

export function writeHealth(options: WriteHealthOptions): WriteHealth {
  let failing: { since: Date; reason: string } | undefined;
  const fail = (error: unknown): void => {
    failing ??= { since: new Date(), reason: error instanceof Error ? error.message : String(error) };
  };
  return {
    async track(write) {
      try {
        const value = await write;
        failing = undefined;
        return value;
      } catch (error) {
        if (options.isWriteFailure(error)) fail(error);
        throw error;
      }
    },
    async check() {
      await options.ping();
      const current = failing;
      if (!current) return;
      try {
        await options.probe();
        failing = undefined;
      } catch (error) {
        if (!options.isWriteFailure(error)) throw error;
        throw new Error(`the store cannot write (since ${current.since.toISOString()}): ${current.reason}`);
      }
    },
  };
}
