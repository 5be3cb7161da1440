import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { SECRET, SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { ADMIN_ENV, ADMIN_TOKEN, SINK_TOKEN, admin, adminConfig, inbound } from './helpers.ts';

describe('admin API over HTTP', () => {
  let sink: HttpSink;
  let t: TestRouter;
  let api: ReturnType<typeof admin>;
  before(async () => {
    sink = await HttpSink.start();
    t = await startTestRouter(adminConfig(sink.url), ADMIN_ENV);
    api = admin(t);
  });
  after(async () => {
    await t.close();
    await sink.close();
  });

  const postAndFind = async (payload: object): Promise<string> => {
    const response = await t.post(payload);
    assert.equal(response.status, 200);
    const messageId = (payload as { data: { id: string } }).data.id;
    // The event id is derived from the message id: find it through the newest events' details.
    const { json } = await api('GET', '/events?limit=20');
    for (const event of json.events as { id: string }[]) {
      const detail = await api('GET', `/events/${encodeURIComponent(event.id)}`);
      if (detail.json.normalized?.message?.id === messageId) return event.id;
    }
    throw new Error(`no event for message ${messageId}`);
  };

  test('401 without a token, with a wrong one, or with the token in the query string', async () => {
    for (const token of [null, 'wrong-token-wrong-token', `${ADMIN_TOKEN}x`]) {
      const { status, json, headers } = await admin(t, token)('GET', '/events');
      assert.equal(status, 401);
      assert.equal(json.error, 'unauthorized');
      assert.match(headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const inQuery = await fetch(`${t.url}/admin/api/events?token=${ADMIN_TOKEN}`);
    assert.equal(inQuery.status, 401);
    const webhookSecret = await admin(t, SECRET)('GET', '/events');
    assert.equal(webhookSecret.status, 401, 'the webhook secret is not the admin token');
  });

  test('event detail shows every attempt of a 500-then-200 delivery, the normalized event and the raw payload', async () => {
    sink.requests.length = 0;
    sink.reply({ status: 500, body: '{"error":"boom"}' });
    const payload = inbound('ADMIN-RETRY', { body: 'retry me' });
    const id = await postAndFind(payload);
    await waitFor(
      async () => (await api('GET', `/events/${encodeURIComponent(id)}`)).json.deliveries?.[0]?.status === 'delivered',
      'delivered after a retry',
    );
    const { status, json } = await api('GET', `/events/${encodeURIComponent(id)}`);
    assert.equal(status, 200);
    assert.equal(json.ok, true);
    assert.equal(json.event.id, id);
    assert.equal(json.event.event, 'message:in:new');
    assert.equal(json.normalized.message.body, 'retry me');
    assert.equal(JSON.parse(json.raw).data.id, 'ADMIN-RETRY', 'the raw body as received');
    assert.equal(json.deliveries.length, 1);
    const [delivery] = json.deliveries;
    assert.equal(delivery.connector, 'sink');
    assert.equal(delivery.route, 'inbound');
    assert.equal(delivery.attempts, 2, 'attempts is the count, attemptLog the list');
    assert.equal(delivery.attemptLog.length, 2);
    assert.equal(delivery.attemptLog[0].outcome, 'retry');
    assert.match(delivery.attemptLog[0].error, /500/);
    assert.equal(typeof delivery.attemptLog[0].durationMs, 'number');
    assert.equal(delivery.attemptLog[1].outcome, 'delivered');
    assert.equal(delivery.attemptLog[1].error, null);
    assert.ok(Date.parse(delivery.attemptLog[0].startedAt) <= Date.parse(delivery.attemptLog[1].startedAt));
    assert.equal((await api('GET', '/events/evt_nope')).status, 404);
  });

  test('search filters: type, chat, phone, free text, time range, delivery status, pagination', async () => {
    await t.post(inbound('S-1', { phone: '+34 600 111 222' }));
    await t.post(inbound('S-2', { phone: '+34600111333' }));
    await t.post(JSON.parse(fixture('message-out-ack')));
    await waitFor(
      async () => (await api('GET', '/events?status=unrouted')).json.events.length === 0,
      'everything routed',
    );

    const byPhone = await api('GET', `/events?phone=${encodeURIComponent('+34600111222')}`);
    assert.equal(byPhone.status, 200);
    assert.equal(byPhone.json.events.length, 1);
    assert.equal(byPhone.json.events[0].contactPhone, '34600111222');
    const chat = byPhone.json.events[0].chatId as string;
    assert.deepEqual(
      (await api('GET', `/events?chat=${encodeURIComponent(chat)}`)).json.events.map((e: { id: string }) => e.id),
      [byPhone.json.events[0].id],
    );
    assert.deepEqual((await api('GET', `/events?q=${encodeURIComponent('34 600 111 333')}`)).json.events.length, 1);
    assert.deepEqual(
      (await api('GET', `/events?q=${encodeURIComponent(byPhone.json.events[0].id)}`)).json.events.map(
        (e: { id: string }) => e.id,
      ),
      [byPhone.json.events[0].id],
    );

    const acks = await api('GET', '/events?type=message:out:ack');
    assert.ok(acks.json.events.length >= 1);
    assert.ok(acks.json.events.every((e: { event: string }) => e.event === 'message:out:ack'));
    assert.deepEqual(
      (await api('GET', '/events?status=unmatched')).json.events.map((e: { event: string }) => e.event),
      acks.json.events.map((e: { event: string }) => e.event),
    );
    const delivered = await api('GET', '/events?status=delivered&type=message:in:new');
    assert.ok(delivered.json.events.length >= 2);
    assert.ok(
      delivered.json.events.every((e: { deliveries: { status: string }[] }) =>
        e.deliveries.some((d) => d.status === 'delivered'),
      ),
    );

    const all = (await api('GET', '/events?limit=200')).json.events as { id: string; receivedAt: string }[];
    assert.ok(all.length >= 4);
    const times = all.map((e) => Date.parse(e.receivedAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(
      (await api('GET', `/events?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json.events
        .length,
      0,
    );
    assert.equal(
      (await api('GET', `/events?until=${Date.parse(all.at(-1)!.receivedAt)}`)).json.events.length,
      0,
      'until is exclusive',
    );

    const first = await api('GET', '/events?limit=2');
    assert.equal(first.json.events.length, 2);
    assert.equal(typeof first.json.next, 'string');
    const second = await api('GET', `/events?limit=2&before=${first.json.next}`);
    assert.deepEqual(
      [...first.json.events, ...second.json.events].map((e: { id: string }) => e.id),
      all.slice(0, 4).map((e) => e.id),
    );

    assert.equal((await api('GET', '/events?status=lost')).status, 400);
    assert.equal((await api('GET', '/events?since=yesterday')).status, 400);
    assert.equal((await api('GET', '/events?limit=5000')).status, 400);
    const typo = await api('GET', '/events?type=message:in:nwe');
    assert.equal(typo.status, 400);
    assert.match(typo.json.message, /did you mean "message:in:new"/);
    const unknown = await api('GET', '/events?tpye=message:in:new');
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.message, /query\.tpye: unknown parameter "tpye" \(did you mean "type"\?\)/);
  });

  test('dead letters are listed and replayed by id, by connector, or all; one event can be replayed', async () => {
    sink.reply({ status: 400, body: '{"error":"bad"}' }, { status: 400, body: '{"error":"bad"}' });
    const first = await postAndFind(inbound('DEAD-1'));
    const second = await postAndFind(inbound('DEAD-2'));
    const dead = await waitFor(async () => {
      const { json } = await api('GET', '/dead-letters?connector=sink');
      return json.deadLetters.length === 2 ? json.deadLetters : undefined;
    }, 'two dead letters');
    assert.deepEqual(new Set(dead.map((d: { eventId: string }) => d.eventId)), new Set([first, second]));
    assert.match(dead[0].lastError, /400/);
    assert.equal((await api('POST', '/dead-letters/replay', {})).status, 400);
    assert.equal((await api('POST', '/dead-letters/replay', { ids: ['x'] })).status, 400);
    const byId = await api('POST', '/dead-letters/replay', { ids: [dead[0].id] });
    assert.deepEqual(byId.json, { ok: true, replayed: 1 });
    const byConnector = await api('POST', '/dead-letters/replay', { connector: 'sink' });
    assert.equal(byConnector.json.replayed, 1);
    await waitFor(
      async () => (await api('GET', '/dead-letters')).json.deadLetters.length === 0,
      'no dead letters left',
    );
    await waitFor(
      async () => (await api('GET', `/events/${encodeURIComponent(first)}`)).json.deliveries[0].status === 'delivered',
      'replayed dead letter delivered',
    );
    assert.equal((await api('POST', '/dead-letters/replay', { all: true })).json.replayed, 0);

    assert.equal((await api('POST', '/dead-letters/replay', { ids: ['999999'] })).status, 400, 'not a dead letter');
    const typo = await api('POST', '/dead-letters/replay', { connector: 'snik' });
    assert.equal(typo.status, 400);
    assert.match(typo.json.message, /no connector named "snik" \(did you mean "sink"\?\)/);

    sink.requests.length = 0;
    // Every delivery of the event succeeded: a plain replay sends nothing again and says how to choose.
    const nothing = await api('POST', `/events/${encodeURIComponent(first)}/replay`);
    assert.equal(nothing.status, 409);
    assert.match(nothing.json.message, /sink \(delivered\)/);
    const replay = await api('POST', `/events/${encodeURIComponent(first)}/replay`, { connectors: ['sink'] });
    assert.deepEqual(replay.json, { ok: true, replayed: 1, connectors: ['sink'], rerouted: false });
    await waitFor(() => sink.requests.length === 1, 'the replayed event delivered again');
    assert.equal(sink.requests[0]!.headers['idempotency-key'], `${first}:sink`, 'same idempotency key');
    assert.equal((await api('POST', '/events/evt_unknown/replay')).status, 404);
  });

  test('pause holds deliveries, resume sends them; connectors show queue depth, throughput and health', async () => {
    const paused = await api('POST', '/connectors/sink/pause');
    assert.deepEqual(paused.json, { ok: true, connector: 'sink', paused: true });
    sink.requests.length = 0;
    await t.post(inbound('PAUSED-1'));
    await waitFor(async () => {
      const { json } = await api('GET', '/connectors');
      const sinkRow = json.connectors.find((c: { name: string }) => c.name === 'sink');
      return sinkRow.pending === 1 && sinkRow.paused;
    }, 'one delivery waiting while paused');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(sink.requests.length, 0, 'nothing sent while paused');
    const { json } = await api('GET', '/connectors');
    const row = json.connectors.find((c: { name: string }) => c.name === 'sink');
    assert.equal(row.type, 'http');
    assert.equal(row.running, true);
    assert.equal(typeof row.oldestDueAgeSeconds, 'number');
    assert.ok(row.throughput.delivered >= 1, 'deliveries of the last minute');
    assert.equal(row.throughput.windowSeconds, 60);
    assert.ok(row.health === null || ['ok', 'failing', 'unchecked'].includes(row.health.status));
    assert.equal(typeof json.events, 'number');

    const resumed = await api('POST', '/connectors/sink/resume');
    assert.deepEqual(resumed.json, { ok: true, connector: 'sink', paused: false });
    await waitFor(() => sink.requests.length === 1, 'delivered after resume');
    assert.equal((await api('POST', '/connectors/nope/pause')).status, 404);
  });

  test('the running config is shown with every secret redacted; reload keeps it running', async () => {
    const { status, json } = await api('GET', '/config');
    assert.equal(status, 200);
    const text = JSON.stringify(json);
    for (const secret of [SECRET, ADMIN_TOKEN, SINK_TOKEN])
      assert.ok(!text.includes(secret), 'no secret in the config dump');
    assert.equal(json.config.server.secret, '[redacted]');
    assert.equal(json.config.admin.token, '[redacted]');
    assert.equal(json.config.connectors.sink.headers.authorization, 'Bearer [redacted]');
    assert.match(json.file, /wa-router\.yaml$/);

    const reload = await api('POST', '/config/reload');
    assert.equal(reload.status, 200);
    assert.deepEqual(reload.json.connectors, ['sink']);
    assert.deepEqual(reload.json.routes, ['inbound']);
  });

  test('route tester: matching routes and rendered output, nothing sent, secrets scrubbed', async () => {
    sink.requests.length = 0;
    const before = (await api('GET', '/events?limit=200')).json.events.length;
    const { status, json } = await api('POST', '/route-test', inbound('DRY-1', { body: 'just looking' }));
    assert.equal(status, 200);
    assert.equal(json.events.length, 1);
    const [event] = json.events;
    assert.deepEqual(event.matchedRoutes, ['inbound']);
    assert.equal(event.deliveries[0].connector, 'sink');
    const rendered = JSON.stringify(event.deliveries[0].wouldSend);
    assert.match(rendered, /just looking/);
    assert.ok(!rendered.includes(SINK_TOKEN), 'the connector secret is scrubbed');
    const unmatched = await api('POST', '/route-test', JSON.parse(fixture('message-out-ack')));
    assert.deepEqual(unmatched.json.events[0].matchedRoutes, []);
    const invalid = await api('POST', '/route-test', { hello: 'world' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.error, 'invalid_payload');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(sink.requests.length, 0, 'nothing sent');
    assert.equal((await api('GET', '/events?limit=200')).json.events.length, before, 'nothing stored');
  });
});

describe('admin API off', () => {
  test('without a token the admin API and the console answer 404 like unknown paths', async () => {
    const t = await startTestRouter(`${SERVER_YAML}\nconnectors: {}\n`);
    try {
      for (const path of ['/admin/api/events', '/admin/api/config', '/console', '/console/console.js']) {
        const response = await fetch(`${t.url}${path}`, { headers: { authorization: 'Bearer anything-anything' } });
        assert.equal(response.status, 404, path);
        assert.equal(((await response.json()) as { error: string }).error, 'not_found');
      }
      const post = await fetch(`${t.url}/admin/api/dead-letters/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"all":true}',
      });
      assert.equal(post.status, 404);
    } finally {
      await t.close();
    }
  });

  test('an empty token (${VAR:-}) is off; a short one is refused at start-up', async () => {
    const off = await startTestRouter(`${SERVER_YAML}\nadmin: { token: "\${WA_ROUTER_ADMIN_TOKEN:-}" }\n`);
    try {
      assert.equal((await fetch(`${off.url}/admin/api/events`)).status, 404);
    } finally {
      await off.close();
    }
    await assert.rejects(
      startTestRouter(`${SERVER_YAML}\nadmin: { token: short }\n`),
      /admin token must be at least 16 characters/,
    );
  });
});
