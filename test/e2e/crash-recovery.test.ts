import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { exited, spawnRouter } from '../testkit/process.ts';
import { SECRET, fixture } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

test('events acknowledged before a SIGKILL are delivered after the restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-crash-'));
  const sink = await HttpSink.start({ hang: true });
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(
    file,
    `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET} }
store: sqlite:${join(dir, 'router.db')}
connectors:
  sink:
    type: http
    url: ${sink.url}/in
    delivery: { timeoutMs: 60000, maxInFlight: 10 }
routes:
  - name: all
    to: [sink]
`,
  );
  const env = { WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' };
  try {
    const first = await spawnRouter(file, env);
    const base = JSON.parse(fixture('message-in-new'));
    const acknowledged: string[] = [];
    for (let n = 0; n < 5; n++) {
      const response = await fetch(`http://127.0.0.1:${first.port}/webhooks/wassenger?key=${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...base, data: { ...base.data, id: `CRASH${n}` } }),
      });
      assert.equal(response.status, 200);
      acknowledged.push(`CRASH${n}`);
    }
    // All five are in flight at a sink that never answers: acknowledged, not delivered.
    await waitFor(() => sink.requests.length === 5, 'five deliveries in flight');
    first.child.kill('SIGKILL');
    assert.equal(await exited(first.child), 'SIGKILL');

    sink.requests.length = 0;
    sink.fallback = { status: 200 };
    const second = await spawnRouter(file, env);
    try {
      await waitFor(() => sink.requests.length >= 5, 'redelivery after the restart', 15_000);
      const delivered = new Set(sink.bodies<{ message: { id: string } }>().map((body) => body.message.id));
      assert.deepEqual([...delivered].sort(), acknowledged);
      const keys = new Set(sink.requests.map((request) => request.headers['idempotency-key']));
      assert.equal(keys.size, 5, 'one stable idempotency key per event');
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
