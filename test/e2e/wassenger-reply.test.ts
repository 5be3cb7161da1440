import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeliveryView } from '../../src/domain/delivery.ts';
import { eventKey } from '../../src/wassenger/keys.ts';
import { parseWebhookBody } from '../../src/wassenger/payload.ts';
import { FakeWassenger, echoOf } from '../testkit/fake-wassenger/index.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const WASSENGER_TOKEN = 'wassenger-e2e-api-key-9876543210';
const DEVICE = '61b37a069cba0c15d';

let counter = 0;
function idOf(payload: object): string {
  const parsed = parseWebhookBody(payload);
  assert.ok(parsed.ok);
  return eventKey(parsed.items[0]!);
}

/** message-in-new from `phone` (its own 1:1 chat), with a fresh message id. */
function inbound(
  phone: string,
  body: string,
): { payload: Record<string, unknown>; eventId: string; messageId: string } {
  const payload = JSON.parse(fixture('message-in-new')) as {
    data: { id: string; body: string; chat: { id: string; contact: { phone: string; wid: string } } };
  };
  payload.data.id = `WR${Date.now()}${counter++}`;
  payload.data.body = body;
  payload.data.chat.id = `${phone.slice(1)}@c.us`;
  payload.data.chat.contact.phone = phone;
  payload.data.chat.contact.wid = `${phone.slice(1)}@c.us`;
  return { payload, eventId: idOf(payload), messageId: payload.data.id };
}

describe('acting back on WhatsApp through the whole router', () => {
  let wassenger: FakeWassenger;
  let t: TestRouter;

  const final = (eventId: string, connector: string, status?: DeliveryView['status']) =>
    waitFor(
      async () => {
        const row = (await t.router.store.listDeliveries({ eventId, connector, limit: 1 }))[0];
        return row && row.status !== 'pending' && (!status || row.status === status) ? row : undefined;
      },
      `a final ${status ?? ''} delivery to ${connector}`,
      4_000,
    );

  before(async () => {
    wassenger = await FakeWassenger.start({ token: WASSENGER_TOKEN });
    t = await startTestRouter(
      `${SERVER_YAML}
connectors:
  bot:
    type: wassenger
    token: \${WASSENGER_TOKEN}
    apiUrl: ${wassenger.url}
    cooldownMs: 60000
    delivery: { backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 4 }
  ops:
    type: wassenger
    token: \${WASSENGER_TOKEN}
    apiUrl: ${wassenger.url}
    delivery: { backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 4 }
routes:
  # Deliberately broad (outbound events too): the connector itself must refuse to answer echoes.
  - name: auto-reply
    when: { event: { $in: [message:in:new, message:out:new] } }
    to: [{ connector: bot, with: { reply: { text: "Thanks {{ contact.name }}, we will get back to you.", quote: true } } }]
  - name: tag-leads
    when: { event: message:in:new, message.body: { $regex: "(?i)price" } }
    to:
      - connector: ops
        with:
          labels: { add: [lead, "{{ device.alias }}"], remove: [NEW] }
          metadata: { LAST_TOPIC: pricing, LAST_MESSAGE_ID: "{{ message.id }}" }
`,
      { WASSENGER_TOKEN },
    );
  });
  after(async () => {
    await t.close();
    await wassenger.close();
  });

  test('an inbound message gets a reply to its chat, quoting it, tagged with the reference, from its device', async () => {
    const before = wassenger.messages.length;
    const { payload, eventId, messageId } = inbound('+15558880001', 'Hello there');
    assert.equal((await t.post(payload)).status, 200);
    const row = await final(eventId, 'bot', 'delivered');
    const sent = wassenger.messages.slice(before);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      { ...sent[0], id: undefined, waId: undefined },
      {
        id: undefined,
        waId: undefined,
        device: DEVICE,
        phone: '+15558880001',
        message: 'Thanks Bob A., we will get back to you.',
        quote: messageId,
        reference: 'wa-router:bot',
      },
    );
    assert.match(row.ref ?? '', new RegExp(`reply ${sent[0]!.id}`));
    assert.equal(wassenger.calls('POST', /^\/v1\/messages$/).at(-1)!.headers['token'], WASSENGER_TOKEN);
  });

  test('the message:out:new echo of that reply (carrying the reference) does not trigger another reply', async () => {
    const sent = wassenger.messages.at(-1)!;
    const echo = echoOf(
      sent,
      JSON.parse(fixture('message-out-new')) as { device: object; data: Record<string, unknown> },
    );
    const before = wassenger.messages.length;
    assert.equal((await t.post(echo)).status, 200);
    const row = await final(idOf(echo), 'bot', 'skipped');
    assert.match(row.lastError ?? '', /loop prevention/);
    assert.equal(wassenger.messages.length, before);
  });

  test('a second message from the same chat within the cooldown gets no reply', async () => {
    const before = wassenger.messages.length;
    const { payload, eventId } = inbound('+15558880001', 'Are you a bot?');
    await t.post(payload);
    const row = await final(eventId, 'bot', 'skipped');
    assert.match(row.lastError ?? '', /cooldown/);
    assert.equal(wassenger.messages.length, before);
    // Another chat is not held back.
    const other = inbound('+15558880002', 'Hi');
    await t.post(other.payload);
    await final(other.eventId, 'bot', 'delivered');
    assert.equal(wassenger.messages.at(-1)!.phone, '+15558880002');
  });

  test('a message from this number itself (fromMe) gets no reply', async () => {
    const { payload, eventId } = inbound('+15558880004', 'sent from the phone');
    (payload['data'] as Record<string, unknown>)['fromMe'] = true;
    const before = wassenger.messages.length;
    await t.post(payload);
    const row = await final(eventId, 'bot', 'skipped');
    assert.match(row.lastError ?? '', /fromMe/);
    assert.equal(wassenger.messages.length, before);
  });

  test('labels and contact metadata are written back to Wassenger', async () => {
    const { payload, eventId, messageId } = inbound('+15558880003', 'What is the price?');
    wassenger.labels.set(`${DEVICE}/15558880003@c.us`, ['NEW', 'vip']);
    await t.post(payload);
    const row = await final(eventId, 'ops', 'delivered');
    assert.deepEqual(wassenger.labels.get(`${DEVICE}/15558880003@c.us`), ['vip', 'lead', 'Marketing']);
    assert.deepEqual(wassenger.metadataOf(DEVICE, '15558880003@c.us'), {
      LAST_TOPIC: 'pricing',
      LAST_MESSAGE_ID: messageId,
    });
    assert.match(row.ref ?? '', /labels \+lead,Marketing; labels -NEW; metadata LAST_TOPIC,LAST_MESSAGE_ID/);
  });
});
