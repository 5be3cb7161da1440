import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnectorFaults, memoryState, ODD_RETRY_AFTER } from '../../src/sdk/testing.ts';
import { FAKE_TOKEN, FakeSlack } from '../../test/testkit/fake-slack/index.ts';
import slack from './index.ts';

const definition = slack as unknown as ConnectorDefinition;
const HOUR = 3_600_000;

/** The event id each message carries in its text (`evt=<id>`), one entry per message posted. */
const postedEvents = (fake: FakeSlack): string[] =>
  fake.messages.map((message) => /evt=(\w+)/.exec(message.text ?? '')?.[1] ?? '?');

const baseEvent: RoutedEvent = {
  id: 'evt',
  event: 'message:in:new',
  receivedAt: '2026-01-01T00:00:00.000Z',
  device: { id: 'dev1', phone: '+10000000000' },
  chat: { id: '15550001@c.us', type: 'user', name: 'Bob', labels: [] },
  contact: { wid: '15550001@c.us', phone: '+15550001', name: 'Bob', metadata: {} },
  message: { id: 'M1', type: 'text', body: 'hello', fromMe: false },
  data: {},
};

function delivery(id: string, attempt = 1): Delivery {
  return { id: '1', idempotencyKey: `${id}:s`, attempt, route: 'r', event: { ...baseEvent, id }, params: undefined };
}

interface Made {
  readonly connector: Connector;
  readonly warnings: string[];
  deliver(id: string, attempt?: number, timeoutMs?: number): Promise<Outcome>;
}

async function make(config: Record<string, unknown>): Promise<Made> {
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), error() {} };
  const connector = await definition.create(definition.config.parse({ channelRatePerSec: 0, ...config }), {
    name: 's',
    configDir: '.',
    log,
    state: memoryState(),
  });
  return {
    connector,
    warnings,
    async deliver(id, attempt = 1, timeoutMs = 5_000) {
      return (await connector.deliver([delivery(id, attempt)], AbortSignal.timeout(timeoutMs)))[0]!;
    },
  };
}

describe('slack connector under faults', () => {
  let fake: FakeSlack;
  let base: Record<string, unknown>;
  before(async () => {
    fake = await FakeSlack.start();
    base = { token: FAKE_TOKEN, apiUrl: fake.apiUrl, channel: 'C0GENERAL', text: 'evt={{ id }} {{ message.body }}' };
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  test('meets the fault-conformance suite (a retry finds the message of an unanswered attempt)', async (t) => {
    const report = await checkConnectorFaults(definition, {
      config: {
        ...base,
        text: 'evt={{ id }} {{ contact.name }}: {{ message.body }}',
        threadBy: 'chat',
        // The per-channel pace (1 message/s) would answer `retry` for every event after the
        // first within a second; it is tested on its own in slack.test.ts.
        channelRatePerSec: 0,
      },
      faults: {
        lostAnswer: () => fake.failNext('chat.postMessage', { applyThenHang: true }),
        resetAfterActing: () => fake.failNext('chat.postMessage', { applyThenDrop: true }),
        hang: () => fake.failNext('chat.postMessage', { hang: true }),
        garbage: () => fake.failNext('chat.postMessage', { status: 200, body: '<html>\n<body>oops</body>' }),
        errorIn200: () => fake.failNext('chat.postMessage', { error: 'fatal_error' }),
        rateLimited: (retryAfter) => fake.failNext('chat.postMessage', { rateLimited: retryAfter ?? '' }),
        diskFull: 'no disk involved: messages live in Slack',
      },
      heal: () => fake.heal(),
      acted: () => postedEvents(fake),
      idempotent: true,
      uniqueRefs: true,
      paths: () => fake.calls.map((call) => call.path),
      pathPattern: /^\/api\/(chat\.postMessage|conversations\.(history|replies))$/,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
    assert.ok(fake.callsOf('conversations.replies').length > 0, 'a reply in a thread was looked for in the thread');
  });

  test('a thread root whose answer was lost is found again and the chat keeps one thread', async () => {
    const { deliver } = await make({ ...base, threadBy: 'chat' });
    fake.failNext('chat.postMessage', { applyThenDrop: true });
    assert.equal((await deliver('evt_root')).status, 'retry');
    const again = await deliver('evt_root', 2);
    assert.equal(again.status, 'delivered');
    assert.equal((again as { ref?: string }).ref, fake.messages[0]!.ts);
    assert.equal(fake.callsOf('conversations.history').length, 1);
    assert.equal((await deliver('evt_next')).status, 'delivered');
    assert.deepEqual(postedEvents(fake), ['evt_root', 'evt_next']);
    assert.equal(fake.roots().length, 1);
    assert.equal(fake.replies(fake.messages[0]!.ts).length, 1, 'the next message replies in the found thread');
  });

  test('an attempt Slack surely refused is retried without reading the channel back', async () => {
    const { deliver } = await make(base);
    fake.failNext('chat.postMessage', { error: 'not_in_channel' }, { rateLimited: 0 });
    assert.equal((await deliver('evt_refused')).status, 'failed');
    assert.equal((await deliver('evt_refused', 2)).status, 'retry');
    assert.equal((await deliver('evt_refused', 3)).status, 'delivered');
    assert.equal(fake.callsOf('conversations.history').length, 0);
  });

  test('without channels:history a lost answer is posted again (a possible duplicate), and says so once', async () => {
    const blind = await FakeSlack.start({ historyScope: false });
    try {
      const { deliver, warnings } = await make({ ...base, apiUrl: blind.apiUrl });
      for (const id of ['evt_a', 'evt_b']) {
        blind.failNext('chat.postMessage', { applyThenHang: true });
        assert.equal((await deliver(id, 1, 300)).status, 'retry');
        blind.heal();
        assert.equal((await deliver(id, 2)).status, 'delivered');
      }
      assert.deepEqual(postedEvents(blind), ['evt_a', 'evt_a', 'evt_b', 'evt_b']);
      assert.equal(warnings.filter((warning) => /channels:history/.test(warning)).length, 1);
    } finally {
      await blind.close();
    }
  });

  // In the suite a 429 holds the channel, so the values after "1.5" are answered by that hold
  // without reaching Slack: here each value gets a connector of its own.
  test('every odd Retry-After reaches Slack and gives a bounded wait, for the delivery and the channel', async () => {
    for (const value of ODD_RETRY_AFTER) {
      const { deliver } = await make(base);
      fake.failNext('chat.postMessage', { rateLimited: value });
      const calls = fake.callsOf('chat.postMessage').length;
      const limited = await deliver('evt_429');
      assert.equal(fake.callsOf('chat.postMessage').length, calls + 1, `Retry-After ${JSON.stringify(value)} was sent`);
      assert.equal(limited.status, 'retry', JSON.stringify(value));
      const wait = (limited as { retryAfterMs?: number }).retryAfterMs;
      assert.ok(wait === undefined || (wait >= 0 && wait <= HOUR), `Retry-After ${JSON.stringify(value)}: ${wait}`);
      assert.doesNotMatch((limited as { reason: string }).reason, /127\.0\.0\.1/, 'the reason does not echo the URL');
      // The channel is held no longer than the delivery waits.
      const held = await deliver('evt_429_next');
      const heldFor = (held as { retryAfterMs?: number }).retryAfterMs ?? 0;
      assert.ok(heldFor <= HOUR, `Retry-After ${JSON.stringify(value)} holds the channel ${heldFor} ms`);
      fake.heal();
    }
  });
});
