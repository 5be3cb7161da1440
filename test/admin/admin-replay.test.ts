/** The admin API's replay targets and inputs: what is sent again, and the 400s that name the mistake. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { ADMIN_ENV, admin, adminConfig, inbound } from './helpers.ts';

let sink: HttpSink;
let t: TestRouter;
let api: ReturnType<typeof admin>;

before(async () => {
  sink = await HttpSink.start();
  t = await startTestRouter(adminConfig(sink.url), ADMIN_ENV);
  api = admin(t);
});

after(async () => {
  await t?.close();
  await sink?.close();
});

test('replaying one event sends by default only what failed; a delivered connector only when named', async () => {
  sink.reply({ status: 400, body: 'no' });
  await t.post(inbound('R-DEAD', { body: 'first dies' }));
  const [dead] = await waitFor(async () => {
    const { json } = await api('GET', '/dead-letters');
    return json.deadLetters.length === 1 ? json.deadLetters : undefined;
  }, 'a dead letter');
  sink.requests.length = 0;
  const replay = await api('POST', `/events/${dead.eventId}/replay`);
  assert.deepEqual(replay.json, { ok: true, replayed: 1, connectors: ['sink'], rerouted: false });
  await waitFor(() => sink.requests.length === 1, 'sent again');
  const detail = await waitFor(async () => {
    const { json } = await api('GET', `/events/${dead.eventId}`);
    return json.deliveries[0].status === 'delivered' ? json : undefined;
  }, 'delivered');
  assert.deepEqual(
    detail.deliveries[0].attemptLog.map((a: { result: string }) => a.result),
    ['failed', 'delivered'],
  );

  assert.equal((await api('POST', `/events/${dead.eventId}/replay`)).status, 409, 'nothing failed: nothing sent');
  const typo = await api('POST', `/events/${dead.eventId}/replay`, { connectors: ['snk'] });
  assert.equal(typo.status, 400);
  assert.match(typo.json.message, /did you mean "sink"/);
  const extra = await api('POST', `/events/${dead.eventId}/replay`, { connectors: ['sink'], force: true });
  assert.equal(extra.status, 400);
  assert.match(extra.json.message, /body\.force: unknown field "force"/);
  assert.equal(sink.requests.length, 1, 'no refused request sent anything');
});

test('bulk replay of a search: counts first, validates connectors, event types and filters', async () => {
  await t.post(inbound('R-BULK-1', { body: 'bulk order one' }));
  await t.post(inbound('R-BULK-2', { body: 'bulk order two' }));
  await waitFor(async () => {
    const { json } = await api('GET', '/events?text=bulk%20order&status=delivered');
    return json.events.length === 2;
  }, 'both recorded as delivered');
  const plan = await api('POST', '/events/replay', {
    filter: { text: 'bulk order' },
    connectors: ['sink'],
    includeDelivered: true,
    dryRun: true,
  });
  assert.deepEqual(plan.json, {
    ok: true,
    dryRun: true,
    events: 2,
    deliveries: 2,
    alreadyDelivered: 2,
    withoutDelivery: 0,
  });
  const none = await api('POST', '/events/replay', { filter: { text: 'bulk order' }, connectors: ['sink'] });
  assert.equal(none.json.replayed, 0, 'delivered ones are not sent again unless asked');
  const bad = [
    [{ connectors: [] }, /body\.connectors: choose at least one connector/],
    [{ connectors: ['sinc'] }, /no connector named "sinc" \(did you mean "sink"\?\)/],
    [{ connectors: ['sink'], filter: { type: 'message:in:nwe' } }, /did you mean "message:in:new"/],
    [{ connectors: ['sink'], filter: { since: 'yesterday' } }, /body\.filter\.since: must be an ISO time/],
  ] as const;
  for (const [body, message] of bad) {
    const answer = await api('POST', '/events/replay', body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.match(answer.json.message, message);
  }
});

test('a test event goes to a running connector only', async () => {
  const sent = await api('POST', '/connectors/sink/test', { text: 'ping from the test' });
  assert.equal(sent.json.outcome, 'delivered');
  assert.match(sink.requests.at(-1)!.body, /ping from the test/);
  assert.equal((await api('POST', '/connectors/nope/test', {})).status, 404);
  const events = (await api('GET', '/events?text=ping%20from')).json.events;
  assert.deepEqual(events, [], 'a test event is not stored');
});
