import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { normalizeItem } from '../../../src/wassenger/normalize.ts';
import {
  MAX_ARRAY_ITEMS,
  dataKindOf,
  parseWebhookBody,
  type ParseWebhookResult,
} from '../../../src/wassenger/payload.ts';

const FIXTURES = new URL('../../fixtures/wassenger/', import.meta.url);
const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith('.json'));

function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
}

function failure(result: ParseWebhookResult) {
  assert.equal(result.ok, false, 'expected the body to be refused');
  if (result.ok) throw new Error('unreachable');
  return result;
}

/** The one issue at `path`, failing with the whole list when there is none. */
function issueAt(result: ParseWebhookResult, path: string) {
  const { issues } = failure(result);
  const issue = issues.find((candidate) => candidate.path === path);
  assert.ok(issue, `no issue at "${path}"; got ${JSON.stringify(issues)}`);
  return issue;
}

function failedItem(id: string) {
  return {
    event: 'message:out:failed',
    entity: 'message',
    entityId: id,
    data: { id, phone: '+34600111222', status: 'failed' },
  };
}

describe('parseWebhookBody: valid bodies', () => {
  it('accepts every fixture', () => {
    assert.ok(fixtureNames.length >= 16);
    for (const name of fixtureNames) {
      const result = parseWebhookBody(JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')));
      assert.equal(result.ok, true, `${name}: ${JSON.stringify(result)}`);
    }
  });

  it('returns an object body as one item of the object envelope, without copying it', () => {
    const body = fixture('message-in-new');
    const result = parseWebhookBody(body);
    assert.ok(result.ok);
    assert.equal(result.envelope, 'object');
    assert.equal(result.items.length, 1);
    assert.equal(result.items[0], body);
    assert.equal(result.items[0]!.data, body.data);
  });

  it('returns each item of an array body (array envelope)', () => {
    const body = fixture('message-out-failed');
    body.push(failedItem('5bf612faa893b00016c0f13e'));
    const result = parseWebhookBody(body);
    assert.ok(result.ok);
    assert.equal(result.envelope, 'array');
    assert.equal(result.items.length, 2);
    assert.equal(result.items[0], body[0]);
    assert.equal(result.items[1]!.entityId, '5bf612faa893b00016c0f13e');
  });

  it(`accepts an array of exactly ${MAX_ARRAY_ITEMS} items`, () => {
    const body = Array.from({ length: MAX_ARRAY_ITEMS }, (_, i) => failedItem(`id${i}`));
    const result = parseWebhookBody(body);
    assert.ok(result.ok);
    assert.equal(result.items.length, 25);
  });

  it('accepts unknown event names and unknown fields', () => {
    const result = parseWebhookBody({
      event: 'number:session',
      device: { id: 'd1' },
      data: { status: 'online', extra: [1, 2] },
      surprise: true,
    });
    assert.ok(result.ok);
    assert.equal(dataKindOf('number:session'), 'other');
    assert.ok(parseWebhookBody({ event: 'future:thing', data: { chat: 'not an object, and nobody reads it' } }).ok);
  });

  it('accepts null for optional fields and a known event with missing optional parts', () => {
    assert.ok(parseWebhookBody({ event: 'message:in:new', data: {} }).ok);
    const body = fixture('message-in-new');
    body.data.body = null;
    body.data.chat.labels = null;
    body.data.chat.contact.name = null;
    body.data.chat.contact.metadata.push(
      { key: 'GONE', value: null },
      { key: 'N', value: 3 },
      { key: 'B', value: false },
    );
    body.data.media = null;
    assert.ok(parseWebhookBody(body).ok);
  });
});

describe('parseWebhookBody: refused bodies', () => {
  it('refuses a missing event', () => {
    const body = fixture('message-in-new');
    delete body.event;
    const issue = issueAt(parseWebhookBody(body), 'event');
    assert.match(issue.message, /event name/);
    assert.match(issue.message, /received nothing/);
  });

  it('refuses an empty or non-string event', () => {
    assert.match(
      issueAt(parseWebhookBody({ event: '', data: {} }), 'event').message,
      /non-empty string.*received an empty string/,
    );
    assert.match(issueAt(parseWebhookBody({ event: 42, data: {} }), 'event').message, /received a number/);
  });

  it('refuses data that is missing or not an object', () => {
    assert.equal(
      issueAt(parseWebhookBody({ event: 'message:in:new' }), 'data').message,
      'expected an object, received nothing (missing)',
    );
    assert.equal(
      issueAt(parseWebhookBody({ event: 'message:in:new', data: [] }), 'data').message,
      'expected an object, received an array',
    );
    assert.equal(
      issueAt(parseWebhookBody({ event: 'x:y', data: 'hi' }), 'data').message,
      'expected an object, received a string',
    );
    assert.equal(
      issueAt(parseWebhookBody({ event: 'x:y', data: null }), 'data').message,
      'expected an object, received null',
    );
  });

  it('refuses fields the normalizer reads when they have the wrong type, with their path', () => {
    const cases: [string, (body: any) => void, string][] = [
      [
        'data.chat.id',
        (b) => {
          b.data.chat.id = 1234567890;
        },
        'expected a string, received a number',
      ],
      [
        'data.chat.id',
        (b) => {
          delete b.data.chat.id;
        },
        'expected a string, received nothing (missing)',
      ],
      [
        'data.chat',
        (b) => {
          b.data.chat = '1234567890@c.us';
        },
        'expected an object, received a string',
      ],
      [
        'data.chat.labels[1]',
        (b) => {
          b.data.chat.labels[1] = 7;
        },
        'expected a string, received a number',
      ],
      [
        'data.chat.labels',
        (b) => {
          b.data.chat.labels = 'NEW';
        },
        'expected an array, received a string',
      ],
      [
        'data.body',
        (b) => {
          b.data.body = 12;
        },
        'expected a string, received a number',
      ],
      [
        'data.id',
        (b) => {
          b.data.id = { nested: true };
        },
        'expected a string, received an object',
      ],
      [
        'data.type',
        (b) => {
          b.data.type = ['text'];
        },
        'expected a string, received an array',
      ],
      [
        'data.fromMe',
        (b) => {
          b.data.fromMe = 'yes';
        },
        'expected a boolean, received a string',
      ],
      [
        'data.chat.contact.metadata',
        (b) => {
          b.data.chat.contact.metadata = { CRM_CUSTOMER_ID: 'x' };
        },
        'expected an array, received an object',
      ],
      [
        'data.chat.contact.metadata[0].key',
        (b) => {
          b.data.chat.contact.metadata[0].key = 5;
        },
        'expected a string, received a number',
      ],
      [
        'data.chat.contact.metadata[1].value',
        (b) => {
          b.data.chat.contact.metadata[1].value = { url: 'x' };
        },
        'expected a string, number, boolean or null, received an object',
      ],
      [
        'device.id',
        (b) => {
          delete b.device.id;
        },
        'expected a string, received nothing (missing)',
      ],
      [
        'device',
        (b) => {
          b.device = 'd1';
        },
        'expected an object, received a string',
      ],
      [
        'ack',
        (b) => {
          b.ack = 3;
        },
        'expected a string, received a number',
      ],
    ];
    for (const [path, mutate, message] of cases) {
      const body = fixture('message-in-new');
      mutate(body);
      assert.equal(issueAt(parseWebhookBody(body), path).message, message, path);
    }
  });

  it('checks media fields of message events', () => {
    const body = fixture('message-in-new-image');
    body.data.media.size = '183204';
    body.data.media.links.download = 42;
    const { issues } = failure(parseWebhookBody(body));
    assert.deepEqual(issues.map((issue) => issue.path).sort(), ['data.media.links.download', 'data.media.size']);
  });

  it('checks the data of each event kind with its own shape', () => {
    const contact = fixture('contact-update');
    contact.data.metadata[0].value = [1];
    assert.ok(issueAt(parseWebhookBody(contact), 'data.metadata[0].value'));
    const chat = fixture('chat-update');
    chat.data.labels = [null];
    assert.ok(issueAt(parseWebhookBody(chat), 'data.labels[0]'));
    // The queue entity's `message` is its text; on a message event the field is not read or checked.
    const inbound = fixture('message-in-new');
    inbound.data.message = { any: 'shape' };
    assert.ok(parseWebhookBody(inbound).ok);
  });

  it('prefixes the item index for array bodies', () => {
    const body = Array.from({ length: 5 }, (_, i) => failedItem(`id${i}`));
    (body[3] as any).data = 'not an object';
    assert.equal(issueAt(parseWebhookBody(body), '[3].data').message, 'expected an object, received a string');

    const typed = fixture('message-out-failed');
    typed[0].data.phone = 12345678909;
    typed[0].data.device.id = null;
    const result = parseWebhookBody(typed);
    assert.equal(issueAt(result, '[0].data.phone').message, 'expected a string, received a number');
    assert.equal(issueAt(result, '[0].data.device.id').message, 'expected a string, received null');

    const missingEvent = [failedItem('a'), { data: {} }];
    assert.ok(issueAt(parseWebhookBody(missingEvent), '[1].event'));
    assert.equal(
      issueAt(parseWebhookBody([failedItem('a'), 7]), '[1]').message,
      'expected an object, received a number',
    );
  });

  it(`refuses an array of more than ${MAX_ARRAY_ITEMS} items`, () => {
    const body = Array.from({ length: 26 }, (_, i) => failedItem(`id${i}`));
    const { issues, error } = failure(parseWebhookBody(body));
    assert.deepEqual(issues, [{ path: '', message: 'expected at most 25 webhook items in an array, received 26' }]);
    assert.match(error, /at most 25/);
  });

  it('refuses an empty array', () => {
    assert.deepEqual(failure(parseWebhookBody([])).issues, [
      { path: '', message: 'expected 1 to 25 webhook items, received an empty array' },
    ]);
  });

  it('refuses JSON that is neither an object nor an array', () => {
    for (const [value, received] of [
      [42, 'a number'],
      ['hello', 'a string'],
      [null, 'null'],
      [true, 'a boolean'],
      [undefined, 'nothing (missing)'],
    ] as const) {
      const { issues, error } = failure(parseWebhookBody(value));
      assert.equal(issues.length, 1);
      assert.equal(issues[0]!.path, '');
      assert.match(issues[0]!.message, /a Wassenger webhook is a JSON object, or an array of up to 25 objects/);
      assert.ok(issues[0]!.message.endsWith(`received ${received}`), issues[0]!.message);
      assert.match(error, /^invalid Wassenger webhook: a Wassenger webhook is/);
    }
  });

  it('summarizes the first issue in `error` and caps the issue list', () => {
    const body = Array.from({ length: 25 }, () => ({ event: 7, data: 'x' }));
    const { issues, error } = failure(parseWebhookBody(body));
    assert.equal(issues.length, 20);
    assert.match(
      error,
      /^invalid Wassenger webhook: \[0\]\.event: expected the event name.* \(and 49 more problems\)$/,
    );
  });

  it('never echoes field values in messages (they may be phone numbers)', () => {
    const body = fixture('message-in-new');
    body.data.chat.id = 34600111222;
    const { issues, error } = failure(parseWebhookBody(body));
    assert.doesNotMatch(JSON.stringify(issues) + error, /34600111222/);
  });
});

describe('parseWebhookBody: hostile keys', () => {
  const hostile = `{
    "__proto__": { "polluted": "envelope" },
    "constructor": { "prototype": { "polluted": "constructor" } },
    "event": "message:in:new",
    "device": { "id": "d1", "__proto__": { "polluted": "device" } },
    "data": {
      "__proto__": { "polluted": "data", "id": "from-proto" },
      "prototype": { "polluted": "prototype" },
      "id": "M1", "type": "text", "body": "hi", "flow": "inbound",
      "chat": {
        "id": "34600111222@c.us", "type": "chat", "__proto__": { "labels": ["proto"] },
        "contact": { "wid": "34600111222@c.us", "__proto__": { "name": "proto" }, "metadata": [
          { "key": "__proto__", "value": "x" },
          { "key": "constructor", "value": "y" },
          { "key": "prototype", "value": "z" },
          { "key": "toString", "value": 1 }
        ] }
      }
    }
  }`;

  it('accepts the body and pollutes no prototype, while parsing and normalizing', () => {
    const result = parseWebhookBody(JSON.parse(hostile));
    assert.ok(result.ok);
    const event = normalizeItem(result.items[0]!, new Date('2025-03-04T10:00:00Z'));
    const probe: any = {};
    assert.equal(probe.polluted, undefined);
    assert.equal((Object.prototype as any).polluted, undefined);
    assert.equal(probe.id, undefined);
    assert.equal(probe.labels, undefined);
    assert.equal(probe.name, undefined);
    assert.equal(typeof probe.toString, 'function');

    assert.deepEqual(event.chat, { id: '34600111222@c.us', type: 'user', labels: [] });
    assert.equal(event.contact?.name, undefined);
    assert.equal(event.message?.id, 'M1');
    const metadata = event.contact!.metadata;
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.deepEqual(Object.keys(metadata), ['__proto__', 'constructor', 'prototype', 'toString']);
    assert.equal(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value, 'x');
    assert.equal(metadata['constructor'], 'y');
    assert.equal(metadata['toString'], '1');
  });

  it('treats event names that are prototype members as unknown events', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      assert.equal(dataKindOf(name), 'other');
      const result = parseWebhookBody({ event: name, data: {} });
      assert.ok(result.ok, name);
      assert.equal(normalizeItem(result.items[0]!, new Date()).event, name);
    }
  });
});
