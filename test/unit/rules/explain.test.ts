import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoutedEvent } from '../../../src/domain/event.ts';
import { compileWhen, explainWhen, type WhenDocument } from '../../../src/rules/index.ts';
import { fixtureEvents } from './fixtures.ts';

const fixtures = fixtureEvents();
/** Bob's "Hello", a text message:in:new in a one-to-one chat labelled 7, NEW, label. */
const hello = fixtures.get('message-in-new.json')![0]!;

function explain(when: WhenDocument | undefined, event: RoutedEvent = hello) {
  return explainWhen(compileWhen(when), event);
}

describe('explainWhen: the first condition that failed', () => {
  it('names the path, the operator, what was expected and what the event holds', () => {
    assert.deepEqual(explain({ event: 'message:in:new', 'message.body': { $regex: 'refund' } }), {
      path: 'message.body',
      operator: '$regex',
      expected: 'refund',
      actual: 'Hello',
      message: 'message.body: "Hello" does not match $regex "refund"',
    });
  });

  const sentences: readonly [title: string, when: WhenDocument, message: string][] = [
    ['a literal (shorthand for $eq)', { 'chat.type': 'group' }, 'chat.type: "user" does not equal "group"'],
    ['$eq', { 'chat.type': { $eq: 'group' } }, 'chat.type: "user" does not equal $eq "group"'],
    ['$ne', { 'message.type': { $ne: 'text' } }, 'message.type: "text" is excluded by $ne "text"'],
    [
      '$in',
      { event: { $in: ['message:out:new', 'message:out:ack'] } },
      'event: "message:in:new" is not in $in ["message:out:new","message:out:ack"]',
    ],
    [
      '$nin against a list',
      { 'chat.labels': { $nin: ['NEW'] } },
      'chat.labels: ["7","NEW","label"] is excluded by $nin ["NEW"]',
    ],
    [
      '$exists true on a missing path',
      { 'message.author': { $exists: true } },
      'message.author: missing fails $exists true',
    ],
    ['$exists false', { 'message.ack': { $exists: false } }, 'message.ack: "delivered" fails $exists false'],
    ['$gt', { receivedAt: { $gt: '2025' } }, 'receivedAt: "2024-05-01T10:00:00.000Z" is not $gt "2025"'],
    [
      '$contains',
      { 'message.body': { $contains: 'refund' } },
      'message.body: "Hello" does not satisfy $contains "refund"',
    ],
    [
      '$startsWith',
      { 'contact.phone': { $startsWith: '+34' } },
      'contact.phone: "+12345678909" does not satisfy $startsWith "+34"',
    ],
    [
      '$not under a path',
      { 'message.body': { $not: { $regex: '^H' } } },
      'message.body: "Hello" is excluded by $not {"$regex":"^H"}',
    ],
    [
      'a nested mapping reads as its dotted path',
      { contact: { metadata: { TIER: 'vip' } } },
      'contact.metadata.TIER: missing does not equal "vip"',
    ],
    [
      '$not at document level',
      { $not: { event: 'message:in:new' } },
      'the event matches $not {"event":"message:in:new"}',
    ],
    [
      '$or gives its first branch',
      { $or: [{ 'chat.type': 'group' }, { 'message.type': 'image' }] },
      'none of the 2 $or branches matches; the first fails: chat.type: "user" does not equal "group"',
    ],
  ];
  for (const [title, when, message] of sentences) {
    it(title, () => assert.equal(explain(when)?.message, message));
  }

  it('reports the first failure in the order the filter is written', () => {
    const when = { event: 'message:in:new', 'message.type': 'image', 'chat.type': 'group' };
    assert.equal(explain(when)?.path, 'message.type');
    const inAnd = { $and: [{ 'chat.type': 'user' }, { 'message.fromMe': true }, { 'chat.type': 'group' }] };
    assert.deepEqual(explain(inAnd), {
      path: 'message.fromMe',
      operator: '$eq',
      expected: true,
      actual: false,
      message: 'message.fromMe: false does not equal true',
    });
  });

  it('says "missing" for a path the event does not have, and keeps actual undefined', () => {
    const mismatch = explain({ 'message.quoted.body': { $contains: 'order' } });
    assert.equal(mismatch?.actual, undefined);
    assert.equal(mismatch?.message, 'message.quoted.body: missing does not satisfy $contains "order"');
  });

  it('shortens long values', () => {
    const long = { ...hello, message: { ...hello.message!, body: 'x'.repeat(500) } };
    const message = explain({ 'message.body': { $regex: 'refund' } }, long)!.message;
    assert.ok(message.length < 200, message);
    assert.match(message, /^message\.body: "x+… does not match \$regex "refund"$/);
  });

  it('returns nothing when the event matches, or when there is no filter', () => {
    assert.equal(
      explain({ event: 'message:in:new', 'chat.labels': 'NEW', 'message.body': { $regex: '(?i)^hel' } }),
      undefined,
    );
    assert.equal(explain({ $or: [{ 'chat.type': 'group' }, { 'message.type': 'text' }] }), undefined);
    assert.equal(explain({}), undefined);
    assert.equal(explain(undefined), undefined);
  });

  it('refuses a predicate compileWhen did not make', () => {
    assert.throws(() => explainWhen(() => false, hello), { name: 'TypeError', message: /not made by compileWhen/ });
  });
});

describe('explainWhen agrees with the predicate on every fixture', () => {
  const whens: readonly WhenDocument[] = [
    { event: 'message:in:new' },
    { event: { $in: ['message:in:new', 'message:out:new'] }, 'message.fromMe': false },
    { 'chat.type': { $ne: 'user' } },
    { 'chat.labels': 'vip' },
    { 'chat.labels': { $nin: ['vip', 'ops'] } },
    { 'contact.metadata.TIER': { $exists: true } },
    { 'contact.name': null },
    { 'message.body': { $regex: '(?i)release|hello', $not: { $startsWith: 'New' } } },
    { 'message.media': { $exists: false }, 'message.type': { $in: ['text', 'chat'] } },
    { receivedAt: { $gte: '2024-05-01', $lt: '2024-05-02' } },
    { 'data.timestamp': { $gt: 0 } },
    { $or: [{ 'chat.type': 'group' }, { 'contact.metadata.CRM_CUSTOMER_ID': { $contains: 'a1' } }] },
    { $not: { $or: [{ event: { $regex: '^message:' } }, { 'chat.type': 'channel' }] } },
    { $and: [{ device: { alias: 'Support' } }, { $not: { 'chat.labels': { $contains: 'ops' } } }] },
  ];
  for (const [file, events] of fixtures) {
    it(file, () => {
      for (const [index, when] of whens.entries()) {
        const match = compileWhen(when);
        for (const event of events) {
          const mismatch = explainWhen(match, event);
          assert.equal(mismatch === undefined, match(event), `when #${index}: ${mismatch?.message ?? 'matches'}`);
        }
      }
    });
  }

  it('the fixtures exercise both answers', () => {
    const answers = new Set(whens.flatMap((when) => [...fixtures.values()].flat().map(compileWhen(when))));
    assert.deepEqual([...answers].sort(), [false, true]);
  });
});
