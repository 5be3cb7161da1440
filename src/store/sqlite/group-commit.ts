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
 * If one write throws, the group is rolled back and each write runs again in a transaction of
 * its own, so only the faulty one fails; a failure of the storage itself (disk full, database
 * locked) rejects every write of the group, and nothing of it is kept.
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
    let values: unknown[];
    try {
      this.setSynchronous(group.some((pending) => pending.durable) ? this.durableMode : 'NORMAL');
      values = this.db.transaction(() => group.map((pending) => pending.run()))();
    } catch (error) {
      // The whole group was rolled back. If the store itself failed (disk full, locked), every
      // write fails alike; if one write was at fault, the others must not fail with it.
      if (group.length === 1 || isStoreFailure(error)) {
        for (const pending of group) pending.reject(error);
      } else {
        for (const pending of group) this.runAlone(pending);
      }
      return;
    }
    group.forEach((pending, index) => pending.resolve(values[index]));
  }

  private runAlone(pending: PendingWrite): void {
    try {
      this.setSynchronous(pending.durable ? this.durableMode : 'NORMAL');
      pending.resolve(this.db.transaction(pending.run)());
    } catch (error) {
      pending.reject(error);
    }
  }

  private setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (mode === this.synchronous) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }
}

/** Errors of the storage itself, as opposed to a constraint or a bug in one write. */
function isStoreFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOMEM|PERM)/.test(code);
}
