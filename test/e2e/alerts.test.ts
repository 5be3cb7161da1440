/** The router's own events (issue 21): dead letters and failing connectors routed like any event. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { SERVER_YAML, fixture, startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const base = JSON.parse(fixture('message-in-new')) as { data: Record<string, unknown> };
const message = (id: string) => ({ ...base, data: { ...base.data, id } });

test('a dead letter raises router:delivery:dead, routed to #ops in three lines; an alert that dies raises nothing', async (t) => {
  const crm = await HttpSink.start({ status: 400, body: '{"error":"bad contact"}' });
  const ops = await HttpSink.start({ status: 200 });
  t.after(() => Promise.all([crm.close(), ops.close()]));
  const router = await startTestRouter(`${SERVER_YAML}
connectors:
  crm: { type: http, url: "${crm.url}/notes" }
  ops: { type: http, url: "${ops.url}/alerts", body: { text: "{{ data.connector }} dead letter: {{ data.reason }}", event: "{{ data.eventId }}" } }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [crm]
  - name: dead-letters-to-ops
    when: { event: router:delivery:dead }
    to: [ops]
`);
  t.after(() => router.close());
  assert.equal((await router.post(message('ALERT1'))).status, 200);
  await waitFor(() => ops.requests.length === 1, 'the alert at the ops sink');
  const alert = JSON.parse(ops.requests[0]!.body) as { text: string; event: string };
  assert.match(alert.text, /^crm dead letter: HTTP 400/);
  const [dead] = await router.router.store.listDeliveries({ connector: 'crm', status: 'dead', limit: 1 });
  assert.equal(alert.event, dead!.eventId);

  // The ops destination now refuses too: its dead letter must not raise a second alert.
  ops.reply({ status: 400 });
  assert.equal((await router.post(message('ALERT2'))).status, 200);
  await waitFor(async () => {
    const deadOps = await router.router.store.listDeliveries({ connector: 'ops', status: 'dead', limit: 5 });
    return deadOps.length === 1;
  }, 'the alert about ALERT2 dead at ops');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const alerts = await router.router.store.searchEvents({ event: 'router:delivery:dead', limit: 10 });
  assert.equal(alerts.events.length, 2, 'one alert per crm dead letter, none for the dead alert');
});

test('failing after N failed attempts in a row, recovered at the next delivery; alerts are rate-limited', async (t) => {
  const flaky = await HttpSink.start({ status: 200 });
  const ops = await HttpSink.start({ status: 200 });
  t.after(() => Promise.all([flaky.close(), ops.close()]));
  flaky.reply({ status: 500 }, { status: 500 }, { status: 500 });
  const router = await startTestRouter(`${SERVER_YAML}
alerts: { failingAfter: 3, maxPerMinute: 2 }
connectors:
  flaky: { type: http, url: "${flaky.url}/x", delivery: { backoffBaseMs: 50, maxBackoffMs: 100 } }
  ops: { type: http, url: "${ops.url}/alerts", body: { event: "{{ event }}", connector: "{{ data.connector }}" } }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [flaky]
  - name: router-events
    when: { event: { $startsWith: "router:connector:" } }
    to: [ops]
`);
  t.after(() => router.close());
  assert.equal((await router.post(message('FLAKY1'))).status, 200);
  await waitFor(() => ops.requests.length === 2, 'failing, then recovered');
  assert.deepEqual(
    ops.requests.map((r) => JSON.parse(r.body) as { event: string; connector: string }),
    [
      { event: 'router:connector:failing', connector: 'flaky' },
      { event: 'router:connector:recovered', connector: 'flaky' },
    ],
  );
  // A third router event for flaky within the minute is held back (maxPerMinute: 2).
  flaky.reply({ status: 500 }, { status: 500 }, { status: 500 });
  assert.equal((await router.post(message('FLAKY2'))).status, 200);
  await waitFor(async () => {
    const rows = await router.router.store.listDeliveries({ connector: 'flaky', status: 'delivered', limit: 5 });
    return rows.length === 2;
  }, 'FLAKY2 delivered after three failures');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(ops.requests.length, 2);
});

test('a webhook cannot pass itself off as a router event', async (t) => {
  const router = await startTestRouter(`${SERVER_YAML}
connectors:
  sink: { type: file, path: "{{DIR}}/events.jsonl" }
routes:
  - name: all
    to: [sink]
`);
  t.after(() => router.close());
  const response = await router.post({ event: 'router:delivery:dead', device: { id: 'wa-router' }, data: { id: 'x' } });
  assert.equal(response.status, 400);
  assert.match(JSON.stringify(await response.json()), /router:\* events are the router's own/);
});
