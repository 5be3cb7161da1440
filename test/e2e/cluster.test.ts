import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { freshSchema } from '../testkit/postgres.ts';
import { exited, spawnRouter, type RouterProcess } from '../testkit/process.ts';
import { SECRET, fixture } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

test('three routers on one PostgreSQL: one killed with SIGKILL under load, every acknowledged event delivered', {
  timeout: 90_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-cluster-'));
  const schema = freshSchema();
  const sink = await HttpSink.start({ status: 200, delayMs: 20 });
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(
    file,
    `server: { port: 0, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}", shutdownGrace: 2s }
store: ${schema.url}
connectors:
  sink:
    type: http
    url: ${sink.url}/in
    body: { id: "{{ message.id }}" }
    delivery: { timeoutMs: 1000, maxInFlight: 8, backoffBaseMs: 100, maxBackoffMs: 500 }
routes:
  - name: all
    to: [sink]
`,
  );
  const env = { WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' };
  const routers: RouterProcess[] = [];
  try {
    for (let n = 0; n < 3; n++) routers.push(await spawnRouter(file, env));
    const base = JSON.parse(fixture('message-in-new'));
    const acknowledged: string[] = [];
    const alive = new Set([0, 1, 2]);
    const post = async (n: number): Promise<void> => {
      const id = `CLUSTER${n}`;
      const instances = [...alive];
      const router = routers[instances[n % instances.length]!]!;
      const chat = `${1000 + (n % 7)}@c.us`;
      try {
        const response = await fetch(`http://127.0.0.1:${router.port}/webhooks/wassenger?key=${SECRET}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...base, data: { ...base.data, id, chat: { ...base.data.chat, id: chat } } }),
        });
        if (response.status === 200) acknowledged.push(id);
      } catch {
        // The killed instance refused the connection: not acknowledged, so not promised.
      }
    };
    for (let n = 0; n < 400; n += 10) {
      if (n === 200) {
        routers[1]!.child.kill('SIGKILL');
        alive.delete(1);
        await exited(routers[1]!.child);
      }
      await Promise.all(Array.from({ length: 10 }, (_, i) => post(n + i)));
    }
    const deliveredIds = () => new Set(sink.bodies<{ id: string }>().map((body) => body.id));
    await waitFor(
      () => acknowledged.every((id) => deliveredIds().has(id)),
      'every acknowledged event at the sink',
      60_000,
      200,
    );

    const counts = new Map<string, number>();
    for (const request of sink.requests) {
      const key = request.headers['idempotency-key'] as string;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const twice = [...counts.values()].filter((count) => count === 2).length;
    console.log(
      `acknowledged ${acknowledged.length}, requests at the sink ${sink.requests.length}, keys ${counts.size}, delivered twice ${twice}`,
    );
    assert.ok(acknowledged.length >= 390, `acknowledged ${acknowledged.length} of 400`);
    assert.ok(
      [...counts.values()].every((count) => count <= 2),
      'no key more than twice',
    );
    // Only deliveries in flight at the killed instance may arrive twice (lease expired mid-delivery).
    assert.ok(twice <= 8 * 2, `${twice} keys delivered twice`);
  } finally {
    for (const [index, router] of routers.entries()) {
      if (index === 1) continue;
      router.child.kill('SIGTERM');
      await exited(router.child);
    }
    await sink.close();
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
