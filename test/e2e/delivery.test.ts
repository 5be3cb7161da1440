import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

function config(sinkUrl: string, extra = ''): string {
  return `${SERVER_YAML}
connectors:
  sink:
    type: http
    url: ${sinkUrl}/events/{{ event }}
    body: { id: "{{ id }}", text: "{{ message.body }}", phone: "{{ contact.phone }}", tier: "{{ contact.metadata.CRM_CUSTOMER_ID }}" }
    delivery: { backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 4 ${extra} }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [sink]
`;
}

describe('delivery through the http connector', () => {
  let sink: HttpSink;
  let t: TestRouter;
  before(async () => {
    sink = await HttpSink.start();
    t = await startTestRouter(config(sink.url));
  });
  after(async () => {
    await t.close();
    await sink.close();
  });

  const deliveryOf = async (eventId: string) => (await t.router.store.listDeliveries({ eventId, limit: 1 }))[0];

  test('delivers the rendered request, with a stable idempotency key', async () => {
    sink.requests.length = 0;
    const response = await t.post(fixture('message-in-new'));
    assert.equal(response.status, 200);
    await waitFor(() => sink.requests.length === 1, 'one request at the sink');
    const [request] = sink.requests;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/events/message%3Ain%3Anew');
    const body = JSON.parse(request!.body) as { id: string; text: string; phone: string; tier: string };
    assert.deepEqual(
      { text: body.text, phone: body.phone, tier: body.tier },
      { text: 'Hello', phone: '+12345678909', tier: 'a1c46535' },
    );
    assert.equal(request!.headers['idempotency-key'], `${body.id}:sink`);
  });

  test('a 500 is retried with backoff and then delivered, with the same idempotency key', async () => {
    sink.requests.length = 0;
    sink.reply({ status: 500 }, { status: 503 });
    const event = {
      ...JSON.parse(fixture('message-in-new')),
      data: { ...JSON.parse(fixture('message-in-new')).data, id: 'RETRY500' },
    };
    await t.post(event);
    await waitFor(() => sink.requests.length === 3, 'three attempts');
    const keys = new Set(sink.requests.map((request) => request.headers['idempotency-key']));
    assert.equal(keys.size, 1);
    const eventId = (JSON.parse(sink.requests[0]!.body) as { id: string }).id;
    const delivery = await waitFor(async () => {
      const row = await deliveryOf(eventId);
      return row?.status === 'delivered' ? row : undefined;
    }, 'delivered status');
    assert.equal(delivery.attempts, 3);
  });

  test('a 429 waits for Retry-After before the next attempt', async () => {
    sink.requests.length = 0;
    sink.reply({ status: 429, headers: { 'retry-after': '1' } });
    const event = {
      ...JSON.parse(fixture('message-in-new')),
      data: { ...JSON.parse(fixture('message-in-new')).data, id: 'RATE429' },
    };
    await t.post(event);
    await waitFor(() => sink.requests.length === 2, 'the retry after 429', 5_000);
    const gap = sink.requests[1]!.at - sink.requests[0]!.at;
    assert.ok(gap >= 950, `retried after ${gap} ms, before Retry-After: 1`);
  });

  test('a 400 becomes a dead letter at once; replay delivers it', async () => {
    sink.requests.length = 0;
    sink.reply({ status: 400, body: '{"error":"bad phone"}' });
    const event = {
      ...JSON.parse(fixture('message-in-new')),
      data: { ...JSON.parse(fixture('message-in-new')).data, id: 'DEAD400' },
    };
    await t.post(event);
    await waitFor(() => sink.requests.length === 1, 'the first attempt');
    const eventId = (JSON.parse(sink.requests[0]!.body) as { id: string }).id;
    const dead = await waitFor(async () => {
      const row = await deliveryOf(eventId);
      return row?.status === 'dead' ? row : undefined;
    }, 'a dead letter');
    assert.equal(dead.attempts, 1);
    assert.match(dead.lastError ?? '', /HTTP 400: \{"error":"bad phone"\}/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(sink.requests.length, 1, 'a dead letter is not retried');

    assert.equal(await t.router.store.replayDeadLetters({ ids: [dead.id] }, Date.now()), 1);
    t.router.dispatcher.wake();
    await waitFor(() => sink.requests.length === 2, 'the replayed delivery');
    const replayed = await waitFor(async () => {
      const row = await deliveryOf(eventId);
      return row?.status === 'delivered' ? row : undefined;
    }, 'delivered after replay');
    assert.equal(replayed.attempts, 1);
  });

  test('retries stop after maxAttempts with the last reason', async () => {
    sink.requests.length = 0;
    sink.reply({ status: 502 }, { status: 502 }, { status: 502 }, { status: 502 });
    const event = {
      ...JSON.parse(fixture('message-in-new')),
      data: { ...JSON.parse(fixture('message-in-new')).data, id: 'GIVEUP' },
    };
    await t.post(event);
    await waitFor(() => sink.requests.length === 4, 'four attempts');
    const eventId = (JSON.parse(sink.requests[0]!.body) as { id: string }).id;
    const dead = await waitFor(async () => {
      const row = await deliveryOf(eventId);
      return row?.status === 'dead' ? row : undefined;
    }, 'a dead letter after 4 attempts');
    assert.match(dead.lastError ?? '', /gave up after 4 attempts: HTTP 502/);
  });

  test('events that match no route are stored and not delivered', async () => {
    sink.requests.length = 0;
    const response = await t.post(fixture('message-out-new'));
    assert.equal(response.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(sink.requests.length, 0);
  });
});

describe('timeouts and ordering', () => {
  test('a hanging endpoint is cut at timeoutMs and retried', async () => {
    const sink = await HttpSink.start();
    sink.reply({ hang: true });
    const t = await startTestRouter(config(sink.url, ', timeoutMs: 300'));
    try {
      await t.post(fixture('message-in-new'));
      await waitFor(() => sink.requests.length === 2, 'the retry after the timeout', 5_000);
      const eventId = (JSON.parse(sink.requests[0]!.body) as { id: string }).id;
      await waitFor(
        async () => (await t.router.store.listDeliveries({ eventId, limit: 1 }))[0]?.status === 'delivered',
        'delivered',
      );
    } finally {
      await t.close();
      await sink.close();
    }
  });

  test('orderBy chat keeps the messages of one chat in order even when the first is retried', async () => {
    const sink = await HttpSink.start();
    sink.reply({ status: 500 });
    const t = await startTestRouter(config(sink.url, ', orderBy: chat, maxInFlight: 8'));
    try {
      const base = JSON.parse(fixture('message-in-new'));
      for (const n of [1, 2, 3, 4, 5]) {
        await t.post({ ...base, data: { ...base.data, id: `ORDER${n}`, body: `m${n}` } });
      }
      await waitFor(
        () => sink.bodies().filter((b) => (b as { text: string }).text !== undefined).length >= 6,
        'five deliveries plus one retry',
      );
      const texts = sink.bodies<{ text: string }>().map((b) => b.text);
      assert.deepEqual(texts, ['m1', 'm1', 'm2', 'm3', 'm4', 'm5']);
    } finally {
      await t.close();
      await sink.close();
    }
  });
});
