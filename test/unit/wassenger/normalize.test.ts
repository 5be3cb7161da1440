import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { RoutedEvent } from '../../../src/domain/event.ts';
import { eventKey } from '../../../src/wassenger/keys.ts';
import {
  chatTypeOf,
  metadataOf,
  normalizeItem,
  phoneToWid,
  withoutCredentials,
} from '../../../src/wassenger/normalize.ts';
import { parseWebhookBody } from '../../../src/wassenger/payload.ts';

const FIXTURES = new URL('../../fixtures/wassenger/', import.meta.url);
const RECEIVED_AT = new Date('2025-03-04T10:15:03.250Z');

function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
}

/** Check and normalize a body as the router does; every item must pass. */
function normalizeBody(body: unknown): RoutedEvent[] {
  const result = parseWebhookBody(body);
  assert.ok(result.ok, JSON.stringify(result));
  return result.items.map((item) => normalizeItem(item, RECEIVED_AT));
}

function only(body: unknown): RoutedEvent {
  const events = normalizeBody(body);
  assert.equal(events.length, 1);
  return events[0]!;
}

function normalizeFixture(name: string): RoutedEvent {
  return only(fixture(name));
}

/** Fields built by the normalizer never hold `undefined`: absent means absent. */
function assertNoUndefined(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    assert.notEqual(inner, undefined, `${path}.${key} is undefined`);
    assertNoUndefined(inner, `${path}.${key}`);
  }
}

describe('normalizeItem: seed samples', () => {
  it('message:in:new (the 4.2 KB sample)', () => {
    const body = fixture('message-in-new');
    const event = only(body);
    assert.equal(event.id, eventKey(body));
    assert.equal(event.event, 'message:in:new');
    assert.equal(event.receivedAt, '2025-03-04T10:15:03.250Z');
    assert.deepEqual(event.device, { id: '61b37a069cba0c15d', phone: '+1234567890', alias: 'Marketing' });
    assert.deepEqual(event.chat, {
      id: '1234567890@c.us',
      type: 'user',
      name: 'Bob A.',
      labels: ['7', 'NEW', 'label'],
    });
    assert.deepEqual(event.contact, {
      wid: '12345678909@c.us',
      phone: '+12345678909',
      name: 'Bob A.',
      metadata: { CRM_CUSTOMER_ID: 'a1c46535', CRM_LINK: 'https://crm.company.com/customers/a1c465355' },
    });
    assert.equal(event.contact?.metadata['CRM_CUSTOMER_ID'], 'a1c46535');
    assert.deepEqual(event.message, {
      id: 'D94B1A12EC4E83F5F4CC71EC2B1E',
      type: 'text',
      body: 'Hello',
      fromMe: false,
      ack: 'delivered',
      from: '13245635780@c.us',
      to: '1234567890@c.us',
    });
    assert.equal(event.data, body.data, 'data is the original object');
    assert.deepEqual(event.data, fixture('message-in-new').data, 'data is untouched');
    assertNoUndefined(event, 'event');
  });

  it('message:out:new', () => {
    const event = normalizeFixture('message-out-new');
    assert.equal(event.event, 'message:out:new');
    assert.equal(event.device.id, '61b37a069cba0c15d6c8');
    assert.equal(event.chat?.id, '1235475685@c.us');
    assert.equal(event.chat?.type, 'user');
    assert.equal(event.contact?.wid, '13245635780@c.us');
    assert.equal(event.contact?.metadata['CRM_CUSTOMER_ID'], 'a1c46535');
    assert.equal(event.message?.fromMe, true);
    assert.equal(event.message?.body, 'Hello there!');
    assert.equal(event.message?.ack, 'read');
    assert.equal(event.message?.to, '13245635780@c.us');
  });

  it('message:out:ack', () => {
    const event = normalizeFixture('message-out-ack');
    assert.equal(event.event, 'message:out:ack');
    assert.equal(event.message?.id, '048E55811DB6AC1B97FC8614C2FF90EB');
    assert.equal(event.message?.ack, 'read');
    assert.equal(event.message?.fromMe, true);
    assert.equal(event.message?.body, 'Hello There!');
    assert.equal(event.chat?.id, '12345678909@c.us');
    assert.equal(event.contact?.metadata['CRM_CUSTOMER_ID'], 'a1c465355');
  });

  it('message:out:failed (array envelope, outbound queue entity)', () => {
    const body = fixture('message-out-failed');
    const event = only(body);
    assert.equal(event.event, 'message:out:failed');
    assert.deepEqual(event.device, {
      id: '3bf5d1ff2ff2bd00169',
      phone: '+12345678909',
      alias: 'My WA Delivery Device',
    });
    assert.deepEqual(event.chat, { id: '12345678909@c.us', type: 'user', labels: [] });
    assert.deepEqual(event.contact, { wid: '12345678909@c.us', phone: '+12345678909', metadata: {} });
    assert.deepEqual(event.message, {
      id: '5bf612faa893b00016c',
      type: 'text',
      body: 'This is an automated message sent from the API',
      fromMe: true,
      ack: 'failed',
      to: '12345678909@c.us',
    });
    assert.equal(event.data, body[0].data);
    assertNoUndefined(event, 'event');
  });

  it('splits an array into one event per item', () => {
    const body = fixture('message-out-failed');
    body.push({
      event: 'message:out:failed',
      date: '2018-12-08T15:01:49.000Z',
      entity: 'message',
      entityId: '5bf612faa893b00016c0f13e',
      data: {
        id: '5bf612faa893b00016c0f13e',
        group: '120363041234567890@g.us',
        message: 'Team update',
        status: 'failed',
        reference: 'bot:router',
        device: { id: '3bf5d1ff2ff2bd00169' },
      },
    });
    const [first, second] = normalizeBody(body);
    assert.notEqual(first!.id, second!.id);
    assert.deepEqual(second!.chat, { id: '120363041234567890@g.us', type: 'group', labels: [] });
    assert.equal(second!.contact, undefined);
    assert.equal(second!.message?.body, 'Team update');
    assert.equal(second!.message?.reference, 'bot:router');
    assert.equal(second!.message?.ack, 'failed');
    assert.deepEqual(second!.device, { id: '3bf5d1ff2ff2bd00169' });
  });
});

describe('normalizeItem: constructed fixtures', () => {
  it('group message: group chat, author, sender as contact, quoted', () => {
    const event = normalizeFixture('message-in-new-group');
    assert.deepEqual(event.chat, { id: '120363041234567890@g.us', type: 'group', name: 'Acme Ops', labels: ['ops'] });
    assert.equal(event.message?.author, '34611222333@c.us');
    assert.equal(event.message?.from, '120363041234567890@g.us');
    assert.equal(event.message?.fromMe, false);
    assert.equal(event.message?.body, 'Done, the refund went out this morning');
    assert.deepEqual(event.message?.quoted, {
      id: '3EB0F00DBABE12345678',
      type: 'text',
      body: 'Did anyone process the refund for order 1182?',
    });
    assert.deepEqual(event.contact, { wid: '34611222333@c.us', phone: '+34611222333', name: 'Carla', metadata: {} });
  });

  it('image: media fields, caption as body when there is no body', () => {
    const event = normalizeFixture('message-in-new-image');
    assert.equal(event.message?.type, 'image');
    assert.equal(event.message?.body, 'Invoice photo, please check the total');
    assert.deepEqual(event.message?.media, {
      id: '67c6d2a1f0e1d2c3b4a59687',
      type: 'image',
      mime: 'image/jpeg',
      size: 183204,
      filename: '3EB0C0FFEE1234567890AB.jpg',
      caption: 'Invoice photo, please check the total',
      expiresAt: '2025-03-11T10:15:04.311Z',
      download: '/v1/chat/65f1c0ffee0123456789abcd/files/67c6d2a1f0e1d2c3b4a59687/download',
    });
    assert.equal(event.contact?.metadata['TIER'], 'vip');
    assert.equal(event.contact?.name, 'Ana García', 'name null falls back to displayName');
  });

  it('poll with body null, list and location with no body: body stays absent', () => {
    for (const [name, type] of [
      ['message-in-new-poll', 'poll'],
      ['message-in-new-list', 'list'],
      ['message-in-new-location', 'location'],
    ]) {
      const event = normalizeFixture(name!);
      assert.equal(event.message?.type, type);
      assert.equal(event.message?.id, fixture(name!).data.id);
      assert.equal(Object.hasOwn(event.message!, 'body'), false, `${name} has no body`);
      assert.equal(event.message?.fromMe, false);
      assert.equal(event.chat?.type, 'user');
    }
  });

  it('message:reaction', () => {
    const event = normalizeFixture('message-reaction');
    assert.equal(event.event, 'message:reaction');
    assert.equal(event.message?.id, '3EB0EAC7104E12345678');
    assert.equal(event.message?.type, 'reaction');
    assert.equal(event.message?.fromMe, false);
    assert.equal(event.message?.body, undefined);
    assert.equal(event.chat?.id, '34600111222@c.us');
    assert.equal((event.data['reaction'] as { emoji: string }).emoji, '👍');
  });

  it('message:update (edit)', () => {
    const event = normalizeFixture('message-update-edit');
    assert.equal(event.message?.id, '3EB0ED17ED17ED17ED17');
    assert.equal(event.message?.body, 'See you at 16:30 (not 16:00)');
    assert.equal(event.contact?.metadata['CRM_CUSTOMER_ID'], 'c-88213');
  });

  it('group:update: the group chat, no message', () => {
    const event = normalizeFixture('group-update-participants-added');
    assert.deepEqual(event.chat, { id: '120363041234567890@g.us', type: 'group', name: 'Acme Ops', labels: ['ops'] });
    assert.equal(event.message, undefined);
    assert.equal(event.contact, undefined);
    assert.deepEqual(event.data['participants'], ['34622333444@c.us', '34633444555@c.us']);
  });

  it('channel:in: channel chat, no contact', () => {
    const event = normalizeFixture('channel-in');
    assert.deepEqual(event.chat, {
      id: '120363198765432100@newsletter',
      type: 'channel',
      name: 'Acme Product News',
      labels: [],
    });
    assert.equal(event.contact, undefined);
    assert.equal(event.message?.fromMe, false);
    assert.equal(event.message?.body, 'New release 4.2 is out: faster media downloads.');
  });

  it('status:update', () => {
    const event = normalizeFixture('status-update');
    assert.equal(event.chat?.id, '34600111222@c.us');
    assert.equal(event.message?.to, 'status@broadcast');
    assert.equal(event.message?.type, 'image');
    assert.equal(event.message?.body, 'Opening our new store today!');
    assert.equal(
      event.message?.media?.download,
      '/v1/chat/65f1c0ffee0123456789abcd/files/67c6e0aa0f0e0d0c0b0a0908/download',
    );
  });

  it('chat:update: data is the chat itself', () => {
    const event = normalizeFixture('chat-update');
    assert.deepEqual(event.chat, {
      id: '34600111222@c.us',
      type: 'user',
      name: 'Ana García',
      labels: ['vip', 'resolved'],
    });
    assert.equal(event.contact?.metadata['TIER'], 'vip');
    assert.equal(event.message, undefined);
  });

  it('chat:update carrying the chat in data.chat', () => {
    const event = only({
      event: 'chat:update',
      device: { id: 'd1' },
      data: {
        id: 'upd-1',
        status: 'resolved',
        chat: { id: '120363041234567890@g.us', type: 'group', labels: ['ops'] },
      },
    });
    assert.deepEqual(event.chat, { id: '120363041234567890@g.us', type: 'group', labels: ['ops'] });
    const noChat = only({ event: 'group:update', device: { id: 'd1' }, data: { id: '3EB0NOTACHAT', action: 'add' } });
    assert.equal(noChat.chat, undefined, 'an update id that is not a WhatsApp id is not a chat');
  });

  it('contact:update: data is the contact; metadata rules', () => {
    const event = normalizeFixture('contact-update');
    assert.deepEqual(event.contact, {
      wid: '34600111222@c.us',
      phone: '+34600111222',
      name: 'Ana García',
      metadata: { CRM_CUSTOMER_ID: 'c-88213', TIER: 'vip', LIFETIME_ORDERS: '17', NEWSLETTER: 'true' },
    });
    assert.equal(Object.hasOwn(event.contact!.metadata, 'CHURN_RISK'), false, 'null values are skipped');
    assert.deepEqual(event.chat, { id: '34600111222@c.us', type: 'user', labels: [] });
    assert.equal(event.message, undefined);
  });

  it('contact:update carrying the contact in data.contact', () => {
    const event = only({
      event: 'contact:update',
      device: { id: 'd1' },
      data: { contact: { phone: '+34 600 111 222', shortName: 'Ana', metadata: [] } },
    });
    assert.deepEqual(event.contact, { phone: '+34 600 111 222', name: 'Ana', metadata: {} });
    assert.deepEqual(event.chat, { id: '34600111222@c.us', type: 'user', labels: [] });
  });
});

describe('normalizeItem: rules', () => {
  it('never modifies the item', () => {
    for (const name of [
      'message-in-new',
      'message-out-failed',
      'contact-update',
      'chat-update',
      'message-in-new-group',
    ]) {
      const body = fixture(name);
      normalizeBody(body);
      assert.deepEqual(body, fixture(name), name);
    }
  });

  it('leaves no undefined fields in any fixture', () => {
    for (const name of [
      'message-in-new-group',
      'message-in-new-image',
      'message-reaction',
      'status-update',
      'chat-update',
      'contact-update',
      'channel-in',
    ]) {
      assertNoUndefined(normalizeFixture(name), name);
    }
  });

  it('derives fromMe from flow, data.fromMe or a message:out event', () => {
    const flow = fixture('message-reaction');
    flow.data.flow = 'outbound';
    assert.equal(only(flow).message?.fromMe, true);
    const explicit = fixture('message-reaction');
    delete explicit.data.flow;
    explicit.data.fromMe = true;
    assert.equal(only(explicit).message?.fromMe, true);
    const byEvent = fixture('message-out-new');
    delete byEvent.data.flow;
    assert.equal(only(byEvent).message?.fromMe, true);
  });

  it('takes the ack of message:out:ack from the envelope before data', () => {
    const body = fixture('message-out-ack');
    body.ack = 'played';
    assert.equal(only(body).message?.ack, 'played');
    delete body.ack;
    assert.equal(only(body).message?.ack, 'read');
  });

  it('body: non-empty body first, then caption; empty body without caption stays ""', () => {
    const both = fixture('message-in-new-image');
    both.data.body = 'the body';
    assert.equal(only(both).message?.body, 'the body');
    const empty = fixture('message-in-new-image');
    empty.data.body = '';
    assert.equal(only(empty).message?.body, 'Invoice photo, please check the total');
    const text = fixture('message-in-new');
    text.data.body = '';
    assert.equal(only(text).message?.body, '');
  });

  it('never puts a token-bearing URL in media.download', () => {
    const body = fixture('message-in-new-image');
    body.data.media.links.download = '/v1/chat/d1/files/f1/download?token=SECRETAPIKEY123&x=1#frag';
    assert.equal(only(body).message?.media?.download, '/v1/chat/d1/files/f1/download');
    body.data.media.links.download =
      'https://user:SECRETAPIKEY123@api.wassenger.com/v1/files/f1/download?apikey=SECRETAPIKEY123';
    const event = only(body);
    assert.equal(event.message?.media?.download, 'https://api.wassenger.com/v1/files/f1/download');
    const { data, ...normalized } = event;
    assert.doesNotMatch(JSON.stringify(normalized), /SECRETAPIKEY123/);
    assert.equal(withoutCredentials('/v1/files/f1/download'), '/v1/files/f1/download');
  });

  it('without data.chat, takes the conversation from `from` (inbound) or `to` (outbound) and the contact from the numbers', () => {
    const inbound = fixture('message-in-new-list');
    delete inbound.data.chat;
    const event = only(inbound);
    assert.deepEqual(event.chat, { id: '34600111222@c.us', type: 'user', labels: [] });
    assert.deepEqual(event.contact, { wid: '34600111222@c.us', phone: '+34600111222', name: 'Ana', metadata: {} });

    const outbound = fixture('message-out-new');
    delete outbound.data.chat;
    const sent = only(outbound);
    assert.deepEqual(sent.chat, { id: '13245635780@c.us', type: 'user', labels: [] });
    assert.deepEqual(sent.contact, { wid: '13245635780@c.us', phone: '+13245635780', metadata: {} });

    const group = fixture('message-in-new-group');
    delete group.data.chat;
    const inGroup = only(group);
    assert.deepEqual(inGroup.chat, { id: '120363041234567890@g.us', type: 'group', labels: [] });
    assert.equal(inGroup.contact?.wid, '34611222333@c.us');
  });

  it('never makes a @broadcast id the chat: a status falls back to its poster, a broadcast send has none', () => {
    const status = fixture('status-update');
    status.data.chat = { id: 'status@broadcast', type: 'chat' };
    const event = only(status);
    assert.deepEqual(event.chat, { id: '34600111222@c.us', type: 'user', labels: [] });
    assert.equal(event.message?.id, '3EB05747051234ABCDEF');

    const broadcast = fixture('message-out-new');
    broadcast.data.chat = { id: '1741083302@broadcast', type: 'chat' };
    broadcast.data.to = '1741083302@broadcast';
    assert.equal(only(broadcast).chat, undefined);
  });

  it('device id is empty when Wassenger sent none', () => {
    const body = fixture('message-in-new');
    delete body.device;
    assert.deepEqual(only(body).device, { id: '' });
  });

  it('reads unknown events best effort, never throwing', () => {
    const future = fixture('message-in-new');
    future.event = 'message:in:future';
    const event = only(future);
    assert.equal(event.event, 'message:in:future');
    assert.equal(event.message?.id, 'D94B1A12EC4E83F5F4CC71EC2B1E');
    assert.equal(event.contact?.metadata['CRM_CUSTOMER_ID'], 'a1c46535');

    const session = only({
      event: 'number:session',
      device: { id: 'd1', phone: '+1' },
      data: { id: 'd1', status: 'offline' },
    });
    assert.deepEqual(
      { ...session, id: undefined },
      {
        id: undefined,
        event: 'number:session',
        receivedAt: RECEIVED_AT.toISOString(),
        device: { id: 'd1', phone: '+1' },
        data: { id: 'd1', status: 'offline' },
      },
    );

    const odd = only({ event: 'odd:thing', data: { chat: 'not-an-object', body: 5, media: [] } });
    assert.deepEqual(Object.keys(odd).sort(), ['data', 'device', 'event', 'id', 'receivedAt']);
  });

  it('refuses an invalid receivedAt', () => {
    const result = parseWebhookBody(fixture('message-in-new'));
    assert.ok(result.ok);
    assert.throws(() => normalizeItem(result.items[0]!, new Date('nope')), RangeError);
  });
});

describe('helpers', () => {
  it('chatTypeOf', () => {
    const cases: [string, string | undefined, string | undefined][] = [
      ['34600111222@c.us', 'chat', 'user'],
      ['120363041234567890@g.us', 'group', 'group'],
      ['120363198765432100@newsletter', 'channel', 'channel'],
      ['120363198765432100@newsletter', 'chat', 'channel'],
      ['120363041234567890@g.us', undefined, 'group'],
      ['34600111222@c.us', undefined, 'user'],
      ['120363198765432100@newsletter', undefined, 'channel'],
      ['214836192638@lid', undefined, 'user'],
      ['120363041234567890@g.us', 'something-new', 'group'],
      ['status@broadcast', 'chat', undefined],
    ];
    for (const [id, type, expected] of cases) assert.equal(chatTypeOf(id, type), expected, `${id} ${type}`);
  });

  it('phoneToWid', () => {
    assert.equal(phoneToWid('+12345678909'), '12345678909@c.us');
    assert.equal(phoneToWid('+1 234-567'), '1234567@c.us');
    assert.equal(phoneToWid('12345678909@c.us'), '12345678909@c.us');
    assert.equal(phoneToWid('+'), undefined);
  });

  it('metadataOf: later duplicates win, values become text, null skipped', () => {
    assert.deepEqual(
      metadataOf([
        { key: 'A', value: '1' },
        { key: 'B', value: 2 },
        { key: 'A', value: '3' },
        { key: 'C', value: false },
        { key: 'A', value: null },
        { key: 'D' },
      ]),
      { A: '3', B: '2', C: 'false' },
    );
    assert.deepEqual(metadataOf(null), {});
  });
});
