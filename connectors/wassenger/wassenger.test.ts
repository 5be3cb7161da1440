import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnector, memoryState } from '../../src/sdk/testing.ts';
import { FakeWassenger } from '../../test/testkit/fake-wassenger/index.ts';
import wassenger, { replyBlocker } from './index.ts';

const definition = wassenger as unknown as ConnectorDefinition;
const TOKEN = 'wassenger-test-key-0123456789';

function event(
  overrides: Partial<RoutedEvent> = {},
  message: Partial<NonNullable<RoutedEvent['message']>> = {},
): RoutedEvent {
  return {
    id: 'evt_w1',
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'device-1', phone: '+10000000000' },
    chat: { id: '15550000001@c.us', type: 'user', labels: [] },
    contact: { wid: '15550000001@c.us', phone: '+15550000001', name: 'Ann', metadata: {} },
    message: { id: 'MSG1', type: 'text', body: 'hello', fromMe: false, ...message },
    data: { id: 'MSG1' },
    ...overrides,
  };
}

function harness(config: Record<string, unknown>) {
  const state = new Map<string, string>();
  const ctx = {
    name: 'bot',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir: '.',
    state: memoryState(state),
  };
  const connectorP = definition.create(definition.config.parse(config), ctx);
  return {
    state,
    async deliver(e: RoutedEvent, params: unknown, timeoutMs = 2_000): Promise<Outcome> {
      const delivery: Delivery = {
        id: '1',
        idempotencyKey: `${e.id}:bot`,
        attempt: 1,
        route: 'r',
        event: e,
        params: definition.params!.parse(params),
      };
      return (await (await connectorP).deliver([delivery], AbortSignal.timeout(timeoutMs)))[0]!;
    },
  };
}

describe('wassenger connector', () => {
  let fake: FakeWassenger;
  before(async () => {
    fake = await FakeWassenger.start({ token: TOKEN });
  });
  after(() => fake.close());

  test('conforms to the connector contract', async () => {
    assert.deepEqual(
      await checkConnector(definition, {
        config: { token: TOKEN, apiUrl: fake.url, cooldownMs: 0 },
        params: { reply: 'Hi {{ contact.name }}' },
      }),
      [],
    );
    assert.equal(fake.messages.length, 3);
    assert.deepEqual(fake.messages[0], {
      ...fake.messages[0],
      phone: '+15550000001',
      device: 'device-1',
      message: 'Hi Conformance',
      reference: 'wa-router:wassenger-conformance',
    });
  });

  test('reply: phone for users, group for groups, quote, reference, Token header', async () => {
    const h = harness({ token: TOKEN, apiUrl: fake.url, cooldownMs: 0 });
    fake.messages.length = 0;
    assert.equal((await h.deliver(event(), { reply: { text: 'Got it', quote: true } })).status, 'delivered');
    const group = event({ id: 'evt_g', chat: { id: '1203630@g.us', type: 'group', labels: [] } });
    assert.equal((await h.deliver(group, { reply: 'Hello group' })).status, 'delivered');
    assert.deepEqual(
      fake.messages.map((m) => [m.phone ?? m.group, m.quote, m.reference]),
      [
        ['+15550000001', 'MSG1', 'wa-router:bot'],
        ['1203630@g.us', undefined, 'wa-router:bot'],
      ],
    );
    assert.equal(fake.calls('POST', /^\/v1\/messages$/).at(-1)!.headers['token'], TOKEN);
  });

  test('loop prevention: outbound events, fromMe, router references, self chat, channels', () => {
    const d = (e: RoutedEvent): Delivery => ({
      id: '1',
      idempotencyKey: 'k',
      attempt: 1,
      route: 'r',
      event: e,
      params: {},
    });
    assert.equal(replyBlocker(d(event())), undefined);
    assert.match(replyBlocker(d(event({ event: 'message:out:new' })))!, /outbound event/);
    assert.match(replyBlocker(d(event({}, { fromMe: true })))!, /fromMe/);
    assert.match(replyBlocker(d(event({}, { reference: 'wa-router:other' })))!, /reference/);
    assert.match(replyBlocker(d(event({ contact: { phone: '+10000000000', metadata: {} } })))!, /this number itself/);
    assert.match(replyBlocker(d(event({ chat: { id: '1@newsletter', type: 'channel', labels: [] } })))!, /channels/);
  });

  test('cooldown per chat, kept in state', async () => {
    const h = harness({ token: TOKEN, apiUrl: fake.url, cooldownMs: 60_000 });
    assert.equal((await h.deliver(event({ id: 'evt_c1' }), { reply: 'one' })).status, 'delivered');
    const second = await h.deliver(event({ id: 'evt_c2' }), { reply: 'two' });
    assert.equal(second.status, 'skipped');
    assert.match((second as { reason: string }).reason, /cooldown/);
    const other = event({
      id: 'evt_c3',
      chat: { id: '15550000009@c.us', type: 'user', labels: [] },
      contact: { phone: '+15550000009', metadata: {} },
    });
    assert.equal((await h.deliver(other, { reply: 'three' })).status, 'delivered');
  });

  test('an unanswered send is found among the messages sent, not sent twice; a refused one may be sent again', async () => {
    const h = harness({ token: TOKEN, apiUrl: fake.url, cooldownMs: 0 });
    fake.messages.length = 0;
    fake.fail({ method: 'POST', path: /messages/, applyThenHang: true });
    assert.equal((await h.deliver(event({ id: 'evt_amb' }), { reply: 'once' }, 300)).status, 'retry');
    fake.heal();
    const again = await h.deliver(event({ id: 'evt_amb' }), { reply: 'once' });
    assert.equal(again.status, 'delivered');
    assert.equal((again as { ref?: string }).ref, `reply ${fake.messages[0]!.id} (found after an unanswered attempt)`);
    assert.equal(fake.messages.length, 1);

    fake.fail({
      method: 'POST',
      path: /messages/,
      reply: {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { status: 429, message: 'Too many requests', errorCode: 'rate:limit' },
      },
    });
    const limited = await h.deliver(event({ id: 'evt_429' }), { reply: 'later' });
    assert.deepEqual([limited.status, (limited as { retryAfterMs?: number }).retryAfterMs], ['retry', 1_000]);
    assert.equal((await h.deliver(event({ id: 'evt_429' }), { reply: 'later' })).status, 'delivered');
  });

  test('labels and metadata; 401 is a dead letter', async () => {
    const h = harness({ token: TOKEN, apiUrl: fake.url });
    const outcome = await h.deliver(event({ id: 'evt_lm' }), {
      labels: { add: ['lead', '{{ contact.name }}'], remove: ['new'] },
      metadata: { LAST_TEXT: '{{ message.body }}', EMPTY: '{{ contact.metadata.NOT_SET }}' },
    });
    assert.equal(outcome.status, 'delivered');
    assert.deepEqual(fake.labels.get('device-1/15550000001@c.us'), ['lead', 'Ann']);
    assert.deepEqual(fake.metadataOf('device-1', '15550000001@c.us'), { LAST_TEXT: 'hello' });
    const bad = await harness({ token: 'nope', apiUrl: fake.url }).deliver(event({ id: 'evt_bad' }), {
      labels: { add: ['x'] },
    });
    assert.equal(bad.status, 'failed');
    assert.match((bad as { reason: string }).reason, /401/);
  });

  test('each outcome carries the call that decided it, the Token header masked', async () => {
    const h = harness({ token: TOKEN, apiUrl: fake.url, cooldownMs: 0 });
    const sent = await h.deliver(event({ id: 'evt_exchange' }), {
      labels: { add: ['lead'] },
      reply: 'Thanks {{ contact.name }}',
    });
    assert.equal(sent.status, 'delivered');
    const exchange = sent.exchange!;
    assert.equal(exchange.request?.method, 'POST');
    assert.match(exchange.request?.url ?? '', /\/v1\/messages$/);
    assert.equal(exchange.request?.headers.token, '[redacted]');
    assert.match(exchange.request?.body ?? '', /Thanks Ann/);
    assert.ok((exchange.response?.status ?? 0) < 300);
    assert.ok(!JSON.stringify(exchange).includes(TOKEN), 'the API key is in no part of the capture');
    const refused = await harness({ token: 'not-the-key', apiUrl: fake.url }).deliver(event({ id: 'evt_x401' }), {
      labels: { add: ['x'] },
    });
    assert.equal(refused.status, 'failed');
    assert.equal(refused.exchange?.response?.status, 401);
    assert.match(refused.exchange?.request?.url ?? '', /labels\?upsert=true$/);
  });

  test('nothing to do is skipped; bad metadata keys are config errors', async () => {
    assert.equal((await harness({ token: TOKEN, apiUrl: fake.url }).deliver(event(), {})).status, 'skipped');
    assert.equal(definition.params!.safeParse({ metadata: { 'bad key!': 'x' } }).success, false);
  });
});
