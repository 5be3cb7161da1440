import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FAKE_TOKEN, FakeSlack, type FakeMessage } from '../testkit/fake-slack/index.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const ENV = { SLACK_BOT_TOKEN: FAKE_TOKEN, SLACK_BAD_TOKEN: 'xoxb-not-this-one' };

/**
 * Routes by the first word of the message body: `m:` to the connector's channel (#support),
 * `sales:` to C0SALES, and one prefix per Slack error the connector must turn into a dead letter.
 */
function config(apiUrl: string, store = ''): string {
  return `${SERVER_YAML}
${store ? `store: sqlite:${store}` : ''}
connectors:
  slack:
    type: slack
    token: \${SLACK_BOT_TOKEN}
    apiUrl: ${apiUrl}
    channel: "#support"
    text: "*{{ contact.name }}*: {{ message.body }}"
    threadBy: chat
    channelRatePerSec: 0
    delivery: { ratePerSec: 0, backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 10 }
  slackbad:
    type: slack
    token: \${SLACK_BAD_TOKEN}
    apiUrl: ${apiUrl}
    channel: C0SUPPORT
    delivery: { ratePerSec: 0, backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 3 }
routes:
  - name: sales
    when: { message.body: { $startsWith: "sales:" } }
    to: [{ connector: slack, with: { channel: C0SALES } }]
  - name: missing-channel
    when: { message.body: { $startsWith: "CNF" } }
    to: [{ connector: slack, with: { channel: C0MISSING } }]
  - name: not-member
    when: { message.body: { $startsWith: "NIC" } }
    to: [{ connector: slack, with: { channel: "#outside" } }]
  - name: bad-blocks
    when: { message.body: { $startsWith: "BLK" } }
    to: [{ connector: slack, with: { blocks: [{ type: bogus }] } }]
  - name: too-long
    when: { message.body: { $startsWith: "TOO" } }
    to: [slack]
  - name: bad-token
    when: { message.body: { $startsWith: "AUTH" } }
    to: [slackbad]
  - name: inbound
    when: { event: message:in:new, message.body: { $startsWith: "m:" } }
    to: [slack]
`;
}

const base = JSON.parse(fixture('message-in-new')) as {
  data: Record<string, unknown> & { chat: Record<string, unknown> };
};
let counter = 0;

/** A message:in:new webhook with its own message id, in chat `chat`, saying `body`. */
function message(body: string, chat = '1234567890@c.us'): object {
  counter += 1;
  return {
    ...base,
    data: { ...base.data, id: `SLACK${process.pid}X${counter}`, body, chat: { ...base.data.chat, id: chat } },
  };
}

async function send(t: TestRouter, body: string, chat?: string): Promise<void> {
  const response = await t.post(message(body, chat));
  assert.equal(response.status, 200);
}

describe('slack connector through the router', () => {
  let fake: FakeSlack;
  let t: TestRouter;
  before(async () => {
    fake = await FakeSlack.start({ pageSize: 2 });
    t = await startTestRouter(config(fake.apiUrl), ENV);
  });
  after(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  test('a message arrives in the configured #name channel with the rendered text and its ts as ref', async () => {
    await send(t, 'm: hello');
    const [posted] = await waitFor(
      () => (fake.messages.length === 1 ? fake.messages : undefined),
      'one message in Slack',
    );
    assert.equal(posted!.channel, 'C0SUPPORT', '#support resolved to its id');
    assert.equal(posted!.text, '*Bob A.*: m: hello');
    assert.equal(posted!.unfurl_links, false);
    assert.ok(fake.callsOf('conversations.list').length >= 1);
    const delivered = await waitFor(async () => {
      const rows = await t.router.store.listDeliveries({ connector: 'slack', status: 'delivered', limit: 100 });
      return rows.find((row) => row.ref === posted!.ts);
    }, 'the delivery recorded with the Slack ts');
    assert.equal(delivered.attempts, 1);
  });

  test('a route can send to another channel', async () => {
    await send(t, 'sales: quote please', '555000111@c.us');
    await waitFor(() => fake.messages.length === 1, 'one message');
    assert.equal(fake.messages[0]!.channel, 'C0SALES');
  });

  test('hostile WhatsApp text cannot ping the channel or forge links', async () => {
    await send(t, 'm: <!channel> <https://evil.example|click> & @here <@U123>', '555000222@c.us');
    await waitFor(() => fake.messages.length === 1, 'one message');
    assert.equal(
      fake.messages[0]!.text,
      '*Bob A.*: m: &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; @here &lt;@U123&gt;',
    );
    assert.doesNotMatch(fake.messages[0]!.text!, /<!|<http|<@/);
  });

  test('concurrent messages of several chats: one thread per chat, every reply in it', async () => {
    const chats = ['111@c.us', '222@c.us', '333@c.us'];
    await Promise.all(chats.flatMap((chat) => [1, 2, 3, 4].map((n) => send(t, `m: ${chat} #${n}`, chat))));
    await waitFor(() => fake.messages.length === 12, 'twelve messages', 5_000);
    for (const chat of chats) {
      const ofChat = fake.messages.filter((m) => m.text!.includes(chat));
      const roots = ofChat.filter((m) => m.thread_ts === undefined);
      assert.equal(roots.length, 1, `one thread parent for ${chat}`);
      assert.equal(roots[0]!.text, `*Bob A.*: m: ${chat} #1`, 'the first message starts the thread');
      assert.deepEqual(
        ofChat.filter((m) => m !== roots[0]).map((m) => m.thread_ts),
        [roots[0]!.ts, roots[0]!.ts, roots[0]!.ts],
      );
      assert.deepEqual(
        ofChat.map((m) => m.text!.slice(-2)),
        ['#1', '#2', '#3', '#4'],
        'in order',
      );
    }
  });

  test('a 429 storm is waited out: nothing lost, nothing posted twice', async () => {
    fake.failNext('chat.postMessage', ...Array.from({ length: 6 }, () => ({ rateLimited: 1 })));
    const bodies = [1, 2, 3, 4, 5].map((n) => `m: storm ${n}`);
    await Promise.all(bodies.map((body, n) => send(t, body, `storm${n}@c.us`)));
    await waitFor(() => fake.messages.length === 5, 'five messages after the storm', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(fake.messages.map((m) => m.text!.replace('*Bob A.*: ', '')).sort(), bodies);
    const limited = fake.callsOf('chat.postMessage').filter((c) => c.status === 429);
    assert.equal(limited.length, 6);
    // Nothing was posted to the channel within Retry-After of the first 429.
    assert.ok(
      fake.messages[0]!.at - limited[0]!.at >= 950,
      `posted ${fake.messages[0]!.at - limited[0]!.at} ms after the 429`,
    );
  });

  test('Slack errors become dead letters with the error and a hint', async () => {
    const cases: [string, RegExp, (() => void)?][] = [
      ['CNF', /channel_not_found: check `channel`/],
      ['NIC', /not_in_channel: invite the bot to the channel/],
      ['BLK', /invalid_blocks: the rendered `blocks` are not valid Block Kit/],
      [
        'TOO',
        /msg_too_long: the rendered text is too long/,
        () => fake.failNext('chat.postMessage', { error: 'msg_too_long' }),
      ],
      ['AUTH', /invalid_auth: the bot token is not valid/],
    ];
    for (const [prefix, reason, script] of cases) {
      script?.();
      await send(t, `${prefix} case`, `${prefix}@c.us`);
      const dead = await waitFor(
        async () => {
          const rows = await t.router.store.listDeliveries({ status: 'dead', limit: 100 });
          return rows.find((row) => reason.test(row.lastError ?? ''));
        },
        `a dead letter for ${prefix}`,
        3_000,
      );
      assert.equal(dead.attempts, 1, `${prefix} is not retried`);
      assert.match(dead.lastError!, /^Slack /);
      assert.ok(
        !dead.lastError!.includes(FAKE_TOKEN) && !dead.lastError!.includes(ENV.SLACK_BAD_TOKEN),
        'no token in the reason',
      );
    }
    assert.equal(fake.messages.length, 0);
    assert.ok(
      !t.rawLogs.some((line) => line.includes(FAKE_TOKEN) || line.includes(ENV.SLACK_BAD_TOKEN)),
      'no token in the logs',
    );
  });
});

describe('slack threads across a restart', () => {
  test('the chat → thread mapping is in the store: after a restart replies go to the same thread', async () => {
    const fake = await FakeSlack.start();
    const dir = mkdtempSync(join(tmpdir(), 'wa-router-slack-'));
    const yaml = config(fake.apiUrl, join(dir, 'router.db'));
    let t = await startTestRouter(yaml, ENV);
    try {
      await send(t, 'm: before restart', 'restart@c.us');
      const root = await waitFor(() => fake.messages[0], 'the thread parent');
      await t.close();
      t = await startTestRouter(yaml, ENV);
      await send(t, 'm: after restart', 'restart@c.us');
      const reply: FakeMessage = await waitFor(() => fake.messages[1], 'the reply after the restart');
      assert.equal(reply.thread_ts, root.ts);
      assert.equal(fake.roots().length, 1);
    } finally {
      await t.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
