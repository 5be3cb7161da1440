import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { storeContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'wa-router-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

storeContract('sqlite', async () => new SqliteStore({ path: join(dir, `store-${counter++}.db`) }));

test('sqlite: data survives reopening the file', async () => {
  const path = join(dir, 'reopen.db');
  const first = new SqliteStore({ path });
  await first.appendWebhooks([{ body: '{}', receivedAt: 1, events: [{ id: 'x', event: 'e', itemIndex: 0 }] }]);
  await first.close();
  const second = new SqliteStore({ path });
  assert.equal((await second.takeUnrouted(10))[0]?.id, 'x');
  await second.close();
});

test('group commit: a faulty write fails alone; the others of its group are committed', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { GroupCommit } = await import('../../src/store/sqlite/group-commit.ts');
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER UNIQUE)');
  const commits = new GroupCommit(db);
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  const results = await Promise.allSettled([
    commits.write(insert(1)),
    commits.write(insert(1)),
    commits.write(insert(2), true),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').all(), [{ v: 1 }, { v: 2 }]);
  db.close();
});

test('sqlite: at start-up every lease of the previous process is released', async () => {
  const store = new SqliteStore({ path: join(dir, 'leases.db') });
  await store.appendWebhooks([{ body: '{}', receivedAt: 1, events: [{ id: 'x', event: 'e', itemIndex: 0 }] }]);
  const [event] = await store.takeUnrouted(1);
  await store.planDeliveries([{ eventSeq: event!.seq, deliveries: [{ connector: 'sink', route: 'r' }] }], 1);
  assert.equal(
    (await store.claimDue({ connector: 'sink', limit: 1, now: 1, leaseMs: 60_000, orderByChat: false })).length,
    1,
  );
  assert.equal(await store.recoverAtStart(), 1);
  assert.equal(
    (await store.claimDue({ connector: 'sink', limit: 1, now: 2, leaseMs: 60_000, orderByChat: false })).length,
    1,
  );
  await store.close();
});

test('sqlite: a claim keeping per-chat order takes up to maxPerChat of one chat, oldest first', async () => {
  const store = new SqliteStore({ path: join(dir, 'per-chat.db') });
  const body = '[]';
  await store.appendWebhooks([
    {
      body,
      receivedAt: 1,
      events: ['a1', 'b1', 'a2', 'a3'].map((id, itemIndex) => ({
        id,
        event: 'e',
        itemIndex,
        chatId: id[0],
        plan: [{ connector: 'k', route: 'r', chatKey: id[0] }],
      })),
    },
  ]);
  const claimed = await store.claimDue({
    connector: 'k',
    limit: 10,
    now: 1,
    leaseMs: 1_000,
    orderByChat: true,
    maxPerChat: 2,
  });
  assert.deepEqual(
    claimed.map((d) => d.eventId),
    ['a1', 'b1', 'a2'],
  );
  await store.close();
});

test('sqlite: a database made before attempts kept their exchange is upgraded in place, its attempts kept', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { MIGRATIONS } = await import('../../src/store/sqlite/schema.ts');
  const path = join(dir, 'before-exchange.db');
  const old = new Database(path);
  MIGRATIONS.slice(0, -1).forEach((migration) => old.exec(migration));
  old.pragma(`user_version = ${MIGRATIONS.length - 1}`);
  old.exec(`INSERT INTO webhooks VALUES (1, 1, '{}');
    INSERT INTO events (seq, id, webhook_seq, item_index, event, received_at) VALUES (1, 'old', 1, 0, 'e', 1);
    INSERT INTO deliveries (id, event_seq, connector, route, status, attempts, next_at, created_at, updated_at)
      VALUES (1, 1, 'sink', 'r', 'pending', 1, 1, 1, 1);
    INSERT INTO attempts VALUES (1, 1, 1, 5, 'retry', 'HTTP 500', NULL);`);
  old.close();
  const store = new SqliteStore({ path });
  try {
    const [attempt] = await store.attemptsOf(['1']);
    assert.equal(attempt?.error, 'HTTP 500');
    assert.equal(attempt?.exchange, undefined);
    await store.claimDue({ connector: 'sink', limit: 1, now: 2, leaseMs: 10_000, orderByChat: false });
    const exchange = { response: { status: 200, headers: {} } };
    await store.recordResults([
      { id: '1', attempt: 2, startedAt: 2, durationMs: 1, outcome: 'delivered', status: 'delivered', exchange },
    ]);
    assert.deepEqual((await store.attemptsOf(['1']))[1]?.exchange, exchange);
  } finally {
    await store.close();
  }
});
