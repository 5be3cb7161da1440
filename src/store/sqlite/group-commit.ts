import type { Database } from 'better-sqlite3';

interface PendingWrite {
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every write asked for during one event-loop turn runs in ONE transaction, so one
 * fsync covers many webhook requests. better-sqlite3 is synchronous and a commit's fsync blocks the
 * event loop; committing per request costs most of the throughput (DESIGN.md, performance notes).
 * Each write runs in its own savepoint, so one failing write rejects alone; a failed COMMIT
 * (disk full, database locked) rejects every write of the group and nothing of it is kept.
 */
export class GroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;

  constructor(private readonly db: Database) {}

  /** Run `write` inside the next group transaction; resolves with its result once committed. */
  write<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, resolve: resolve as (value: unknown) => void, reject });
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
