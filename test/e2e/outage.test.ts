/**
 * A destination that goes down and comes back (issue 18 part 2): the connector backs off as a
 * whole, probing with one delivery at a time, and once the destination answers again its backlog
 * drains at once; no delivery becomes a dead letter because of the outage alone (maxAttempts is
 * small on purpose: without the breaker every delivery would spend it during the outage).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { startKafkaBroker } from '../testkit/kafka-broker/index.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const OUTAGE_MS = 9_000;
const EVENTS = 24;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function postEvents(t: TestRouter, prefix: string): Promise<void> {
  const base = JSON.parse(fixture('message-in-new')) as { data: Record<string, unknown> };
  for (let n = 0; n < EVENTS; n++) {
    const chat = { ...(base.data.chat as object), id: `${n % 4}${prefix}@c.us` };
    const response = await t.post({ ...base, data: { ...base.data, id: `${prefix}${n}`, chat } });
    assert.equal(response.status, 200);
  }
}

/** Every delivery of the connector ends delivered, none dead; returns the attempts each took. */
async function assertAllDelivered(t: TestRouter, connector: string): Promise<number[]> {
  const rows = await waitFor(async () => {
    const all = await t.router.store.listDeliveries({ connector, limit: 1_000 });
    return all.length === EVENTS && all.every((row) => row.status === 'delivered') ? all : undefined;
  }, `all ${EVENTS} deliveries delivered`);
  assert.equal((await t.router.store.listDeliveries({ connector, status: 'dead', limit: 10 })).length, 0);
  return rows.map((row) => row.attempts);
}

test('http sink down for 9 s and back: held and probed, then drained at once; nothing dead-lettered', async (t) => {
  const port = await freePort();
  const router = await startTestRouter(`${SERVER_YAML}
connectors:
  sink:
    type: http
    url: http://127.0.0.1:${port}/hook
    delivery: { maxInFlight: 4, backoffBaseMs: 200, maxBackoffMs: 2000, maxAttempts: 3 }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [sink]
`);
  t.after(() => router.close());
  await postEvents(router, 'DOWN');
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const held = await router.router.store.listDeliveries({ connector: 'sink', status: 'pending', limit: 1_000 });
  assert.equal(held.length, EVENTS, 'every delivery is held pending during the outage');
  assert.ok(
    held.filter((row) => row.attempts <= 1).length >= EVENTS - 6,
    `most deliveries were not attempted again during the outage: ${held.map((r) => r.attempts).join(',')}`,
  );
  assert.ok(
    router.logs.some((line) => String(line.msg).startsWith('Destination unreachable')),
    'the outage is logged',
  );
  const back = Date.now();
  const sink = await HttpSink.start({ status: 200 }, port);
  t.after(() => sink.close());
  await waitFor(() => sink.requests.length > 0, 'the first delivery after the return');
  t.diagnostic(`http: first delivery ${Date.now() - back} ms after the sink came back`);
  const attempts = await assertAllDelivered(router, 'sink');
  t.diagnostic(`http: attempts per delivery ${attempts.join(',')}; sink received ${sink.requests.length}`);
  assert.ok(router.logs.some((line) => String(line.msg).startsWith('Destination reachable again')));
});

test('kafka broker down for 9 s and back: held and probed, then drained in order; nothing dead-lettered', async (t) => {
  const broker = await startKafkaBroker({ topics: { 'wa.events': 2 }, autoCreateTopics: false });
  t.after(() => broker.close());
  const router = await startTestRouter(`${SERVER_YAML}
connectors:
  events:
    type: kafka
    brokers: [${broker.brokers.join(', ')}]
    topic: wa.events
    connectionTimeoutMs: 500
    requestTimeoutMs: 1000
    retries: 1
    delivery: { backoffBaseMs: 200, maxBackoffMs: 2000, maxAttempts: 3, timeoutMs: 4000 }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [events]
`);
  t.after(() => router.close());
  const restart = broker.restart({ downtimeMs: OUTAGE_MS });
  await postEvents(router, 'KDOWN');
  const back = await restart.then(() => Date.now());
  await waitFor(() => broker.records('wa.events').length > 0, 'the first record after the return');
  t.diagnostic(`kafka: first record ${Date.now() - back} ms after the broker came back`);
  const attempts = await assertAllDelivered(router, 'events');
  t.diagnostic(`kafka: attempts per delivery ${attempts.join(',')}`);
  const ids = broker
    .records('wa.events')
    .map((r) => (JSON.parse(String(r.value)) as { message: { id: string } }).message.id);
  assert.equal(new Set(ids).size, EVENTS, 'every event written');
  // One chat's events stay in the order received (orderBy: chat is the kafka type's default).
  for (let chat = 0; chat < 4; chat++) {
    const ofChat = ids.filter((id) => Number(id.slice(5)) % 4 === chat);
    const firsts = ofChat.filter((id, index) => ofChat.indexOf(id) === index);
    assert.deepEqual(
      firsts,
      [...firsts].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))),
    );
  }
});
