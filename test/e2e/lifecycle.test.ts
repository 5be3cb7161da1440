/** Lifecycle defects a new user hit (issue 19): a taken port, and reloads after the file is replaced. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { exited, REPO_ROOT, spawnRouter } from '../testkit/process.ts';
import { fixture, SECRET } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

function config(dir: string, port: number, sinkUrl: string, routeTo: string): string {
  return `server: { port: ${port}, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}" }
store: sqlite:${join(dir, 'router.db')}
connectors:
  first: { type: http, url: "${sinkUrl}/first" }
  second: { type: http, url: "${sinkUrl}/second" }
routes:
  - name: all
    to: [${routeTo}]
`;
}

test('serve on a port in use exits non-zero at once, having delivered nothing it had stored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-port-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const taken = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => taken.once('listening', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  // A first run on a free port stores one event while the sink is unreachable… (its delivery stays pending)
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(file, config(dir, 0, 'http://127.0.0.1:1', 'first'));
  const first = await spawnRouter(file, { WA_ROUTER_SECRET: SECRET });
  const response = await fetch(`http://127.0.0.1:${first.port}/webhooks/wassenger?key=${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: fixture('message-in-new'),
  });
  assert.equal(response.status, 200);
  first.child.kill('SIGTERM');
  await exited(first.child);
  // …then a run on the taken port, with the sink reachable, must not deliver it.
  writeFileSync(file, config(dir, port, sink.url, 'first'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], {
    cwd: REPO_ROOT,
    env: { ...process.env, WA_ROUTER_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await Promise.race([
    exited(child),
    new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000)),
  ]);
  if (code === 'still running') child.kill('SIGKILL');
  assert.equal(code, 1, output);
  assert.match(output, /Router could not start/);
  assert.match(output, /EADDRINUSE/);
  assert.equal(sink.requests.length, 0, 'no worker ran');
});

test('automatic reload follows the file across replacements (rename, symlink swap); a good file after a bad one reloads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  // Laid out like a Kubernetes ConfigMap volume: file -> ..data/file, ..data -> a timestamped folder.
  const version = (name: string, text: string): void => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'wa-router.yaml'), text);
    symlinkSync(name, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  version('..v1', config(dir, 0, sink.url, 'first'));
  const file = join(dir, 'wa-router.yaml');
  symlinkSync(join('..data', 'wa-router.yaml'), file);
  const router = await spawnRouter(file, { WA_ROUTER_SECRET: SECRET });
  t.after(() => router.child.kill('SIGKILL'));
  let n = 0;
  const deliveredTo = async (path: string): Promise<void> => {
    const base = JSON.parse(fixture('message-in-new'));
    const response = await fetch(`http://127.0.0.1:${router.port}/webhooks/wassenger?key=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...base, data: { ...base.data, id: `WATCH${n++}` } }),
    });
    assert.equal(response.status, 200);
    const count = sink.requests.filter((r) => r.url === path).length;
    await waitFor(() => sink.requests.filter((r) => r.url === path).length > count, `a delivery to ${path}`);
  };
  await deliveredTo('/first');
  const reloads = () => (router.output().match(/"msg":"Config reloaded\."/g) ?? []).length;

  version('..v2', config(dir, 0, sink.url, 'second')); // the ConfigMap swap
  await waitFor(() => reloads() === 1, 'reload after the symlink swap');
  await deliveredTo('/second');

  // What `sed -i` and vim do: write a new file, rename it over the old one (here, over the symlink).
  const replace = (text: string): void => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  replace(config(dir, 0, sink.url, 'secnd'));
  await waitFor(() => router.output().includes('Config reload failed'), 'the refused reload');
  replace(config(dir, 0, sink.url, 'first'));
  await waitFor(() => reloads() === 2, 'reload of the good file after the bad one');
  await deliveredTo('/first');
  replace(config(dir, 0, sink.url, 'second'));
  await waitFor(() => reloads() === 3, 'a later edit is still seen');
  await deliveredTo('/second');
});
