import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { memoryState } from '../../src/sdk/testing.ts';
import { FAKE_TOKEN, FakeSlack } from '../../test/testkit/fake-slack/index.ts';
import slack from './index.ts';

const definition = slack as unknown as ConnectorDefinition;

const event: RoutedEvent = {
  id: 'evt_x',
  event: 'message:in:new',
  receivedAt: '2026-01-01T00:00:00.000Z',
  device: { id: 'dev1', phone: '+10000000000' },
  chat: { id: '15550001@c.us', type: 'user', name: 'Bob', labels: [] },
  contact: { wid: '15550001@c.us', phone: '+15550001', name: 'Bob', metadata: {} },
  message: { id: 'M1', type: 'text', body: 'hello', fromMe: false },
  data: {},
};

let seq = 0;
const delivery = (): Delivery => ({
  id: String(++seq),
  idempotencyKey: `evt_x:${seq}`,
  attempt: 1,
  route: 'r',
  event,
  params: undefined,
});

async function make(config: Record<string, unknown>): Promise<Connector> {
  const log = () => {};
  return definition.create(definition.config.parse(config), {
    name: 's',
    configDir: '.',
    log: { debug: log, info: log, warn: log, error: log },
    state: memoryState(new Map()),
  });
}

async function deliverOne(connector: Connector, signal = AbortSignal.timeout(5_000)): Promise<Outcome> {
  return (await connector.deliver([delivery()], signal))[0]!;
}

/** The outcome's exchange, checked to hold no trace of `token`. */
function exchangeOf(outcome: Outcome, token = FAKE_TOKEN) {
  const exchange = outcome.exchange;
  assert.ok(exchange, `an exchange on ${JSON.stringify(outcome)}`);
  assert.ok(!JSON.stringify(exchange).includes(token), 'the token is not captured');
  return exchange;
}

describe('slack: the request and response of each call', () => {
  let fake: FakeSlack;
  let base: Record<string, unknown>;
  before(async () => {
    fake = await FakeSlack.start();
    base = { token: FAKE_TOKEN, apiUrl: fake.apiUrl, channel: 'C0GENERAL', channelRatePerSec: 0 };
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  test('a delivered message carries chat.postMessage as called (no token) and Slack’s answer', async () => {
    const outcome = await deliverOne(await make(base));
    assert.equal(outcome.status, 'delivered');
    const { request, response } = exchangeOf(outcome);
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, `${fake.apiUrl}chat.postMessage`);
    const args = JSON.parse(request!.body!);
    assert.equal(args.channel, 'C0GENERAL');
    assert.equal(args.text, '*Bob*: hello');
    assert.equal(args.metadata.event_type, 'wa_router_delivery');
    assert.equal('token' in args, false);
    assert.equal(response!.status, 200);
    const answer = JSON.parse(response!.body!);
    assert.deepEqual([answer.ok, answer.ts, answer.channel], [true, (outcome as { ref?: string }).ref, 'C0GENERAL']);
  });

  test("a refusal carries Slack's error answer; a wrong token is not captured either", async () => {
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const refused = await deliverOne(await make(base));
    assert.equal(refused.status, 'failed');
    const { request, response } = exchangeOf(refused);
    assert.equal(request!.url, `${fake.apiUrl}chat.postMessage`);
    assert.equal(response!.status, 200);
    assert.deepEqual((({ ok, error }) => ({ ok, error }))(JSON.parse(response!.body!)), {
      ok: false,
      error: 'channel_not_found',
    });

    const wrong = 'xoxb-wrong-secret-42';
    const unauthorised = await deliverOne(await make({ ...base, token: wrong }));
    assert.match(exchangeOf(unauthorised, wrong).response!.body!, /"error":"invalid_auth"/);
  });

  test('a 429 carries its Retry-After, a 503 its status; a #name that cannot be listed carries conversations.list', async () => {
    fake.failNext('chat.postMessage', { rateLimited: 3 }, { status: 503 });
    const limited = exchangeOf(await deliverOne(await make(base))).response!;
    assert.deepEqual([limited.status, limited.headers['retry-after']], [429, '3']);
    // A new connector: the first one holds the channel for the 3 s Slack asked for.
    assert.equal(exchangeOf(await deliverOne(await make(base))).response!.status, 503);

    fake.failNext('conversations.list', { error: 'missing_scope' });
    const unlisted = await deliverOne(await make({ ...base, channel: '#sales' }));
    assert.equal(unlisted.status, 'failed');
    const { request, response } = exchangeOf(unlisted);
    assert.equal(request!.url, `${fake.apiUrl}conversations.list`);
    assert.match(response!.body!, /"error":"missing_scope"/);
  });

  test('a call that got no answer carries its request only; a skip carries nothing', async () => {
    fake.failNext('chat.postMessage', { hang: true });
    const timedOut = await deliverOne(await make(base), AbortSignal.timeout(200));
    assert.equal(timedOut.status, 'retry');
    const exchange = exchangeOf(timedOut);
    assert.equal(exchange.request!.url, `${fake.apiUrl}chat.postMessage`);
    assert.equal(exchange.response, undefined);

    const skipped = await deliverOne(await make({ ...base, text: ' ' }));
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.exchange, undefined);
  });
});
