import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import { FakeWassenger } from '../../test/testkit/fake-wassenger/index.ts';
import wassenger from './index.ts';

const definition = wassenger as unknown as ConnectorDefinition;
const TOKEN = 'wassenger-faults-key-0123456789';
const SEND = /^\/v1\/messages$/;

/** The event id each sent message carries in its text (`evt=<id>`), one entry per message. */
const sentEvents = (fake: FakeWassenger): string[] =>
  fake.messages.map((message) => /evt=(\w+)/.exec(message.message)?.[1] ?? '?');

describe('wassenger connector under faults', () => {
  let fake: FakeWassenger;
  before(async () => {
    fake = await FakeWassenger.start({ token: TOKEN });
  });
  after(() => fake.close());

  test('meets the fault-conformance suite', async (t) => {
    const report = await checkConnectorFaults(definition, {
      config: { token: TOKEN, apiUrl: fake.url, cooldownMs: 0 },
      params: {
        reply: 'evt={{ id }} {{ contact.name }}: {{ message.body }}',
        // The chat id goes in the labels path, so hostile values reach the request path too.
        labels: { add: ['faults'] },
      },
      faults: {
        lostAnswer: () => fake.fail({ method: 'POST', path: SEND, applyThenHang: true }),
        resetAfterActing: () => fake.fail({ method: 'POST', path: SEND, applyThenDrop: true }),
        hang: () => fake.fail({ method: 'POST', path: SEND, hang: true }),
        garbage: () => fake.fail({ method: 'POST', path: SEND, reply: { status: 201, raw: '<html>oops' } }),
        errorIn200: () =>
          fake.fail({
            method: 'POST',
            path: SEND,
            reply: { status: 200, body: { status: 500, message: 'Internal server error', errorCode: 'server:error' } },
          }),
        rateLimited: (retryAfter) =>
          fake.fail({
            method: 'POST',
            path: SEND,
            reply: {
              status: 429,
              headers: { 'retry-after': retryAfter ?? '' },
              body: { status: 429, message: 'Too many requests', errorCode: 'rate:limit' },
            },
          }),
        diskFull: 'no disk involved: messages are queued by Wassenger',
      },
      heal: () => fake.heal(),
      acted: () => sentEvents(fake),
      idempotent: true,
      paths: () => fake.requests.map((request) => request.url),
      pathPattern: /^\/v1\/(messages(\?.*)?|chat\/device-1\/chats\/[^/]+\/labels\?upsert=true)$/,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  });

  test('a send answered 2xx without a message id stays pending: the retry looks, then sends once', async () => {
    fake.messages.length = 0;
    const connector = await create(fake.url);
    fake.fail({ method: 'POST', path: SEND, reply: { status: 201, raw: '<html>oops' } });
    assert.equal((await deliver(connector, 'evt_garbled')).status, 'retry');
    const again = await deliver(connector, 'evt_garbled');
    assert.equal(again.status, 'delivered');
    assert.equal(fake.calls('GET', SEND).length > 0, true, 'the retry searched before sending');
    assert.deepEqual(sentEvents(fake), ['evt_garbled']);
  });

  test('an earlier reply of the chat with the same text is not taken for the unanswered one', async () => {
    fake.messages.length = 0;
    const connector = await create(fake.url);
    const params = { reply: 'Thanks, we got your message' };
    assert.equal((await deliver(connector, 'evt_first', params)).status, 'delivered');
    fake.fail({ method: 'POST', path: SEND, hang: true });
    assert.equal((await deliver(connector, 'evt_second', params)).status, 'retry');
    fake.heal();
    assert.equal((await deliver(connector, 'evt_second', params)).status, 'delivered');
    assert.equal(fake.messages.length, 2, "the first reply is evt_first's: the second is sent");
  });

  test('when the search cannot tell, an unanswered reply is not sent again (a dead letter that says why)', async () => {
    const blind = await FakeWassenger.start({ token: TOKEN, searchIgnoresFilters: true });
    try {
      const refuses = await create(fake.url);
      const ignores = await create(blind.url);
      for (const [service, connector] of [
        [fake, refuses],
        [blind, ignores],
      ] as const) {
        service.messages.length = 0;
        service.fail({ method: 'POST', path: SEND, applyThenDrop: true });
        if (service === fake)
          service.fail({
            method: 'GET',
            path: SEND,
            reply: { status: 404, body: { status: 404, message: 'Not found' } },
          });
        assert.equal((await deliver(connector, 'evt_blind')).status, 'retry');
        // A reply to another chat, so a list that ignores the filters shows it.
        assert.equal((await deliver(connector, 'evt_other', undefined, '+15550000002')).status, 'delivered');
        const again = await deliver(connector, 'evt_blind');
        assert.equal(again.status, 'failed');
        assert.match((again as { reason: string }).reason, /could not be searched for it; it is not sent again/);
        assert.deepEqual(sentEvents(service), ['evt_blind', 'evt_other']);
      }
    } finally {
      await blind.close();
    }
  });
});

async function create(apiUrl: string): Promise<Connector> {
  return definition.create(definition.config.parse({ token: TOKEN, apiUrl, cooldownMs: 0 }), {
    name: 'bot',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir: '.',
    state: memoryState(),
  });
}

async function deliver(
  connector: Connector,
  id: string,
  params: unknown = { reply: 'evt={{ id }} thanks' },
  phone = '+15550000001',
): Promise<Outcome> {
  const wid = `${phone.slice(1)}@c.us`;
  const event: RoutedEvent = {
    id,
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'device-1', phone: '+10000000000' },
    chat: { id: wid, type: 'user', labels: [] },
    contact: { wid, phone, name: 'Ann', metadata: {} },
    message: { id: 'MSG1', type: 'text', body: 'hello', fromMe: false },
    data: { id: 'MSG1' },
  };
  const delivery: Delivery = {
    id: '1',
    idempotencyKey: `${id}:bot`,
    attempt: 1,
    route: 'r',
    event,
    params: definition.params!.parse(params ?? { reply: 'evt={{ id }} thanks' }),
  };
  return (await connector.deliver([delivery], AbortSignal.timeout(2_000)))[0]!;
}
