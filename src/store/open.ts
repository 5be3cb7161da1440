import { resolve } from 'node:path';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export interface OpenOptions {
  /** Told about a problem the store works around but an operator should know of. */
  readonly onProblem?: (message: string) => void;
  /**
   * The router's own store: an SQLite file is refused while another process owns it (the store
   * of one instance). CLI tools leave this off and work alongside the running router.
   */
  readonly exclusive?: boolean;
}

/**
 * Open the store named by a config URL. `sqlite:<path>` (relative to the working directory), with
 * optional `?synchronous=normal` (survives a process crash, not a power loss; faster) and
 * `?busyTimeoutMs=N` (how long a write waits for a lock before the receiver answers 503);
 * `postgres://user@host:port/db?schema=NAME` for several instances sharing one database.
 */
export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const [path, query] = url.slice('sqlite:'.length).split('?', 2) as [string, string | undefined];
    const params = new URLSearchParams(query ?? '');
    const synchronous = params.get('synchronous') === 'normal' ? 'normal' : 'full';
    const busy = Number(params.get('busyTimeoutMs') ?? 2000);
    return new SqliteStore({
      path: path === ':memory:' ? path : resolve(path),
      synchronous,
      busyTimeoutMs: Number.isFinite(busy) ? busy : 2000,
      ...options,
    });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // Loaded here, not at module load: pg costs memory at start even when the store is SQLite.
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    return PostgresStore.open({ url });
  }
  throw new Error(`unknown store "${url.split(':')[0]}": use sqlite:<path> or postgres://user@host/db`);
}

/** The store URL for logs: no query string, no password. */
export function describeStore(url: string): string {
  const [base] = url.split('?') as [string];
  return base.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:[redacted]@');
}
