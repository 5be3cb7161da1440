import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoutedEvent } from '../../../src/domain/event.ts';
import { compileRegex, compileWhen, type WhenDocument } from '../../../src/rules/index.ts';

/** A message:in:new from a VIP contact in a one-to-one chat, as the normalizer would build it. */
const vip: RoutedEvent = {
  id: 'message:in:new:61b37a069cba0c15d6c81000:3EB0C767D26A1D8A0E52',
  event: 'message:in:new',
  receivedAt: '2024-05-01T10:15:30.000Z',
  device: { id: '61b37a069cba0c15d6c81000', phone: '+34600000001', alias: 'support' },
  chat: { id: '34600111222@c.us', type: 'user', name: 'Ana García', labels: ['vip', 'sales-es'] },
  contact: {
    wid: '34600111222@c.us',
    phone: '+34600111222',
    name: 'Ana García',
    metadata: { TIER: 'vip', CRM_CUSTOMER_ID: '12345' },
  },
  message: {
    id: '3EB0C767D26A1D8A0E52',
    type: 'chat',
    body: 'Hello,\nI need an URGENT refund for order 991',
    fromMe: false,
    from: '34600111222@c.us',
    to: '34600000001@c.us',
    quoted: { id: '3EB0AAAA', type: 'chat', body: 'Your order has shipped' },
  },
  data: {
    id: '3EB0C767D26A1D8A0E52',
    type: 'chat',
    flow: 'inbound',
    timestamp: 1714558530,
    stats: { retries: 0, notes: 2 },
    forwarded: null,
    mentions: [{ wid: '34600000001@c.us', name: 'Support' }],
    scores: [3, 9],
  },
};

/** A message in a group: no contact, an author, no labels, a media message without body. */
const group: RoutedEvent = {
  id: 'message:in:new:61b37a069cba0c15d6c81000:3EB0FFFF',
  event: 'message:in:new',
  receivedAt: '2024-05-02T08:00:00.000Z',
  device: { id: '61b37a069cba0c15d6c81000', phone: '+34600000001' },
  chat: { id: '120363025246125244@g.us', type: 'group', name: 'Team', labels: [] },
  message: {
    id: '3EB0FFFF',
    type: 'image',
    fromMe: false,
    author: '34600333444@c.us',
    media: { id: 'm1', type: 'image', mime: 'image/jpeg', size: 48211 },
  },
  data: { id: '3EB0FFFF', type: 'image', flow: 'inbound', timestamp: 1714636800 },
};

/** An ack of an outbound message: no chat, no contact. */
const ack: RoutedEvent = {
  id: 'message:out:ack:61b37a069cba0c15d6c81000:3EB0ACK:read',
  event: 'message:out:ack',
  receivedAt: '2024-05-01T10:16:00.000Z',
  device: { id: '61b37a069cba0c15d6c81000' },
  message: { id: '3EB0ACK', type: 'chat', body: 'Refund issued', fromMe: true, ack: 'read' },
  data: { id: '3EB0ACK', ack: 'read' },
};

type Row = readonly [
  title: string,
  when: WhenDocument,
  expected: readonly [vip: boolean, group: boolean, ack: boolean],
];

function check(rows: readonly Row[]): void {
  for (const [title, when, [onVip, onGroup, onAck]] of rows) {
    it(title, () => {
      const match = compileWhen(when);
      assert.deepEqual([match(vip), match(group), match(ack)], [onVip, onGroup, onAck]);
    });
  }
}

describe('compileWhen: literals', () => {
  check([
    ['string equals', { event: 'message:in:new' }, [true, true, false]],
    ['nested path equals', { 'contact.metadata.TIER': 'vip' }, [true, false, false]],
    ['boolean equals', { 'message.fromMe': true }, [false, false, true]],
    ['number equals', { 'data.stats.retries': 0 }, [true, false, false]],
    ['no coercion between number and string', { 'contact.metadata.CRM_CUSTOMER_ID': 12345 }, [false, false, false]],
    ['entries are ANDed', { event: 'message:in:new', 'chat.type': 'group' }, [false, true, false]],
    ['a literal matches an array that contains it', { 'chat.labels': 'vip' }, [true, false, false]],
    ['a number matches an array that contains it', { 'data.scores': 9 }, [true, false, false]],
    ['an array literal means deep equality', { 'chat.labels': ['vip', 'sales-es'] }, [true, false, false]],
    ['deep equality is ordered', { 'chat.labels': ['sales-es', 'vip'] }, [false, false, false]],
    ['deep equality needs every element', { 'chat.labels': ['vip'] }, [false, false, false]],
    ['empty array literal equals an empty array', { 'chat.labels': [] }, [false, true, false]],
    ['null matches a missing path', { 'message.ack': null }, [true, true, false]],
    ['null matches a null value', { 'data.forwarded': null }, [true, true, true]],
    ['null does not match a present value', { 'message.body': null }, [false, true, false]],
    [
      'nested mapping is shorthand for dotted paths',
      { device: { id: '61b37a069cba0c15d6c81000', alias: 'support' } },
      [true, false, false],
    ],
    ['nested mapping under a missing object', { contact: { metadata: { TIER: 'vip' } } }, [true, false, false]],
    [
      'nested mapping mixes with dotted keys',
      { message: { 'quoted.type': 'chat', fromMe: false } },
      [true, false, false],
    ],
  ]);
});

describe('compileWhen: operators', () => {
  check([
    ['$eq scalar', { 'chat.type': { $eq: 'user' } }, [true, false, false]],
    [
      '$eq mapping is deep and key-order free',
      { 'data.stats': { $eq: { notes: 2, retries: 0 } } },
      [true, false, false],
    ],
    ['$eq mapping needs the same keys', { 'data.stats': { $eq: { retries: 0 } } }, [false, false, false]],
    [
      '$eq mapping matches an array element',
      { 'data.mentions': { $eq: { name: 'Support', wid: '34600000001@c.us' } } },
      [true, false, false],
    ],
    ['$ne', { 'chat.type': { $ne: 'group' } }, [true, false, true]],
    ['$ne on an array means no element equals', { 'chat.labels': { $ne: 'vip' } }, [false, true, true]],
    ['$ne null means present', { 'message.body': { $ne: null } }, [true, false, true]],
    ['$in', { 'message.type': { $in: ['image', 'video'] } }, [false, true, false]],
    ['$in against an array', { 'chat.labels': { $in: ['gold', 'vip'] } }, [true, false, false]],
    ['$in with null matches missing', { 'contact.name': { $in: [null, 'Bob'] } }, [false, true, true]],
    ['$in is typed', { 'data.timestamp': { $in: ['1714558530'] } }, [false, false, false]],
    ['$in with an array literal', { 'chat.labels': { $in: [['vip', 'sales-es'], 'x'] } }, [true, false, false]],
    ['$in empty never matches', { event: { $in: [] } }, [false, false, false]],
    ['$nin', { 'message.type': { $nin: ['image', 'video'] } }, [true, false, true]],
    ['$nin against an array', { 'chat.labels': { $nin: ['spam', 'vip'] } }, [false, true, true]],
    ['$exists true', { 'message.author': { $exists: true } }, [false, true, false]],
    ['$exists true on a null value', { 'data.forwarded': { $exists: true } }, [true, false, false]],
    ['$exists false', { contact: { $exists: false } }, [false, true, true]],
    ['$regex', { 'message.body': { $regex: 'refund|urgent' } }, [true, false, false]],
    ['$regex is case-sensitive by default', { 'message.body': { $regex: 'Refund' } }, [false, false, true]],
    ['$regex (?i)', { 'message.body': { $regex: '(?i)refund|urgent' } }, [true, false, true]],
    ['$regex (?is) lets . cross lines', { 'message.body': { $regex: '(?is)^hello.+URGENT' } }, [true, false, false]],
    [
      '$regex without s does not cross lines',
      { 'message.body': { $regex: '(?i)^hello.+URGENT' } },
      [false, false, false],
    ],
    ['$regex (?m) anchors lines', { 'message.body': { $regex: '(?m)^I need' } }, [true, false, false]],
    ['$regex against an array matches an element', { 'chat.labels': { $regex: '^sales-' } }, [true, false, false]],
    ['$regex on a number is false', { 'data.timestamp': { $regex: '^17' } }, [false, false, false]],
    ['$gt number', { 'data.timestamp': { $gt: 1714600000 } }, [false, true, false]],
    ['$gte number (boundary)', { 'data.timestamp': { $gte: 1714558530 } }, [true, true, false]],
    ['$lt number', { 'message.media.size': { $lt: 50000 } }, [false, true, false]],
    ['$lte number (boundary)', { 'message.media.size': { $lte: 48211 } }, [false, true, false]],
    ['$gte ISO date string', { receivedAt: { $gte: '2024-05-01T10:16:00.000Z' } }, [false, true, true]],
    ['$lt ISO date string', { receivedAt: { $lt: '2024-05-02' } }, [true, false, true]],
    ['comparisons never mix types', { 'data.timestamp': { $gt: '1' } }, [false, false, false]],
    ['comparison against an array matches an element', { 'data.scores': { $gt: 5 } }, [true, false, false]],
    ['$contains substring', { 'message.body': { $contains: 'refund' } }, [true, false, false]],
    ['$contains array element', { 'chat.labels': { $contains: 'vip' } }, [true, false, false]],
    ['$contains array element is not a substring', { 'chat.labels': { $contains: 'sales' } }, [false, false, false]],
    [
      '$contains mapping element',
      { 'data.mentions': { $contains: { wid: '34600000001@c.us', name: 'Support' } } },
      [true, false, false],
    ],
    ['$contains a number in a string is false', { 'message.body': { $contains: 991 } }, [false, false, false]],
    ['$startsWith', { 'contact.phone': { $startsWith: '+34' } }, [true, false, false]],
    ['$startsWith against an array', { 'chat.labels': { $startsWith: 'sales' } }, [true, false, false]],
    [
      'several operators are ANDed',
      { 'device.phone': { $startsWith: '+34', $ne: '+34600000002', $exists: true } },
      [true, true, false],
    ],
    ['$not under a path', { 'message.body': { $not: { $regex: '(?i)refund' } } }, [false, true, false]],
    [
      '$not under a path with several operators',
      { 'data.timestamp': { $not: { $gt: 1714500000, $lt: 1714600000 } } },
      [false, true, true],
    ],
  ]);
});

describe('compileWhen: missing paths', () => {
  const missing = 'contact.name'; // absent on the group message and the ack
  check([
    ['$exists false matches', { [missing]: { $exists: false } }, [false, true, true]],
    ['$ne matches', { [missing]: { $ne: 'Ana García' } }, [false, true, true]],
    ['$nin matches', { [missing]: { $nin: ['Ana García'] } }, [false, true, true]],
    ['$not matches', { [missing]: { $not: { $regex: 'Ana' } } }, [false, true, true]],
    ['$eq does not', { [missing]: { $eq: 'x' } }, [false, false, false]],
    ['$in does not', { [missing]: { $in: ['x', 'Ana García'] } }, [true, false, false]],
    ['$regex does not', { [missing]: { $regex: '.*' } }, [true, false, false]],
    ['$gt does not', { [missing]: { $gt: '' } }, [true, false, false]],
    ['$contains does not', { [missing]: { $contains: '' } }, [true, false, false]],
    ['$startsWith does not', { [missing]: { $startsWith: '' } }, [true, false, false]],
    ['$exists true does not', { [missing]: { $exists: true } }, [true, false, false]],
    ['a path below a missing object', { 'chat.name': { $exists: false } }, [false, false, true]],
    ['a path below a string is missing', { 'message.body.length': { $exists: false } }, [true, true, true]],
  ]);
});

describe('compileWhen: $and, $or, $not', () => {
  check([
    ['$and', { $and: [{ event: 'message:in:new' }, { 'chat.type': 'user' }] }, [true, false, false]],
    ['$or', { $or: [{ 'chat.type': 'group' }, { 'message.ack': 'read' }] }, [false, true, true]],
    ['$not at document level', { $not: { event: 'message:in:new' } }, [false, false, true]],
    [
      '$not of several entries negates their AND',
      { $not: { event: 'message:in:new', 'chat.type': 'user' } },
      [false, true, true],
    ],
    [
      '$or inside $and',
      {
        $and: [
          { event: { $in: ['message:in:new'] } },
          { $or: [{ 'chat.labels': 'vip' }, { 'message.type': 'image' }] },
        ],
      },
      [true, true, false],
    ],
    [
      '$and inside $or inside $not',
      { $not: { $or: [{ $and: [{ 'message.fromMe': true }, { 'message.ack': 'read' }] }, { 'chat.type': 'group' }] } },
      [true, false, false],
    ],
    [
      'logical operators AND with sibling paths',
      { event: 'message:in:new', $or: [{ 'chat.type': 'user' }, { 'chat.type': 'channel' }] },
      [true, false, false],
    ],
    [
      'the vip-to-slack route of DESIGN.md',
      {
        event: { $in: ['message:in:new'] },
        'contact.metadata.TIER': 'vip',
        'message.body': { $regex: '(?i)refund|urgent' },
      },
      [true, false, false],
    ],
  ]);
});

describe('compileWhen: edge cases', () => {
  it('an empty or absent when matches every event', () => {
    for (const when of [{}, undefined]) {
      const match = compileWhen(when);
      assert.deepEqual([match(vip), match(group), match(ack)], [true, true, true]);
    }
  });

  it('reads own properties only, never the prototype chain', () => {
    for (const path of [
      'data.constructor',
      'data.__proto__',
      'data.toString',
      'data.hasOwnProperty',
      'message.constructor.name',
      'chat.labels.map',
    ]) {
      assert.equal(compileWhen({ [path]: { $exists: true } })(vip), false, path);
      assert.equal(compileWhen({ [path]: { $exists: false } })(vip), true, path);
    }
  });

  it('reads an own "__proto__" key of parsed JSON as data, not the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Record<string, unknown>;
    const event: RoutedEvent = { ...vip, data: parsed };
    assert.equal(compileWhen({ 'data.__proto__.polluted': 'yes' })(event), true);
    assert.equal(compileWhen({ 'data.polluted': { $exists: true } })(event), false);
  });

  it('indexes arrays with numeric segments', () => {
    assert.equal(compileWhen({ 'chat.labels.0': 'vip' })(vip), true);
    assert.equal(compileWhen({ 'data.mentions.0.name': 'Support' })(vip), true);
    assert.equal(compileWhen({ 'chat.labels.2': { $exists: true } })(vip), false);
  });

  it('gives the same answer every time (regexes carry no state)', () => {
    const match = compileWhen({ 'message.body': { $regex: '(?i)refund' } });
    assert.deepEqual([match(vip), match(vip), match(vip)], [true, true, true]);
  });

  it('does not read the when document again after compiling', () => {
    const list: string[] = ['vip'];
    const when = { 'chat.labels': { $in: list } };
    const match = compileWhen(when);
    list.length = 0;
    assert.equal(match(vip), true);
  });

  it('throws on a document the schema would refuse, with the message of the validator', () => {
    assert.throws(() => compileWhen({ 'message.body': { $regex: '(' } }), {
      name: 'TypeError',
      message: 'invalid when filter at when.message.body.$regex: invalid regular expression "(": Unterminated group',
    });
    assert.throws(
      () => compileWhen({ 'message.body': { $regx: 'a' } } as unknown as WhenDocument),
      /unknown operator "\$regx"/,
    );
    assert.throws(() => compileWhen({ $or: [] }), /non-empty list/);
    assert.throws(() => compileWhen({ 'message.body': { $in: 'a' } } as unknown as WhenDocument), /expects a list/);
  });
});

describe('compileRegex', () => {
  const rows: readonly [pattern: string, source: string, flags: string][] = [
    ['refund', 'refund', ''],
    ['(?i)refund|urgent', 'refund|urgent', 'i'],
    ['(?is)a.b', 'a.b', 'is'],
    ['(?sim)x', 'x', 'ims'],
    ['(?ii)x', 'x', 'i'],
    ['(?:a|b)c', '(?:a|b)c', ''],
    ['(?<year>\\d{4})', '(?<year>\\d{4})', ''],
  ];
  for (const [pattern, source, flags] of rows) {
    it(`${pattern} → /${source}/${flags}`, () => {
      const regex = compileRegex(pattern);
      assert.equal(regex.source, source);
      assert.equal(regex.flags, flags);
    });
  }

  it('refuses flags JavaScript cannot honour, and says why a pattern is invalid', () => {
    assert.throws(() => compileRegex('(?x)a b'), {
      message: 'unsupported inline flag "x" in "(?x)" (supported: i, m, s)',
    });
    assert.throws(() => compileRegex('(?-i)a'), {
      message: 'unsupported inline flag "-" in "(?-i)" (supported: i, m, s)',
    });
    assert.throws(() => compileRegex('('), { message: 'Unterminated group' });
    assert.throws(() => compileRegex('(?i)[z-a]'), { message: 'Range out of order in character class' });
  });
});
