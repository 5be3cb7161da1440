import type { Database } from 'better-sqlite3';

/** How long a lazy write waits for company before committing alone. */
const LAZY_MS = 10;

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
 *
 * Given `sync` (WalSync), every group commits with synchronous=NORMAL and durable writes resolve
 * only once an fdatasync of the WAL, run off the event loop, has covered their commit.
 */
export class GroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private synchronous: 'FULL' | 'NORMAL' | undefined;
  /**
   * WAL syncs asked for and not finished. While one runs, durable writes wait for it to end and
   * then commit together: they could not be acknowledged before the next sync anyway, and one
   * commit for many writes puts each touched page into the WAL once instead of once per write.
   */
  private syncing = 0;
  private heldForSync = false;

  /**
   * @param durableMode the synchronous level of durable commits (FULL, or NORMAL when configured so).
   * @param sync makes committed WAL frames durable off the event loop (see WalSync); durable
   *   writes then commit with NORMAL and wait for it (given only with durableMode FULL).
   */
  constructor(
    private readonly db: Database,
    private readonly durableMode: 'FULL' | 'NORMAL' = 'FULL',
    private readonly sync?: () => Promise<void>,
  ) {}

  /**
   * Run `write` inside the next group transaction; resolves with its result once committed.
   * `durable`: the commit must reach the disk (fsync) before the promise resolves.
   * `lazy`: nobody waits on it soon (delivery results): it rides along with the next group, or
   * commits within LAZY_MS. Each commit writes every page it touched, so fewer commits write less.
   */
  write<T>(write: () => T, durable = false, lazy = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, durable, resolve: resolve as (value: unknown) => void, reject });
      if (lazy && !durable) this.scheduleLater();
      else if (durable && this.syncing > 0) this.heldForSync = true;
      else this.scheduleNow();
    });
  }

  private scheduleNow(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private scheduleLater(): void {
    if (this.scheduled || this.lazyTimer) return;
    this.lazyTimer = setTimeout(() => this.flush(), LAZY_MS);
  }

  /** Run what is queued now (also used at close). */
  flush(): void {
    this.scheduled = false;
    clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    let values: unknown[];
    try {
      this.setSynchronous(this.modeFor(group.some((pending) => pending.durable)));
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
    this.settle(group, values);
  }

  private runAlone(pending: PendingWrite): void {
    let value: unknown;
    try {
      this.setSynchronous(this.modeFor(pending.durable));
      value = this.db.transaction(pending.run)();
    } catch (error) {
      pending.reject(error);
      return;
    }
    this.settle([pending], [value]);
  }

  /** SQLite syncs at commit only when durability is asked for and no WalSync does it for us. */
  private modeFor(durable: boolean): 'FULL' | 'NORMAL' {
    return durable && !this.sync ? this.durableMode : 'NORMAL';
  }

  /** Resolve committed writes: durable ones after the WAL sync that follows their commit. */
  private settle(group: readonly PendingWrite[], values: readonly unknown[]): void {
    const waiting: number[] = [];
    group.forEach((pending, index) => {
      if (pending.durable && this.sync) waiting.push(index);
      else pending.resolve(values[index]);
    });
    if (waiting.length === 0) return;
    this.syncing++;
    const synced = () => {
      this.syncing--;
      if (this.syncing === 0 && this.heldForSync) {
        this.heldForSync = false;
        this.scheduleNow();
      }
    };
    this.sync!().then(
      () => {
        synced();
        waiting.forEach((index) => group[index]!.resolve(values[index]));
      },
      (error: unknown) => {
        synced();
        waiting.forEach((index) => group[index]!.reject(error));
      },
    );
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
