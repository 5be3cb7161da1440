/**
 * The parts of the SQLite store that keep fsync and checkpoints off the event loop: durable writes
 * wait for the WAL sync, lazy writes ride along with the next group, and the checkpointer thread
 * copies the WAL into the database file while the router's connection never checkpoints.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Checkpointer } from '../../src/store/sqlite/checkpointer.ts';
import { GroupCommit } from '../../src/store/sqlite/group-commit.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { WalSync } from '../../src/store/sqlite/wal-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'wa-router-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('group commit with a WAL sync: durable writes resolve only after the sync that follows their commit', async () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  let release!: () => void;
  let syncs = 0;
  const commits = new GroupCommit(db, 'FULL', () => {
    syncs++;
    return new Promise<void>((resolve) => (release = resolve));
  });
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  let durableDone = false;
  const durable = commits.write(insert(1), true).then(() => (durableDone = true));
  const plain = await commits.write(insert(2));
  assert.equal(plain, 1, 'a bookkeeping write resolves at its commit');
  assert.equal(syncs, 1);
  await sleep(20);
  assert.equal(durableDone, false, 'the acknowledged write waits for the sync');
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 2, 'both are committed');
  release();
  await durable;
  assert.equal(durableDone, true);
  db.close();
});

test('group commit: a lazy write rides along with the next prompt one, or commits alone within a few ms', async () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  const commits = new GroupCommit(db);
  let transactions = 0;
  const counted = (run: () => unknown) => () => {
    transactions++;
    return run();
  };
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  // Alone: it still commits, soon.
  const started = Date.now();
  await commits.write(insert(1), false, true);
  assert.ok(Date.now() - started < 1_000);
  // With a prompt write queued after it: one group.
  const groups: number[] = [];
  const original = db.transaction.bind(db);
  (db as unknown as { transaction: typeof db.transaction }).transaction = ((fn: (...args: unknown[]) => unknown) => {
    const wrapped = original(fn);
    return Object.assign((...args: unknown[]) => {
      groups.push(1);
      return wrapped(...args);
    }, wrapped);
  }) as typeof db.transaction;
  // A lazy write waits (a prompt one would have committed on the next turn of the loop)...
  const lazy = commits.write(counted(insert(2)), false, true);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(groups.length, 0, 'the lazy write has not committed on its own');
  // ...and commits with the next prompt write, in one group.
  await Promise.all([lazy, commits.write(counted(insert(3)))]);
  assert.equal(transactions, 2);
  assert.equal(groups.length, 1, "the lazy write committed in the prompt write's group");
  db.close();
});

test('WAL sync: callers during a running sync share the next one; a missing file is an error', async () => {
  const path = join(dir, 'sync.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)');
  const wal = new WalSync(`${path}-wal`);
  await Promise.all([wal.sync(), wal.sync(), wal.sync()]);
  await wal.sync();
  await wal.close();
  db.close();
  await assert.rejects(new WalSync(join(dir, 'nothing-wal')).sync(), /ENOENT/);
});

test('checkpointer: copies the WAL into the database file while the writer never checkpoints', async () => {
  const path = join(dir, 'checkpoint.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (v TEXT)');
  const before = statSync(path).size;
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let n = 0; n < 200; n++) insert.run('x'.repeat(4_000));
  })();
  assert.equal(statSync(path).size, before, 'nothing reached the database file yet: it is all in the WAL');
  const checkpointer = new Checkpointer(path, 20);
  const deadline = Date.now() + 5_000;
  while (statSync(path).size < before + 200 * 4_000 && Date.now() < deadline) await sleep(20);
  assert.ok(statSync(path).size >= before + 200 * 4_000, 'the pages were copied into the database file');
  await checkpointer.stop();
  db.close();
});

test('checkpoint thread: a checkpoint that fails reports why (the store then logs it once and checkpoints in commits)', async () => {
  const path = join(dir, 'not-a-database.db');
  writeFileSync(path, 'this file is not SQLite. '.repeat(200));
  const problems: string[] = [];
  const checkpointer = new Checkpointer(path, 20, (message) => problems.push(message));
  const deadline = Date.now() + 5_000;
  while (problems.length === 0 && Date.now() < deadline) await sleep(20);
  await checkpointer.stop();
  assert.match(problems[0] ?? '', /not a database/);
});

test('sqlite store: an acknowledged append survives in the file, and close waits for its sync', async () => {
  const path = join(dir, 'store.db');
  const store = new SqliteStore({ path });
  const appended = store.appendWebhooks([
    { body: '{}', receivedAt: 1, events: [{ id: 'x', event: 'e', itemIndex: 0 }] },
  ]);
  await store.close();
  assert.equal((await appended)[0]!.accepted, 1);
  const reopened = new SqliteStore({ path });
  assert.equal((await reopened.getEvent('x'))?.id, 'x');
  await reopened.close();
});
