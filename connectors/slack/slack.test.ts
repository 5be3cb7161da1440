import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnector, memoryState } from '../../src/sdk/testing.ts';
import { FAKE_TOKEN, FakeSlack } from '../../test/testkit/fake-slack/index.ts';
import { TRUNCATION_MARKER, escapeMrkdwn, truncate } from './escape.ts';
import slack from './index.ts';
import { ChannelRateLimiter } from './rate-limit.ts';

const definition = slack as unknown as ConnectorDefinition;

const event = (overrides: Partial<RoutedEvent> = {}, body = 'hello'): RoutedEvent => ({
  id: 'evt_1',
  event: 'message:in:new',
  receivedAt: '2026-01-01T00:00:00.000Z',
  device: { id: 'dev1', phone: '+10000000000' },
  chat: { id: '15550001@c.us', type: 'user', name: 'Bob', labels: [] },
  contact: { wid: '15550001@c.us', phone: '+15550001', name: 'Bob', metadata: { CRM_ID: 'a&b' } },
  message: { id: 'M1', type: 'text', body, fromMe: false },
  data: {},
  ...overrides,
});

let seq = 0;
const deliveryOf = (ev: RoutedEvent, params?: unknown): Delivery => ({
  id: String(++seq),
  idempotencyKey: `${ev.id}:s`,
  attempt: 1,
  route: 'r',
  event: ev,
  params: params === undefined ? undefined : definition.params!.parse(params),
});

interface Made {
  readonly connector: Connector;
  readonly logs: { level: string; obj: object; msg?: string | undefined }[];
  readonly state: Map<string, string>;
}

async function make(config: Record<string, unknown>, state = new Map<string, string>()): Promise<Made> {
  const logs: Made['logs'] = [];
  const log = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj, msg });
  const connector = await definition.create(definition.config.parse(config), {
    name: 's',
    configDir: '.',
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    state: memoryState(state),
  });
  return { connector, logs, state };
}

async function deliverOne(
  connector: Connector,
  delivery: Delivery,
  signal = AbortSignal.timeout(5_000),
): Promise<Outcome> {
  return (await connector.deliver([delivery], signal))[0]!;
}

describe('slack connector', () => {
  let fake: FakeSlack;
  let base: Record<string, unknown>;
  before(async () => {
    fake = await FakeSlack.start({ pageSize: 2 });
    base = { token: FAKE_TOKEN, apiUrl: fake.apiUrl, channel: 'C0GENERAL', channelRatePerSec: 0 };
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  test('conforms to the connector contract against the fake Slack', async () => {
    assert.deepEqual(
      await checkConnector(definition, { config: { token: FAKE_TOKEN, apiUrl: fake.apiUrl, channel: 'C0GENERAL' } }),
      [],
    );
    // One message per second per channel by default: the first of the batch of 3 is posted, the others wait.
    assert.equal(fake.messages.length, 1);
    fake.reset();
    assert.deepEqual(await checkConnector(definition, { config: { ...base, threadBy: 'chat' } }), []);
    assert.equal(fake.messages.length, 3);
    assert.equal(fake.roots().length, 1, 'one thread for the three messages of one chat');
    assert.equal(fake.replies(fake.roots()[0]!.ts).length, 2);
  });

  test('posts the rendered text, escaped, with unfurling off, and reports the ts', async () => {
    const { connector } = await make({
      ...base,
      text: '*{{ contact.name }}* <{{ contact.metadata.CRM_ID }}>: {{ message.body }}',
    });
    const outcome = await deliverOne(connector, deliveryOf(event({}, 'hi <!channel> <https://evil|click> & you')));
    assert.equal(outcome.status, 'delivered');
    const [message] = fake.messages;
    assert.equal((outcome as { ref?: string }).ref, message!.ts);
    assert.equal(message!.text, '*Bob* <a&amp;b>: hi &lt;!channel&gt; &lt;https://evil|click&gt; &amp; you');
    assert.equal(message!.unfurl_links, false);
    assert.equal(message!.unfurl_media, false);
    const call = fake.callsOf('chat.postMessage')[0]!;
    assert.equal(call.authorization, `Bearer ${FAKE_TOKEN}`);
    assert.equal(call.args.token, undefined, 'the token is not in the body');
  });

  test('blocks: mrkdwn values escaped, plain_text and urls raw, limits applied; username and icon', async () => {
    const { connector } = await make({
      ...base,
      username: '{{ contact.name }} (WhatsApp)',
      iconEmoji: ':speech_balloon:',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '{{ contact.name }} & co {{ message.body }}' } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '<https://crm.example/{{ contact.metadata.CRM_ID }}|CRM>: {{ message.body }}' },
          accessory: {
            type: 'button',
            text: { type: 'plain_text', text: 'Open' },
            url: 'https://crm.example/?id={{ contact.metadata.CRM_ID }}',
          },
        },
      ],
    });
    const long = `<b>${'x'.repeat(5_000)}`;
    assert.equal((await deliverOne(connector, deliveryOf(event({}, long)))).status, 'delivered');
    const blocks = fake.messages[0]!.blocks as { text: { text: string }; accessory?: { url: string } }[];
    assert.ok(blocks[0]!.text.text.startsWith('Bob & co <b>xxx'));
    assert.equal(blocks[0]!.text.text.length, 150);
    assert.ok(blocks[1]!.text.text.startsWith('<https://crm.example/a&amp;b|CRM>: &lt;b&gt;xxx'));
    assert.equal(blocks[1]!.text.text.length, 3_000);
    assert.ok(blocks[1]!.text.text.endsWith(TRUNCATION_MARKER));
    assert.equal(blocks[1]!.accessory!.url, 'https://crm.example/?id=a&b');
    assert.equal(fake.messages[0]!.username, 'Bob (WhatsApp)');
    assert.equal(fake.messages[0]!.icon_emoji, ':speech_balloon:');
  });

  test('text over 40,000 characters is cut with a marker and accepted', async () => {
    const { connector } = await make(base);
    assert.equal((await deliverOne(connector, deliveryOf(event({}, 'y'.repeat(50_000))))).status, 'delivered');
    assert.equal(fake.messages[0]!.text!.length, 40_000);
    assert.ok(fake.messages[0]!.text!.endsWith(TRUNCATION_MARKER));
  });

  test('#name is resolved through paginated conversations.list, once', async () => {
    const { connector } = await make({ ...base, channel: '#sales' });
    assert.equal((await deliverOne(connector, deliveryOf(event()))).status, 'delivered');
    assert.equal((await deliverOne(connector, deliveryOf(event()))).status, 'delivered');
    assert.deepEqual(
      fake.messages.map((m) => m.channel),
      ['C0SALES', 'C0SALES'],
    );
    assert.equal(fake.callsOf('conversations.list').length, 2, 'two pages of two, then cached');
    const unknown = await deliverOne((await make({ ...base, channel: '#nope' })).connector, deliveryOf(event()));
    assert.equal(unknown.status, 'failed');
    assert.match((unknown as { reason: string }).reason, /channel_not_found.*#nope/);
  });

  test('route parameters override channel and text', async () => {
    const { connector } = await make(base);
    await deliverOne(connector, deliveryOf(event(), { channel: 'C0SUPPORT', text: 'VIP: {{ message.body }}' }));
    assert.deepEqual([fake.messages[0]!.channel, fake.messages[0]!.text], ['C0SUPPORT', 'VIP: hello']);
  });

  test('maps Slack answers to outcomes', async () => {
    const cases: [() => void, string, RegExp, number?][] = [
      [() => fake.failNext('chat.postMessage', { rateLimited: 3 }), 'retry', /429/, 3_000],
      [() => fake.failNext('chat.postMessage', { status: 503 }), 'retry', /HTTP 503/],
      [() => fake.failNext('chat.postMessage', { error: 'internal_error' }), 'retry', /internal_error/],
      [
        () => fake.failNext('chat.postMessage', { error: 'not_in_channel' }),
        'failed',
        /not_in_channel: invite the bot/,
      ],
      [
        () => fake.failNext('chat.postMessage', { error: 'invalid_blocks' }),
        'failed',
        /invalid_blocks: the rendered `blocks`/,
      ],
      [
        () => fake.failNext('chat.postMessage', { error: 'msg_too_long' }),
        'failed',
        /msg_too_long: the rendered text is too long/,
      ],
      [() => fake.failNext('chat.postMessage', { error: 'some_new_error' }), 'failed', /some_new_error: see https/],
    ];
    for (const [script, status, reason, retryAfterMs] of cases) {
      const { connector } = await make(base);
      script();
      const outcome = await deliverOne(connector, deliveryOf(event()));
      assert.equal(outcome.status, status, String(reason));
      assert.match((outcome as { reason: string }).reason, reason);
      if (retryAfterMs !== undefined) assert.equal((outcome as { retryAfterMs?: number }).retryAfterMs, retryAfterMs);
    }
    const bad = await make({ ...base, token: 'xoxb-wrong' });
    const outcome = await deliverOne(bad.connector, deliveryOf(event()));
    assert.equal(outcome.status, 'failed');
    assert.match((outcome as { reason: string }).reason, /invalid_auth: the bot token is not valid/);
    assert.ok(!JSON.stringify(outcome).includes('xoxb-wrong'));
    await assert.rejects(bad.connector.healthcheck!(AbortSignal.timeout(2_000)), /invalid_auth/);
    await (await make(base)).connector.healthcheck!(AbortSignal.timeout(2_000));
  });

  test('a hanging call is cut by the delivery signal and retried; a refused connection is retried', async () => {
    const { connector } = await make(base);
    fake.failNext('chat.postMessage', { hang: true });
    const started = Date.now();
    const outcome = await deliverOne(connector, deliveryOf(event()), AbortSignal.timeout(200));
    assert.equal(outcome.status, 'retry');
    assert.ok(Date.now() - started < 2_000);
    const closed = await FakeSlack.start();
    const apiUrl = closed.apiUrl;
    await closed.close();
    const refused = await deliverOne((await make({ ...base, apiUrl })).connector, deliveryOf(event()));
    assert.equal(refused.status, 'retry');
    assert.match((refused as { reason: string }).reason, /network error/);
  });

  test('per-channel rate: a second message within the second waits, other channels do not; a 429 holds the channel', async () => {
    const { connector } = await make({ ...base, channelRatePerSec: 1 });
    assert.equal((await deliverOne(connector, deliveryOf(event()))).status, 'delivered');
    const second = await deliverOne(connector, deliveryOf(event()));
    assert.equal(second.status, 'retry');
    const wait = (second as { retryAfterMs?: number }).retryAfterMs ?? 0;
    assert.ok(wait > 0 && wait <= 1_000, `waits ${wait} ms`);
    assert.equal((await deliverOne(connector, deliveryOf(event(), { channel: 'C0SUPPORT' }))).status, 'delivered');
    assert.equal(fake.messages.length, 2);

    fake.failNext('chat.postMessage', { rateLimited: 2 });
    const limited = await deliverOne(connector, deliveryOf(event(), { channel: 'C0SALES' }));
    assert.equal((limited as { retryAfterMs?: number }).retryAfterMs, 2_000);
    const held = await deliverOne(connector, deliveryOf(event(), { channel: 'C0SALES' }));
    assert.match((held as { reason: string }).reason, /C0SALES waits \d+ ms: Slack rate-limited it/);
    assert.equal(fake.callsOf('chat.postMessage').length, 3, 'the held message was not sent');

    const limiter = new ChannelRateLimiter(1, () => 10_000);
    assert.equal(limiter.take('C1'), 0);
    limiter.holdUntil('C2', 13_000);
    assert.equal(limiter.take('C2'), 3_000);
  });

  test('preview shows the exact chat.postMessage arguments without the token', async () => {
    const { connector } = await make({ ...base, channel: '#support' });
    const preview = connector.preview!(deliveryOf(event()));
    assert.deepEqual(preview, { channel: '#support', text: '*Bob*: hello', unfurl_links: false, unfurl_media: false });
    assert.equal(fake.calls.length, 0, 'preview makes no call');
  });

  test('never logs the token', async () => {
    const { connector, logs } = await make(base);
    fake.failNext('chat.postMessage', { status: 500 });
    await deliverOne(connector, deliveryOf(event()));
    assert.ok(!JSON.stringify(logs).includes(FAKE_TOKEN));
  });
});

describe('escaping and truncation', () => {
  test('escapes &, < and > only', () => {
    assert.equal(escapeMrkdwn('<!channel> & <@U1> *b* _i_'), '&lt;!channel&gt; &amp; &lt;@U1&gt; *b* _i_');
  });

  test('truncate never splits an entity or a surrogate pair', () => {
    assert.equal(truncate('abc', 5), 'abc');
    const cut = truncate(`${'a'.repeat(10)}&amp;${'b'.repeat(20)}`, 12 + TRUNCATION_MARKER.length);
    assert.equal(cut, `${'a'.repeat(10)}${TRUNCATION_MARKER}`);
    const emoji = truncate(`${'a'.repeat(9)}😀${'b'.repeat(20)}`, 10 + TRUNCATION_MARKER.length);
    assert.equal(emoji, `${'a'.repeat(9)}${TRUNCATION_MARKER}`);
  });

  test('config: channel and blocks are checked at load', () => {
    assert.equal(definition.config.safeParse({ token: 't', channel: 'support' }).success, false);
    assert.equal(
      definition.config.safeParse({ token: 't', channel: '#support', blocks: { type: 'section' } }).success,
      false,
    );
    assert.equal(
      definition.config.safeParse({
        token: 't',
        channel: '#support',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '{{ x | nope }}' } }],
      }).success,
      false,
    );
    assert.equal(definition.config.safeParse({ token: 't', channel: 'C0123', threadBy: 'chat' }).success, true);
  });
});
