import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { compileWhen, WhenSchema } from '../../../src/rules/index.ts';

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string };

function issuesOf(when: unknown): Issue[] {
  const result = WhenSchema.safeParse(when);
  return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }));
}

describe('WhenSchema: valid documents', () => {
  const valid: readonly [title: string, when: unknown][] = [
    ['empty', {}],
    [
      'the vip-to-slack route of DESIGN.md',
      {
        event: { $in: ['message:in:new'] },
        'contact.metadata.TIER': 'vip',
        'message.body': { $regex: '(?i)refund|urgent' },
      },
    ],
    [
      'every field operator',
      {
        event: { $eq: 'message:in:new', $ne: 'message:out:ack', $in: ['message:in:new'], $nin: [] },
        'message.body': {
          $exists: true,
          $regex: '(?is)^hi',
          $contains: 'refund',
          $startsWith: 'Hi',
          $not: { $regex: 'spam' },
        },
        receivedAt: { $gte: '2024-01-01', $lt: '2025-01-01' },
        'message.media.size': { $gt: 0, $lte: 1e7 },
      },
    ],
    [
      'logical operators, nested',
      { $and: [{ $or: [{ 'chat.type': 'user' }, { 'chat.type': 'group' }] }, { $not: { 'message.fromMe': true } }] },
    ],
    [
      'open paths',
      {
        'data.chat.owner.agent': 'a1',
        'contact.metadata.ANY_KEY': 'x',
        'message.quoted.whatever': 1,
        'message.media.links.download': { $exists: true },
      },
    ],
    [
      'nested mapping shorthand',
      { device: { id: 'd1', phone: { $startsWith: '+34' } }, message: { 'quoted.body': 'x' } },
    ],
    ['a label index', { 'chat.labels.0': 'vip' }],
    [
      'null and structured literals',
      { 'contact.name': null, 'chat.labels': ['vip', 'sales'], 'data.stats': { $eq: { retries: 0 } }, chat: null },
    ],
    ['a chat type from the list', { 'chat.type': { $in: ['user', 'group'] } }],
  ];
  for (const [title, when] of valid) {
    it(title, () => {
      assert.deepEqual(issuesOf(when), []);
      assert.doesNotThrow(() => compileWhen(WhenSchema.parse(when)));
    });
  }

  it('returns the document itself', () => {
    const when = { event: 'message:in:new' };
    assert.deepEqual(WhenSchema.parse(when), when);
  });
});

describe('WhenSchema: problems, with their paths', () => {
  const invalid: readonly [title: string, when: unknown, issues: readonly Issue[]][] = [
    [
      'a typo in the first segment',
      { 'mesage.body': 'x' },
      [{ path: ['mesage.body'], message: 'unknown field "mesage.body" (did you mean "message.body"?)' }],
    ],
    [
      'a typo in the second segment',
      { 'message.bdy': 'x' },
      [{ path: ['message.bdy'], message: 'unknown field "message.bdy" (did you mean "message.body"?)' }],
    ],
    [
      'a typo under a nested mapping',
      { chat: { lables: 'vip' } },
      [{ path: ['chat', 'lables'], message: 'unknown field "chat.lables" (did you mean "chat.labels"?)' }],
    ],
    [
      'a typo in a mapping prefix is reported once',
      { mesage: { body: 'x', type: 'chat' } },
      [{ path: ['mesage'], message: 'unknown field "mesage" (did you mean "message"?)' }],
    ],
    [
      'an unknown field far from any',
      { sender: 'x' },
      [
        {
          path: ['sender'],
          message: 'unknown field "sender": the event has id, event, receivedAt, device, chat, contact, message, data',
        },
      ],
    ],
    [
      'an unknown field of device',
      { 'device.number': 'x' },
      [{ path: ['device.number'], message: 'unknown field "device.number": "device" has id, phone, alias' }],
    ],
    [
      'a logical operator without its $',
      { or: [{ event: 'x' }] },
      [{ path: ['or'], message: 'unknown field "or" (did you mean "$or"?)' }],
    ],
    [
      'a field below text',
      { 'message.body.text': 'x' },
      [{ path: ['message.body.text'], message: '"message.body" is text and has no field "text"' }],
    ],
    [
      'an operator without its $',
      { 'message.body': { regex: 'x' } },
      [
        {
          path: ['message.body', 'regex'],
          message: '"message.body" is text and has no field "regex" (did you mean "$regex"?)',
        },
      ],
    ],
    [
      'an empty path segment',
      { 'message..body': 'x' },
      [{ path: ['message..body'], message: 'path "message..body" has an empty segment' }],
    ],
    [
      'an unknown operator',
      { 'message.body': { $regx: 'refund' } },
      [{ path: ['message.body', '$regx'], message: 'unknown operator "$regx" (did you mean "$regex"?)' }],
    ],
    [
      'an unknown operator far from any',
      { 'message.body': { $size: 3 } },
      [
        {
          path: ['message.body', '$size'],
          message:
            'unknown operator "$size" (expected one of $eq, $ne, $in, $nin, $exists, $regex, $gt, $gte, $lt, $lte, $contains, $startsWith, $not)',
        },
      ],
    ],
    [
      'an unknown document operator',
      { $ore: [{ event: 'x' }] },
      [{ path: ['$ore'], message: 'unknown operator "$ore" (did you mean "$or"?)' }],
    ],
    [
      '$nor is not "did you mean $or"',
      { $nor: [{ event: 'x' }] },
      [{ path: ['$nor'], message: '$nor is not supported: write { $not: { $or: [ … ] } }' }],
    ],
    [
      'a field operator at document level',
      { $regex: 'x' },
      [
        {
          path: ['$regex'],
          message: 'operator "$regex" must be applied to a path, e.g. { "message.body": { "$regex": … } }',
        },
      ],
    ],
    [
      'an invalid regular expression',
      { 'message.body': { $regex: '(' } },
      [{ path: ['message.body', '$regex'], message: 'invalid regular expression "(": Unterminated group' }],
    ],
    [
      'an unsupported inline flag',
      { 'message.body': { $regex: '(?x)a b' } },
      [
        {
          path: ['message.body', '$regex'],
          message: 'invalid regular expression "(?x)a b": unsupported inline flag "x" in "(?x)" (supported: i, m, s)',
        },
      ],
    ],
    [
      '$regex not a string',
      { 'message.body': { $regex: 5 } },
      [{ path: ['message.body', '$regex'], message: '$regex expects a pattern (a string), got the number 5' }],
    ],
    [
      '$options',
      { 'message.body': { $regex: 'x', $options: 'i' } },
      [
        {
          path: ['message.body', '$options'],
          message: '$options is not supported: start the $regex with inline flags instead, e.g. "(?i)refund"',
        },
      ],
    ],
    [
      '$in not a list',
      { event: { $in: 'message:in:new' } },
      [
        {
          path: ['event', '$in'],
          message: '$in expects a list of values, e.g. [a, b], got the string "message:in:new"',
        },
      ],
    ],
    [
      '$nin not a list',
      { event: { $nin: { a: 1 } } },
      [{ path: ['event', '$nin'], message: '$nin expects a list of values, e.g. [a, b], got a mapping' }],
    ],
    [
      '$exists not a boolean',
      { 'message.body': { $exists: 'yes' } },
      [{ path: ['message.body', '$exists'], message: '$exists expects true or false, got the string "yes"' }],
    ],
    [
      '$gt not a number or a string',
      { 'data.timestamp': { $gt: true } },
      [
        {
          path: ['data.timestamp', '$gt'],
          message: '$gt expects a number or a string (such as an ISO date), got the boolean true',
        },
      ],
    ],
    [
      '$lte null',
      { 'data.timestamp': { $lte: null } },
      [
        {
          path: ['data.timestamp', '$lte'],
          message: '$lte expects a number or a string (such as an ISO date), got null',
        },
      ],
    ],
    [
      '$startsWith not a string',
      { 'contact.phone': { $startsWith: 34 } },
      [{ path: ['contact.phone', '$startsWith'], message: '$startsWith expects a string, got the number 34' }],
    ],
    [
      '$and empty',
      { $and: [] },
      [{ path: ['$and'], message: '$and expects a non-empty list of filter documents, got a list' }],
    ],
    [
      '$or not a list',
      { $or: { event: 'x' } },
      [{ path: ['$or'], message: '$or expects a non-empty list of filter documents, got a mapping' }],
    ],
    [
      '$and with a non-document',
      { $and: [{ event: 'x' }, 'chat.type'] },
      [
        {
          path: ['$and', 1],
          message: 'expected a filter document (a mapping of paths to conditions), got the string "chat.type"',
        },
      ],
    ],
    [
      '$or with an empty document',
      { $or: [{}, { event: 'x' }] },
      [{ path: ['$or', 0], message: 'empty filter document: it matches every event; give at least one condition' }],
    ],
    [
      'problems inside $and and $or keep their paths',
      { $and: [{ $or: [{ 'mesage.body': 'x' }] }] },
      [
        {
          path: ['$and', 0, '$or', 0, 'mesage.body'],
          message: 'unknown field "mesage.body" (did you mean "message.body"?)',
        },
      ],
    ],
    [
      '$not empty at document level',
      { $not: {} },
      [{ path: ['$not'], message: 'empty filter document: it matches every event; give at least one condition' }],
    ],
    [
      '$not with a literal under a path',
      { 'chat.type': { $not: 'group' } },
      [
        {
          path: ['chat.type', '$not'],
          message:
            'under a path, $not expects operators such as { $regex: "…" } (for "not equal" use $ne), got the string "group"',
        },
      ],
    ],
    [
      '$not with fields under a path',
      { message: { $not: { body: 'x' } } },
      [
        {
          path: ['message', '$not'],
          message:
            'under a path, $not expects operators such as { $regex: "…" } (for "not equal" use $ne), got a mapping',
        },
      ],
    ],
    [
      '$not under a path checks its operators',
      { 'message.body': { $not: { $regx: 'x' } } },
      [{ path: ['message.body', '$not', '$regx'], message: 'unknown operator "$regx" (did you mean "$regex"?)' }],
    ],
    [
      '$or under a path',
      { 'chat.type': { $or: ['user', 'group'] } },
      [
        {
          path: ['chat.type', '$or'],
          message:
            '$or combines filter documents and belongs at document level, e.g. { $or: [{ "chat.type": … }, { … }] }; to match one of several values use $in',
        },
      ],
    ],
    [
      'operators mixed with fields',
      { 'message.body': { $regex: 'x', options: 'i' } },
      [
        {
          path: ['message.body'],
          message: 'a mapping holds either operators or fields, not both: found "$regex" with "options"',
        },
      ],
    ],
    [
      'an empty mapping under a path',
      { 'data.stats': {} },
      [
        {
          path: ['data.stats'],
          message: 'empty mapping under "data.stats": give a value, operators, or { $exists: true }',
        },
      ],
    ],
    [
      'a number against metadata text',
      { 'contact.metadata.CRM_CUSTOMER_ID': 12345 },
      [
        {
          path: ['contact.metadata.CRM_CUSTOMER_ID'],
          message: '"contact.metadata.CRM_CUSTOMER_ID" holds text, never the number 12345; quote it: "12345"',
        },
      ],
    ],
    [
      'a number in $in against text',
      { 'device.phone': { $in: ['+34600000001', 34600000002] } },
      [
        {
          path: ['device.phone', '$in', 1],
          message: '"device.phone" holds text, never the number 34600000002; quote it: "34600000002"',
        },
      ],
    ],
    [
      'a quoted boolean',
      { 'message.fromMe': 'false' },
      [
        {
          path: ['message.fromMe'],
          message: '"message.fromMe" is true or false, not text; write false without quotes',
        },
      ],
    ],
    [
      'a misspelt chat type',
      { 'chat.type': 'grup' },
      [
        {
          path: ['chat.type'],
          message: '"grup" is not a possible "chat.type" (did you mean "group"?); expected one of user, group, channel',
        },
      ],
    ],
    [
      'a scalar against a mapping',
      { device: '61b37a069cba0c15d6c81000' },
      [
        {
          path: ['device'],
          message:
            '"device" is a mapping, never the string "61b37a069cba0c15d6c81000"; compare one of its fields, e.g. "device.id"',
        },
      ],
    ],
    ['NaN', { 'data.timestamp': Number.NaN }, [{ path: ['data.timestamp'], message: 'NaN never equals anything' }]],
    [
      'a value YAML cannot write',
      { 'data.at': new Date(0) },
      [{ path: ['data.at'], message: 'expected a string, number, true/false, null, list or mapping, got a Date' }],
    ],
    [
      'null',
      null,
      [
        {
          path: [],
          message:
            'expected a filter document (a mapping of paths to conditions), got null; omit "when" or write {} to match every event',
        },
      ],
    ],
    [
      'a list',
      [{ event: 'x' }],
      [
        {
          path: [],
          message:
            'expected a filter document (a mapping of paths to conditions), got a list; omit "when" or write {} to match every event',
        },
      ],
    ],
  ];
  for (const [title, when, expected] of invalid) {
    it(title, () => assert.deepEqual(issuesOf(when), expected));
  }

  it('reports every problem at once', () => {
    const issues = issuesOf({
      'mesage.body': 'x',
      'message.body': { $regx: 'a', $regex: '(' },
      $or: [{ 'chat.type': 'grup' }],
    });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [['mesage.body'], ['message.body', '$regx'], ['message.body', '$regex'], ['$or', 0, 'chat.type']],
    );
  });

  it('survives a cycle (a YAML alias pointing at its own parent)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['$and'] = [cyclic];
    const issues = issuesOf(cyclic);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.message, 'filter nested too deeply');
  });

  it('keeps paths relative, so an enclosing schema prefixes them', () => {
    const Routes = z.object({ routes: z.array(z.object({ name: z.string(), when: WhenSchema.optional() })) });
    const result = Routes.safeParse({
      routes: [{ name: 'a' }, { name: 'b', when: { 'message.body': { $regx: 'x' } } }],
    });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map(({ path, message }) => ({ path, message })),
      [
        {
          path: ['routes', 1, 'when', 'message.body', '$regx'],
          message: 'unknown operator "$regx" (did you mean "$regex"?)',
        },
      ],
    );
  });
});
