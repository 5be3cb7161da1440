import type { Database } from 'better-sqlite3';

interface PendingWrite {
  run(): unknown;
  durable: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every write asked for during one event-loop turn runs in ONE transaction, so one
 * fsync covers many webhook requests. better-sqlite3 is synchronous and a commit's fsync blocks the
 * event loop; committing per request costs most of the throughput (DESIGN.md, performance notes).
 * Each write runs in its own savepoint, so one failing write rejects alone; a failed COMMIT
 * (disk full, database locked) rejects every write of the group and nothing of it is kept.
 *
 * Only some writes must survive a power loss (the events acknowledged to Wassenger); the
 * bookkeeping of routing and delivery can be redone after a crash (at-least-once). A group with
 * no durable write commits with synchronous=NORMAL (no fsync in WAL mode); the next durable
 * commit's fsync makes the whole WAL, those frames included, durable.
 */
export class GroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private synchronous: 'FULL' | 'NORMAL' | undefined;

  /** @param durableMode the synchronous level of durable commits (FULL, or NORMAL when configured so). */
  constructor(private readonly db: Database, private readonly durableMode: 'FULL' | 'NORMAL' = 'FULL') {}

  /**
   * Run `write` inside the next group transaction; resolves with its result once committed.
   * `durable`: the commit must reach the disk (fsync) before the promise resolves.
   */
  write<T>(write: () => T, durable = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, durable, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Run what is queued now (also used at close). */
  flush(): void {
    this.scheduled = false;
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    const results: { value?: unknown; error?: unknown; failed: boolean }[] = [];
    try {
      const mode = group.some((pending) => pending.durable) ? this.durableMode : 'NORMAL';
      if (mode !== this.synchronous) {
        this.db.pragma(`synchronous = ${mode}`);
        this.synchronous = mode;
      }
      this.db.transaction(() => {
        for (const pending of group) {
          try {
            results.push({ value: this.db.transaction(pending.run)(), failed: false });
          } catch (error) {
            results.push({ error, failed: true });
          }
        }
      })();
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, index) => {
      const result = results[index]!;
      if (result.failed) pending.reject(result.error);
      else pending.resolve(result.value);
    });
  }
}
