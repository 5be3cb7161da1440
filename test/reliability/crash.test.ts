/**
 * Crash: under steady load, SIGKILL the router at random moments and restart it on the same store.
 * Every event that got a 2xx reaches the sink at least once, and each reaches an idempotent sink
 * exactly once (its Idempotency-Key is stable across the crash and the redelivery).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LONG,
  RecordingSink,
  SECRET,
  allRouterOutput,
  exited,
  postWebhook,
  profile,
  sleep,
  startRouterChild,
  stopChild,
  tempDir,
  until,
  webhook,
  writeConfig,
  type RouterChild,
} from '../testkit/reliability/kit.ts';

const KILLS = profile(2, 5);
const CLIENTS = 4;

test(`SIGKILL ${KILLS} times under load: every acknowledged event delivered, each key once at an idempotent sink`, {
  timeout: LONG ? 300_000 : 60_000,
}, async () => {
  const tmp = tempDir('crash');
  const sink = await RecordingSink.start();
  // Deliveries take a moment, so some are always in flight when the router dies.
  sink.answer = () => ({ status: 200, delayMs: Math.floor(Math.random() * 30) });
  const file = writeConfig(
    tmp.dir,
    `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET} }
store: sqlite:{{DIR}}/router.db
connectors:
  sink:
    type: http
    url: {{SINK}}/in
    delivery: { timeoutMs: 5000, maxInFlight: 8, backoffBaseMs: 100, maxBackoffMs: 1000 }
routes:
  - name: all
    to: [sink]
`,
    { SINK: sink.url },
  );
  const env = { LOG_LEVEL: 'info' };
  let router: RouterChild | undefined = await startRouterChild(file, env);
  const acknowledged = new Set<string>();
  let sent = 0;
  let refused = 0;
  let failedConnections = 0;
  let next = 0;
  let loading = true;

  // Steady load: CLIENTS loops, each posting the next unique message as soon as the last is answered.
  const client = async (): Promise<void> => {
    while (loading) {
      const current = router;
      if (!current) {
        await sleep(10);
        continue;
      }
      const id = `CRASH${String(next++).padStart(6, '0')}`;
      sent++;
      try {
        const { status } = await postWebhook(current.url, webhook(id));
        if (status >= 200 && status < 300) acknowledged.add(id);
        else refused++;
      } catch {
        failedConnections++; // the router died under this request: not acknowledged
        await sleep(10);
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, client);

  try {
    for (let kill = 1; kill <= KILLS; kill++) {
      await sleep(300 + Math.floor(Math.random() * profile(900, 2000)));
      const victim: RouterChild = router!;
      router = undefined;
      victim.child.kill('SIGKILL');
      assert.equal(await exited(victim.child), 'SIGKILL');
      console.log(`kill ${kill}: acknowledged so far ${acknowledged.size}, sink calls so far ${sink.calls.length}`);
      router = await startRouterChild(file, env);
    }
    await sleep(500);
    loading = false;
    await Promise.all(clients);

    const deliveredIds = (): Set<string> => {
      const ids = new Set<string>();
      for (const call of sink.calls) if (sink.applied.has(call.key)) ids.add(sink.messageIdOf(call) ?? '');
      return ids;
    };
    // One set per poll: building it parses every call's body, and the sink shares this event loop.
    await until(
      () => {
        const delivered = deliveredIds();
        return [...acknowledged].every((id) => delivered.has(id));
      },
      'every acknowledged event at the sink',
      60_000,
      200,
    );
    // Let any redelivery of work that was in flight at the last kill land too, then count.
    await sleep(1_000);

    const delivered = deliveredIds();
    const okCalls = sink.calls.filter((call) => sink.applied.has(call.key));
    const keys = new Set(okCalls.map((call) => call.key));
    const keyOfMessage = new Map<string, Set<string>>();
    for (const call of okCalls) {
      const id = sink.messageIdOf(call) ?? '';
      keyOfMessage.set(id, (keyOfMessage.get(id) ?? new Set()).add(call.key));
    }
    const lost = [...acknowledged].filter((id) => !delivered.has(id));
    const twoKeys = [...keyOfMessage.values()].filter((set) => set.size > 1).length;
    console.log(
      `kills ${KILLS}, posted ${sent}, acknowledged ${acknowledged.size}, refused ${refused}, connections cut by a kill ${failedConnections}; ` +
        `sink calls ${sink.calls.length}, delivered distinct keys ${keys.size} (events delivered though their 2xx was lost: ${delivered.size - acknowledged.size}), ` +
        `redeliveries ${sink.calls.length - keys.size}, acknowledged but lost ${lost.length}, applied twice at the idempotent sink ${twoKeys}`,
    );
    assert.ok(acknowledged.size > 0, 'the load got some events acknowledged');
    assert.deepEqual(lost, [], 'every acknowledged event reached the sink');
    assert.equal(twoKeys, 0, 'one idempotency key per event, stable across crashes');
    assert.equal(keys.size, delivered.size, 'each event exactly once at the idempotent sink');
    assert.equal(refused, 0, 'no request was refused (only cut by the kill)');
  } finally {
    loading = false;
    await Promise.all(clients);
    await stopChild(router);
    await sink.close();
    tmp.remove();
  }
  assert.ok(!allRouterOutput.join('').includes(SECRET), 'the secret is never in the router output');
});
