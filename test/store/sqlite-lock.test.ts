import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { REPO_ROOT, exited, spawnRouter } from '../testkit/process.ts';
import { SECRET, fixture } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'wa-router-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const env = { WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' };

function routerConfig(sinkUrl: string): { file: string; db: string } {
  const n = counter++;
  const db = join(dir, `router-${n}.db`);
  const file = join(dir, `wa-router-${n}.yaml`);
  writeFileSync(
    file,
    `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET} }
store: sqlite:${db}
connectors:
  sink: { type: http, url: ${sinkUrl}/in }
routes:
  - name: all
    to: [sink]
`,
  );
  return { file, db };
}

async function postWebhook(port: number, id: string): Promise<number> {
  const base = JSON.parse(fixture('message-in-new'));
  const response = await fetch(`http://127.0.0.1:${port}/webhooks/wassenger?key=${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...base, data: { ...base.data, id } }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Run `wa-router serve` expecting it to give up (stopped if it listens); resolves with its exit code and everything it printed. */
async function serveUntilExit(file: string): Promise<{ code: number | string; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // One that starts after all is stopped, so the test fails instead of waiting for it.
  child.stdout.on('data', () => {
    if (output.includes('Router listening')) child.kill('SIGTERM');
  });
  const code = await exited(child);
  return { code, output };
}

test('a second router on the same SQLite store refuses to start, naming the store and its holder; the first keeps answering 200', async () => {
  const sink = await HttpSink.start();
  const { file, db } = routerConfig(sink.url);
  const first = await spawnRouter(file, env);
  try {
    assert.equal(await postWebhook(first.port, 'LOCK-BEFORE'), 200);
    const second = await serveUntilExit(file);
    assert.notEqual(second.code, 0, second.output);
    assert.match(second.output, /Router could not start/);
    assert.ok(second.output.includes(`sqlite:${db}`), `names the store path:\n${second.output}`);
    assert.ok(second.output.includes(`pid ${first.child.pid} on host ${hostname()}`), second.output);
    assert.doesNotMatch(second.output, /Router listening/);
    assert.equal(await postWebhook(first.port, 'LOCK-AFTER'), 200);
    await waitFor(() => sink.requests.length >= 2, 'both events delivered by the first router');
  } finally {
    first.child.kill('SIGTERM');
    assert.equal(await exited(first.child), 0);
    await sink.close();
  }
  assert.equal(existsSync(`${db}.lock`), false, 'a router stopped cleanly leaves no lock');
});

test('the lock left by a router killed with SIGKILL does not block its restart', async () => {
  const sink = await HttpSink.start();
  const { file, db } = routerConfig(sink.url);
  try {
    const first = await spawnRouter(file, env);
    first.child.kill('SIGKILL');
    assert.equal(await exited(first.child), 'SIGKILL');
    assert.ok(existsSync(`${db}.lock`), 'the killed router left its lock');
    const second = await spawnRouter(file, env);
    try {
      assert.equal(await postWebhook(second.port, 'LOCK-RESTART'), 200);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  } finally {
    await sink.close();
  }
});

function writeLock(db: string, holder: { pid: number; host: string; since: string }): void {
  writeFileSync(`${db}.lock`, JSON.stringify({ ...holder, token: 'test' }));
}

test('sqlite lock: refused while this process holds it; free again once closed', async () => {
  const db = join(dir, `in-process-${counter++}.db`);
  const first = new SqliteStore({ path: db, exclusive: true });
  assert.throws(() => new SqliteStore({ path: db, exclusive: true }), /in use by another wa-router process/);
  // CLI tools (replay, dead-letters) open the store alongside the router, without the lock.
  const tool = new SqliteStore({ path: db });
  await tool.close();
  await first.close();
  await new SqliteStore({ path: db, exclusive: true }).close();
});

test('sqlite lock: a live holder on this host is refused; a dead one, or a pid reused by a younger process, is taken over', async () => {
  const db = join(dir, `holders-${counter++}.db`);
  // The test runner's parent process is alive and started before now.
  writeLock(db, { pid: process.ppid, host: hostname(), since: new Date().toISOString() });
  assert.throws(
    () => new SqliteStore({ path: db, exclusive: true }),
    (error: Error) => error.message.includes(`pid ${process.ppid} on host ${hostname()}`) && error.message.includes(db),
  );
  // The same live pid, but the lock is older than that process: a pid reused after the holder died.
  writeLock(db, { pid: process.ppid, host: hostname(), since: '2000-01-01T00:00:00.000Z' });
  await new SqliteStore({ path: db, exclusive: true }).close();
  const gone = spawn(process.execPath, ['-e', '']);
  await exited(gone);
  writeLock(db, { pid: gone.pid!, host: hostname(), since: new Date().toISOString() });
  await new SqliteStore({ path: db, exclusive: true }).close();
});

test('sqlite lock: a holder on another host is refused while its heartbeat is fresh, taken over once it is stale', async () => {
  const db = join(dir, `other-host-${counter++}.db`);
  writeLock(db, { pid: 1, host: 'another-pod', since: new Date().toISOString() });
  assert.throws(() => new SqliteStore({ path: db, exclusive: true }), /pid 1 on host another-pod/);
  const old = new Date(Date.now() - 120_000);
  utimesSync(`${db}.lock`, old, old);
  await new SqliteStore({ path: db, exclusive: true }).close();
});
