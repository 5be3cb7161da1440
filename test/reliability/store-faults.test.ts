/**
 * Store faults: when the database cannot be written the receiver answers 503 (never 200), and it
 * takes webhooks again once the fault clears, without a restart.
 *
 * How the faults are made here (the tests run as root, so chmod does not stop a write):
 * - "locked": another connection holds BEGIN EXCLUSIVE; the router's writes time out (busy) → 503.
 * - "disk full": the router process's RLIMIT_FSIZE is lowered with prlimit(1) to 512 bytes, so every
 *   write past that offset into the WAL or the database fails (EFBIG; SQLite reports SQLITE_FULL or
 *   SQLITE_IOERR_WRITE, as on a full disk). Node ignores SIGXFSZ, so the process lives on. Raising
 *   the limit again is the disk getting space back. (`PRAGMA max_page_count` does not work from
 *   another connection: it is a per-connection setting, not stored in the file. A tmpfs needs mount.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import {
  LONG,
  SECRET,
  allRouterOutput,
  profile,
  startRouterChild,
  stopChild,
  tempDir,
  until,
  webhook,
  writeConfig,
  type RouterChild,
} from '../testkit/reliability/kit.ts';

const DURING_FAULT = profile(20, 200);

const CONFIG = `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET} }
store: sqlite:{{DIR}}/router.db?busyTimeoutMs=100
connectors:
  archive: { type: file, path: {{DIR}}/events.jsonl }
routes:
  - name: all
    to: [archive]
`;

function storedEventIds(dir: string): Set<string> {
  const db = new Database(join(dir, 'router.db'), { readonly: true });
  try {
    return new Set((db.prepare('SELECT id FROM events').all() as { id: string }[]).map((row) => row.id));
  } finally {
    db.close();
  }
}

async function faultRun(
  name: string,
  start: (router: RouterChild, dir: string) => void | Promise<void>,
  clear: (router: RouterChild, dir: string) => void | Promise<void>,
): Promise<void> {
  const tmp = tempDir(`store-${name}`);
  let router: RouterChild | undefined;
  try {
    const r: RouterChild = await startRouterChild(writeConfig(tmp.dir, CONFIG));
    router = r;
    const before = await r.post(webhook(`${name}-before`));
    assert.equal(before.status, 200);
    await start(r, tmp.dir);
    const statuses = new Map<number, number>();
    const acked: string[] = [];
    for (let n = 0; n < DURING_FAULT; n++) {
      const id = `${name}-during-${n}`;
      const { status, json }: { status: number; json: unknown } = await r.post(webhook(id));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) acked.push(id);
      else
        assert.equal((json as { error?: string }).error, 'store_unavailable', `503 says why: ${JSON.stringify(json)}`);
    }
    await clear(r, tmp.dir);
    // The router recovers on its own: the next webhooks are stored (Wassenger's retries succeed).
    const recovered = await until(
      async () => (await r.post(webhook(`${name}-after`))).status === 200,
      'a 200 after the fault cleared',
      10_000,
      100,
    );
    const again = await r.post(webhook(`${name}-during-0`));
    assert.equal(again.status, 200);
    const codes = [...new Set(r.output().match(/SQLITE_[A-Z_]+/g) ?? [])].join(', ');
    console.log(
      `${name}: SQLite said ${codes}; during the fault ${JSON.stringify(Object.fromEntries(statuses))} (status: count), acknowledged during the fault ${acked.length}; after: ${recovered ? 200 : '?'}, retry of a refused event: ${JSON.stringify(again.json)}`,
    );
    assert.deepEqual([...statuses.keys()], [503], 'only 503 while the store cannot write');
    // The process is still the same one, and what it stored is there.
    assert.equal(r.child.exitCode, null);
    await stopChild(r);
    const stored = storedEventIds(tmp.dir);
    assert.equal(stored.size, 3, `before, the retried one and after are stored (${stored.size})`);
  } finally {
    await stopChild(router);
    tmp.remove();
  }
}

test('database locked by another writer (BEGIN EXCLUSIVE): 503, then 200 once it is released', {
  timeout: 60_000,
}, async () => {
  let blocker: Database.Database | undefined;
  await faultRun(
    'locked',
    (_router, dir) => {
      blocker = new Database(join(dir, 'router.db'));
      blocker.pragma('busy_timeout = 5000');
      blocker.exec('BEGIN EXCLUSIVE');
    },
    () => {
      blocker!.exec('COMMIT');
      blocker!.close();
    },
  );
});

test('disk full (file size limit of the router process): 503, then 200 once there is room again', {
  timeout: 60_000,
}, async () => {
  await faultRun(
    'full',
    (router) => {
      execFileSync('prlimit', [`--pid=${router.pid}`, '--fsize=512:unlimited']);
    },
    (router) => {
      execFileSync('prlimit', [`--pid=${router.pid}`, '--fsize=unlimited:unlimited']);
    },
  );
});

test('the secret is never in the router output', () => {
  assert.ok(allRouterOutput.length >= 2);
  assert.ok(!allRouterOutput.join('').includes(SECRET));
  void LONG;
});

test('an attempt made while the store could not write is recorded once it can: the timeline has no gaps', {
  timeout: 60_000,
}, async (t) => {
  const { createServer } = await import('node:http');
  const { SERVER_YAML, fixture, startTestRouter } = await import('../testkit/router.ts');
  let calls = 0;
  let answerFirst: (() => void) | undefined;
  const sink = createServer((request, response) => {
    calls++;
    request.resume();
    if (calls === 1) answerFirst = () => response.writeHead(500).end('{"error":"try later"}');
    else response.writeHead(200).end('{}');
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => sink.once('listening', resolve));
  t.after(() => sink.close());
  const port = (sink.address() as { port: number }).port;
  const tmp = tempDir('store-gap');
  t.after(() => tmp.remove());
  const router = await startTestRouter(`${SERVER_YAML}
store: sqlite:${join(tmp.dir, 'router.db')}?busyTimeoutMs=100
connectors:
  sink: { type: http, url: "http://127.0.0.1:${port}/hook", delivery: { backoffBaseMs: 100, maxBackoffMs: 200 } }
routes:
  - name: all
    to: [sink]
`);
  t.after(() => router.close());
  assert.equal((await router.post(fixture('message-in-new'))).status, 200);
  await until(async () => answerFirst !== undefined, 'the first attempt at the sink', 10_000, 20);
  const blocker = new Database(join(tmp.dir, 'router.db'));
  blocker.exec('BEGIN EXCLUSIVE');
  answerFirst!(); // the attempt ends while the store cannot write its result
  await until(
    async () => router.rawLogs.some((line) => line.includes('Recording delivery results failed')),
    'the failed write in the log',
    10_000,
    20,
  );
  blocker.exec('COMMIT');
  blocker.close();
  const [delivery] = await until(
    async () => {
      const rows = await router.router.store.listDeliveries({ connector: 'sink', limit: 1 });
      return rows[0]?.status === 'delivered' ? rows : undefined;
    },
    'delivered after the store came back',
    20_000,
    50,
  );
  const attempts = await router.router.store.attemptsOf([delivery!.id]);
  assert.deepEqual(
    attempts.map((a) => [a.attempt, a.outcome]),
    [
      [1, 'retry'],
      [2, 'delivered'],
    ],
  );
});
