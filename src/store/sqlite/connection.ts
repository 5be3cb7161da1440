import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../store.ts';
import { Checkpointer } from './checkpointer.ts';
import { GroupCommit } from './group-commit.ts';
import { acquireStoreLock } from './lock.ts';
import { MIGRATIONS } from './schema.ts';
import { type Statements, prepareStatements } from './statements.ts';
import { WalSync } from './wal-sync.ts';

export interface SqliteOptions {
  /** Path of the database file, or ":memory:". */
  readonly path: string;
  /** `full` (default) fsyncs every commit; `normal` survives a process crash but not a power loss. */
  readonly synchronous?: 'full' | 'normal';
  /** How long a write waits for a lock held by another process before failing (503). */
  readonly busyTimeoutMs?: number;
  /** Told about a problem the store works around but an operator should know of (the router logs it). */
  readonly onProblem?: (message: string) => void;
  /**
   * Own the file: refuse to open it while another process owns it (see acquireStoreLock). The
   * router asks for this; CLI tools working alongside it do not.
   */
  readonly exclusive?: boolean;
}

/**
 * The one database handle the role files of the SQLite adapter share: the group commit every
 * write goes through, the prepared statements, and the WAL sync and checkpoint threads.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  readonly sql: Statements;
  private readonly commits: GroupCommit;
  /** Durable commits are synced off the event loop (see WalSync); none for ":memory:" or synchronous=normal. */
  private readonly wal: WalSync | undefined;
  /** Checkpoints the WAL on a worker thread (see Checkpointer); none for ":memory:". */
  private readonly checkpointer: Checkpointer | undefined;
  private readonly lock: { release(): void } | undefined;
  private closed = false;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    if (options.exclusive && options.path !== ':memory:') this.lock = acquireStoreLock(options.path);
    try {
      this.db = openDatabase(options);
      this.sql = prepareStatements(this.db);
    } catch (error) {
      this.lock?.release();
      throw error;
    }
    if (options.path !== ':memory:') {
      // Durable commits wait for an fdatasync of the WAL, unless configured to skip fsyncs.
      if (options.synchronous !== 'normal') this.wal = new WalSync(`${options.path}-wal`);
      this.db.pragma('wal_autocheckpoint = 0');
      let fellBack = false;
      this.checkpointer = new Checkpointer(options.path, 1_000, (message) => {
        // Without its checkpoints the WAL would grow without end: let SQLite checkpoint again.
        if (this.closed) return;
        this.db.pragma('wal_autocheckpoint = 1000');
        if (!fellBack)
          options.onProblem?.(
            `WAL checkpoints on the checkpoint thread failed (${message}); SQLite checkpoints inside commits again, which can hold up acknowledgements`,
          );
        fellBack = true;
      });
    }
    const wal = this.wal;
    const sync = wal
      ? () =>
          wal.sync().catch((error: unknown) => {
            throw new StoreUnavailableError(
              `could not make the write durable (fdatasync of the WAL): ${error instanceof Error ? error.message : String(error)}`,
            );
          })
      : undefined;
    this.commits = new GroupCommit(this.db, options.synchronous === 'normal' ? 'NORMAL' : 'FULL', sync);
  }

  /**
   * Run `run` in the next group commit. `durable`: resolves once on disk. `lazy`: nobody waits on
   * it soon, so it may wait a few milliseconds for company (see GroupCommit).
   */
  async write<T>(run: () => T, durable = false, lazy = false): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    try {
      return await this.commits.write(run, durable, lazy);
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  read<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('store is closed'));
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(asUnavailable(error));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commits.flush();
    this.closed = true;
    await this.wal?.close();
    await this.checkpointer?.stop();
    this.db.close();
    this.lock?.release();
  }
}

/** Open the file in WAL mode and bring its schema up to date (closed again if that fails). */
function openDatabase(options: SqliteOptions): Database.Database {
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 2000}`);
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let index = version; index < MIGRATIONS.length; index++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[index]!);
        db.pragma(`user_version = ${index + 1}`);
      })();
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function asUnavailable(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_')) return new StoreUnavailableError(`store write failed (${code}): ${message}`);
  return error instanceof Error ? error : new Error(message);
}
