import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventKey } from '../../../src/wassenger/keys.ts';
import { normalizeItem } from '../../../src/wassenger/normalize.ts';
import { parseWebhookBody, type WebhookItem } from '../../../src/wassenger/payload.ts';

const FIXTURES = new URL('../../fixtures/wassenger/', import.meta.url);

function raw(name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
}

/** The items of a body, checked as the router checks them. */
function items(body: unknown): WebhookItem[] {
  const result = parseWebhookBody(body);
  assert.ok(result.ok, JSON.stringify(result));
  return result.items;
}

function keyOf(body: unknown): string {
  const [item, ...rest] = items(body);
  assert.equal(rest.length, 0);
  return eventKey(item!);
}

function fixture(name: string): any {
  return JSON.parse(raw(name));
}

const ALL = [
  'message-in-new',
  'message-out-new',
  'message-out-ack',
  'message-out-failed',
  'message-in-new-group',
  'message-in-new-image',
  'message-in-new-poll',
  'message-in-new-list',
  'message-in-new-location',
  'message-reaction',
  'message-update-edit',
  'group-update-participants-added',
  'channel-in',
  'status-update',
  'chat-update',
  'contact-update',
];

describe('eventKey', () => {
  it('is evt_ and 32 hex chars, the same for a redelivered webhook, and different across fixtures', () => {
    const keys = new Set<string>();
    for (const name of ALL) {
      for (const [index, item] of items(JSON.parse(raw(name))).entries()) {
        const key = eventKey(item);
        assert.match(key, /^evt_[0-9a-f]{32}$/);
        const again = items(JSON.parse(raw(name)))[index]!;
        assert.equal(eventKey(again), key, `${name} redelivered`);
        keys.add(key);
      }
    }
    assert.equal(keys.size, ALL.length);
  });

  it('is the id of the normalized event', () => {
    const [item] = items(fixture('message-in-new'));
    assert.equal(normalizeItem(item!, new Date()).id, eventKey(item!));
  });

  it('gives each ack status of one message its own key', () => {
    const read = fixture('message-out-ack');
    const delivered = fixture('message-out-ack');
    delivered.ack = 'delivered';
    delivered.data.ack = 'delivered';
    assert.equal(read.data.id, delivered.data.id);
    assert.notEqual(keyOf(read), keyOf(delivered));

    const played = fixture('message-out-ack');
    played.ack = 'played';
    assert.notEqual(keyOf(played), keyOf(read), 'the envelope ack is the status the event reports');
  });

  it('reads the ack from data when the envelope has none', () => {
    const a = fixture('message-out-ack');
    delete a.ack;
    const b = fixture('message-out-ack');
    delete b.ack;
    b.data.ack = 'delivered';
    assert.notEqual(keyOf(a), keyOf(b));
    assert.equal(
      keyOf(a),
      keyOf(fixture('message-out-ack')),
      'top-level "read" and data.ack "read" are the same status',
    );
  });

  it('keys new messages on their id, so fields Wassenger refreshes on retries do not matter', () => {
    const first = fixture('message-in-new');
    const retried = fixture('message-in-new');
    retried.created += 15;
    retried.data.webhook = { status: 'pending', webhookSyncedAt: '2022-08-23T08:41:02.000Z' };
    retried.data.chat.labels.push('retried');
    assert.equal(keyOf(first), keyOf(retried));
  });

  it('separates events, devices and ids that share parts', () => {
    const inbound = fixture('message-in-new');
    const outbound = fixture('message-in-new');
    outbound.event = 'message:out:new';
    assert.notEqual(keyOf(inbound), keyOf(outbound));

    const otherDevice = fixture('message-in-new');
    otherDevice.device.id = 'another-device';
    assert.notEqual(keyOf(inbound), keyOf(otherDevice), 'one group message seen by two of our numbers is two events');

    // With a naive ":" join, device "a:b" + id "c" and device "a" + id "b:c" would collide.
    const joinedLeft = { event: 'message:in:new', device: { id: 'a:b' }, data: { id: 'c' } };
    const joinedRight = { event: 'message:in:new', device: { id: 'a' }, data: { id: 'b:c' } };
    assert.notEqual(keyOf(joinedLeft), keyOf(joinedRight));
  });

  it('keys updates on their content: two edits or votes of one message are two events', () => {
    const edit = fixture('message-update-edit');
    const secondEdit = fixture('message-update-edit');
    secondEdit.data.body = 'See you at 17:00';
    assert.equal(edit.data.id, secondEdit.data.id);
    assert.notEqual(keyOf(edit), keyOf(secondEdit));
    assert.equal(keyOf(edit), keyOf(fixture('message-update-edit')));

    const resolved = fixture('chat-update');
    const reopened = fixture('chat-update');
    reopened.data.status = 'active';
    assert.notEqual(keyOf(resolved), keyOf(reopened));

    const added = fixture('message-reaction');
    const removed = fixture('message-reaction');
    removed.data.reaction = { emoji: '', message: added.data.reaction.message, removed: true };
    assert.notEqual(keyOf(added), keyOf(removed));
  });

  it('hashes the content of items with no id at all', () => {
    const a = { event: 'number:session', device: { id: 'd1' }, data: { status: 'online' } };
    const b = { event: 'number:session', device: { id: 'd1' }, data: { status: 'offline' } };
    assert.equal(keyOf(a), keyOf(structuredClone(a)));
    assert.notEqual(keyOf(a), keyOf(b));
    assert.notEqual(keyOf(a), keyOf({ ...a, device: { id: 'd2' } }));
  });

  it('keys array items on data.id, else entityId, with the device from data.device', () => {
    const body = fixture('message-out-failed');
    const twin = structuredClone(body[0]);
    twin.data.id = 'another-queue-id';
    twin.entityId = 'another-queue-id';
    body.push(twin);
    const [first, second] = items(body);
    assert.notEqual(eventKey(first!), eventKey(second!));

    const refreshed = fixture('message-out-failed');
    refreshed[0].data.device.stats.minutes.sent = 99;
    assert.equal(keyOf(refreshed), eventKey(first!), 'device stats change between retries; the key must not');

    const byEntity = (entityId: string) => [
      { event: 'message:out:failed', entityId, data: { phone: '+1', device: { id: 'd1' } } },
    ];
    assert.equal(keyOf(byEntity('e1')), keyOf(byEntity('e1')));
    assert.notEqual(keyOf(byEntity('e1')), keyOf(byEntity('e2')));
    const otherDevice = [{ event: 'message:out:failed', entityId: 'e1', data: { phone: '+1', device: { id: 'd2' } } }];
    assert.notEqual(keyOf(byEntity('e1')), keyOf(otherDevice));
  });
});
