import { linkSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** How often the holder marks its lock as alive, and how old a mark may be before the lock counts as left. */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /** Tells this lock from a later one of a process that got the same pid (a restarted container). */
  readonly token: string;
}

/** Lock files this process holds, so a second open here is refused as well (its pid is alive: ours). */
const heldHere = new Set<string>();

/** Another process holds the store. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
}

/**
 * An SQLite store belongs to one router process: a second one would contend for its write lock,
 * and the first would answer 503 (SQLITE_BUSY) to webhooks. The owner keeps `<db>.lock` holding
 * its pid and host, created atomically (link of a complete file: never seen half written). A lock
 * whose process is gone is taken over: on this host, when its pid is not alive (or is ours, from
 * an earlier run of a restarted container); on another host (a volume moved to a new pod), when
 * its heartbeat is older than STALE_MS. SQLite's own locking was not used: it cannot say who holds it.
 * CLI tools (`replay`, `dead-letters`) open the store without the lock, alongside the router.
 */
export function acquireStoreLock(dbPath: string): { release(): void } {
  const path = `${dbPath}.lock`;
  const holder: Holder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
  for (let tries = 0; ; tries++) {
    if (tryCreate(path, holder)) break;
    const found = readHolder(path);
    if (found === 'gone') continue;
    if (tries >= 3 || (found !== 'unreadable' && isAlive(path, found)))
      throw new StoreLockedError(lockedMessage(dbPath, path, found));
    removeIfSame(path, found);
  }
  heldHere.add(path);
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // Removed by hand: nothing to keep alive; the database itself still works.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const release = (): void => {
    clearInterval(heartbeat);
    process.off('exit', release);
    if (!heldHere.delete(path)) return;
    const current = readHolder(path);
    if (typeof current === 'object' && current.token === holder.token) unlinkQuietly(path);
  };
  // An exit without close (an uncaught error) leaves no lock behind; a SIGKILL does, and is taken over.
  process.on('exit', release);
  return { release };
}

function tryCreate(path: string, holder: Holder): boolean {
  const draft = `${path}.${holder.token}`;
  writeFileSync(draft, `${JSON.stringify(holder)}\n`);
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(draft);
  }
}

function readHolder(path: string): Holder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Holder;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function isAlive(path: string, holder: Holder): boolean {
  if (holder.host !== hostname()) return !heartbeatStale(path);
  if (holder.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(holder.pid, 0);
    const started = startedAt(holder.pid);
    // Slack for the clock-tick rounding and boot-time precision of /proc.
    return started === undefined || started <= Date.parse(holder.since) + 2_000;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function heartbeatStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > STALE_MS;
  } catch {
    return true;
  }
}

/**
 * When a process started (epoch ms), from /proc on Linux; undefined elsewhere. A pid alive now but
 * started after the lock was written is another process that got the dead holder's pid.
 */
function startedAt(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const ticks = Number(fields[19]); // starttime: field 22 of stat, in clock ticks (USER_HZ 100) since boot
    return Number.isFinite(bootSeconds) && Number.isFinite(ticks) ? bootSeconds * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Take a lock left by a dead process away, unless another process took it over in the meantime. */
function removeIfSame(path: string, stale: Holder | 'unreadable'): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // Gone already: the next try creates it.
  }
  const moved = readHolder(aside);
  const same =
    stale === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.token === stale.token;
  if (!same) {
    // A live process's fresh lock: put it back (link fails if yet another one was created).
    try {
      linkSync(aside, path);
    } catch {}
  }
  unlinkQuietly(aside);
}

function lockedMessage(dbPath: string, path: string, holder: Holder | 'unreadable'): string {
  const who =
    holder === 'unreadable'
      ? `another process (its lock file ${path} cannot be read)`
      : `another wa-router process (pid ${holder.pid} on host ${holder.host}, since ${holder.since})`;
  return (
    `the store sqlite:${dbPath} is in use by ${who}. An SQLite store belongs to one router: stop that one ` +
    `first, give this one its own store, or use PostgreSQL to run several. If that process is gone, delete ${path}.`
  );
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
