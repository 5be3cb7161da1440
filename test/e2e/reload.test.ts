import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { exited, spawnRouter } from '../testkit/process.ts';
import { SECRET, fixture } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

function config(dir: string, sinkUrl: string, routeTo: string): string {
  return `server: { port: 0, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}" }
store: sqlite:${join(dir, 'router.db')}
connectors:
  first: { type: http, url: "${sinkUrl}/first" }
  second: { type: http, url: "${sinkUrl}/second" }
routes:
  - name: all
    to: [${routeTo}]
`;
}

test('SIGHUP reloads the config; an invalid one is refused and the running one kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-reload-'));
  const sink = await HttpSink.start();
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(file, config(dir, sink.url, 'first'));
  const router = await spawnRouter(file, { WA_ROUTER_SECRET: SECRET });
  const post = async (id: string): Promise<void> => {
    const base = JSON.parse(fixture('message-in-new'));
    const response = await fetch(`http://127.0.0.1:${router.port}/webhooks/wassenger?key=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...base, data: { ...base.data, id } }),
    });
    assert.equal(response.status, 200);
  };
  try {
    await post('BEFORE');
    await waitFor(() => sink.requests.some((r) => r.url === '/first'), 'delivery to the first connector');

    writeFileSync(file, config(dir, sink.url, 'secnd'));
    router.child.kill('SIGHUP');
    await waitFor(() => router.output().includes('Config reload failed'), 'the refused reload in the log');
    assert.match(router.output(), /no connector named \\"secnd\\" \(did you mean \\"second\\"\?\)/);
    await post('WHILE-INVALID');
    await waitFor(() => sink.requests.filter((r) => r.url === '/first').length === 2, 'the old route still in force');

    writeFileSync(file, config(dir, sink.url, 'second'));
    router.child.kill('SIGHUP');
    await waitFor(() => router.output().includes('Config reloaded.'), 'the reload in the log');
    await post('AFTER');
    await waitFor(() => sink.requests.some((r) => r.url === '/second'), 'delivery through the new route');
    assert.equal(sink.requests.filter((r) => r.url === '/first').length, 2);
  } finally {
    router.child.kill('SIGTERM');
    await exited(router.child);
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
