import { resolve } from 'node:path';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/**
 * Open the store named by a config URL. `sqlite:<path>` (relative to the working directory), with
 * optional `?synchronous=normal` to trade power-loss durability for speed.
 */
export function openStore(url: string): Store {
  if (url.startsWith('sqlite:')) {
    const [path, query] = url.slice('sqlite:'.length).split('?', 2) as [string, string | undefined];
    const params = new URLSearchParams(query ?? '');
    const synchronous = params.get('synchronous') === 'normal' ? 'normal' : 'full';
    return new SqliteStore({ path: path === ':memory:' ? path : resolve(path), synchronous });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new Error('the PostgreSQL store is not available in this version; use sqlite:<path>');
  }
  throw new Error(`unknown store "${url.split(':')[0]}": use sqlite:<path>`);
}
