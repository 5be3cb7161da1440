import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnector, checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import { FakeHubSpot } from '../../test/testkit/fake-hubspot/index.ts';
import hubspot, { markerOf } from './index.ts';

const definition = hubspot as unknown as ConnectorDefinition;
const TOKEN = 'pat-na1-test-token';

function event(metadata: Record<string, string>, overrides: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    id: 'evt_hubspot_1',
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'device-1', phone: '+10000000000' },
    chat: { id: '15550000001@c.us', type: 'user', labels: [] },
    contact: { wid: '15550000001@c.us', phone: '+15550000001', name: 'Ann <b>', metadata },
    message: { id: 'MSG1', type: 'text', body: 'refund <please> & "now"\nsecond line', fromMe: false },
    data: { id: 'MSG1', date: '2026-01-01T00:00:05.000Z' },
    ...overrides,
  };
}

function harness(config: Record<string, unknown>) {
  const state = new Map<string, string>();
  const ctx = {
    name: 'crm',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir: '.',
    state: memoryState(state),
  };
  const connectorP = definition.create(definition.config.parse(config), ctx);
  return {
    state,
    async deliver(e: RoutedEvent, params: unknown = {}, timeoutMs = 2_000): Promise<Outcome> {
      const connector = await connectorP;
      const delivery: Delivery = {
        id: '1',
        idempotencyKey: `${e.id}:crm`,
        attempt: 1,
        route: 'r',
        event: e,
        params: definition.params!.parse(params),
      };
      return (await connector.deliver([delivery], AbortSignal.timeout(timeoutMs)))[0]!;
    },
    async preview(e: RoutedEvent, params: unknown = {}) {
      const connector = await connectorP;
      return connector.preview!({
        id: '1',
        idempotencyKey: `${e.id}:crm`,
        attempt: 1,
        route: 'r',
        event: e,
        params: definition.params!.parse(params),
      });
    },
  };
}

describe('hubspot connector', () => {
  let fake: FakeHubSpot;
  before(async () => {
    fake = await FakeHubSpot.start({ token: TOKEN });
  });
  after(() => fake.close());

  test('conforms to the connector contract', async () => {
    const contact = fake.addContact({ phone: '+15550000001' });
    const e = event({ CRM_CUSTOMER_ID: contact.id });
    const events = [e, { ...e, id: 'evt_c2' }, { ...e, id: 'evt_c3', contact: { ...e.contact!, metadata: {} } }];
    assert.deepEqual(
      await checkConnector(definition, {
        config: { token: TOKEN, apiUrl: fake.url },
        params: { note: '{{ message.body }}' },
        events,
      }),
      [],
    );
    assert.equal(fake.notesOf(contact.id).length, 2, 'two notes; the third event has no CRM id and is skipped');
  });

  test('meets the fault-conformance suite (notes are found again by their marker)', async (t) => {
    const contact = fake.addContact({ phone: '+15550000001' }, '7');
    const notes = /^\/crm\/v3\/objects\/notes$/;
    const report = await checkConnectorFaults(definition, {
      config: { token: TOKEN, apiUrl: fake.url },
      params: {
        note: 'evt={{ id }} {{ contact.name }}: {{ message.body }}',
        properties: { whatsapp_last_message: '{{ message.body }}' },
      },
      faults: {
        lostAnswer: () => fake.fail({ method: 'POST', path: notes, applyThenHang: true }),
        resetAfterActing: () => fake.fail({ method: 'POST', path: notes, applyThenDrop: true }),
        hang: () => fake.fail({ method: 'POST', path: notes, hang: true }),
        garbage: () => fake.fail({ method: 'POST', path: notes, reply: { status: 201, raw: '<html>oops' } }),
        errorIn200: () =>
          fake.fail({
            method: 'POST',
            path: notes,
            reply: { status: 200, body: { status: 'error', message: 'Something went wrong', category: 'ERROR' } },
          }),
        rateLimited: (retryAfter) =>
          fake.fail({
            method: 'POST',
            path: notes,
            reply: {
              status: 429,
              headers: { 'retry-after': retryAfter ?? '' },
              body: { status: 'error', message: 'x' },
            },
          }),
        diskFull: 'no disk involved',
      },
      heal: () => fake.heal(),
      acted: () =>
        fake.notesOf(contact.id).map((note) => /evt=(\w+)/.exec(note.properties['hs_note_body'] ?? '')?.[1] ?? '?'),
      idempotent: true,
      uniqueRefs: true,
      paths: () => fake.requests.map((request) => request.url),
      pathPattern: /^\/crm\/v3\/objects\/(contacts\/[^/]+|notes|notes\/search)$/,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  });

  test('a note carries the escaped text, the message time, the association and a marker', async () => {
    const contact = fake.addContact({ phone: '+15550000002' });
    const e = event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_note' });
    const outcome = await harness({ token: TOKEN, apiUrl: fake.url }).deliver(e, {
      note: 'From {{ contact.name }}: {{ message.body }}',
    });
    assert.equal(outcome.status, 'delivered');
    const [note] = fake.notesOf(contact.id);
    assert.ok(note);
    assert.equal(note.properties['hs_timestamp'], '2026-01-01T00:00:05.000Z');
    assert.match(
      note.properties['hs_note_body']!,
      /^From Ann &lt;b&gt;: refund &lt;please&gt; &amp; &quot;now&quot;<br>second line/,
    );
    assert.ok(note.properties['hs_note_body']!.includes(markerOf({ idempotencyKey: 'evt_note:crm' })));
    const request = fake.calls('POST', /^\/crm\/v3\/objects\/notes$/).at(-1)!;
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    // The attempt records the last call (the note's creation), the token masked.
    assert.equal(outcome.exchange?.request?.url, `${fake.url}/crm/v3/objects/notes`);
    assert.equal(outcome.exchange?.request?.headers.authorization, 'Bearer [redacted]');
    assert.equal(outcome.exchange?.response?.status, 201);
    assert.ok(!JSON.stringify(outcome).includes(TOKEN));
  });

  test('no CRM id and no lookup: skipped with the reason, nothing sent', async () => {
    const before = fake.requests.length;
    const outcome = await harness({ token: TOKEN, apiUrl: fake.url }).deliver(event({}));
    assert.equal(outcome.status, 'skipped');
    assert.match((outcome as { reason: string }).reason, /contactId.*rendered empty/);
    assert.equal(fake.requests.length, before);
  });

  test('401, 404 and 429 map to failed, failed and retry', async () => {
    const contact = fake.addContact({});
    const bad = await harness({ token: 'wrong', apiUrl: fake.url }).deliver(
      event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_401' }),
    );
    assert.equal(bad.status, 'failed');
    assert.match((bad as { reason: string }).reason, /rejected the API token.*401 INVALID_AUTHENTICATION/);

    const missing = await harness({ token: TOKEN, apiUrl: fake.url }).deliver(
      event({ CRM_CUSTOMER_ID: '999999' }, { id: 'evt_404' }),
    );
    assert.equal(missing.status, 'failed');
    assert.match((missing as { reason: string }).reason, /HubSpot contact 999999 not found/);
    assert.equal(missing.exchange?.response?.status, 404, 'the failing call is the one recorded');

    fake.fail({
      method: 'POST',
      path: /notes$/,
      reply: {
        status: 429,
        headers: { 'retry-after': '2' },
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
      },
    });
    const limited = await harness({ token: TOKEN, apiUrl: fake.url }).deliver(
      event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_429' }),
    );
    assert.equal(limited.status, 'retry');
    assert.equal((limited as { retryAfterMs?: number }).retryAfterMs, 2_000);
  });

  test('a note created by an attempt that got no answer is found again, not created twice', async () => {
    const contact = fake.addContact({});
    const h = harness({ token: TOKEN, apiUrl: fake.url, searchSettleMs: 60_000 });
    const e = event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_ambiguous' });
    fake.fail({ method: 'POST', path: /notes$/, applyThenDrop: true });
    const first = await h.deliver(e, { note: 'hi' });
    assert.equal(first.status, 'retry');
    assert.equal(fake.notesOf(contact.id).length, 1, 'the fake created the note and dropped the connection');
    const second = await h.deliver(e, { note: 'hi' });
    assert.equal(second.status, 'delivered');
    assert.match((second as { ref?: string }).ref ?? '', /already created/);
    assert.equal(fake.notesOf(contact.id).length, 1);
    // And a third try (e.g. a replay) sends nothing at all for the note.
    const creates = fake.calls('POST', /^\/crm\/v3\/objects\/notes$/).length;
    assert.equal((await h.deliver(e, { note: 'hi' })).status, 'delivered');
    assert.equal(fake.calls('POST', /^\/crm\/v3\/objects\/notes$/).length, creates);
  });

  test('an unanswered create whose note is not searchable yet waits for the index, then creates', async () => {
    const contact = fake.addContact({});
    const h = harness({ token: TOKEN, apiUrl: fake.url, searchSettleMs: 300 });
    const e = event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_lost' });
    fake.fail({ method: 'POST', path: /notes$/, hang: true });
    assert.equal((await h.deliver(e, { note: 'x' }, 200)).status, 'retry');
    const waiting = await h.deliver(e, { note: 'x' });
    assert.equal(waiting.status, 'retry');
    assert.match((waiting as { reason: string }).reason, /may have created the note/);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal((await h.deliver(e, { note: 'x' })).status, 'delivered');
    assert.equal(fake.notesOf(contact.id).length, 1);
  });

  test("task and properties; an unknown property is a dead letter with HubSpot's message", async () => {
    const contact = fake.addContact({});
    const h = harness({ token: TOKEN, apiUrl: fake.url });
    const outcome = await h.deliver(event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_task' }), {
      properties: { whatsapp_last_message: '{{ message.body }}' },
      task: { subject: 'Call {{ contact.name }} back', priority: 'HIGH', dueInMinutes: 60 },
    });
    assert.equal(outcome.status, 'delivered');
    assert.equal(contact.properties['whatsapp_last_message'], 'refund <please> & "now"\nsecond line');
    const [task] = fake.tasksOf(contact.id);
    assert.equal(task?.properties['hs_task_subject'], 'Call Ann <b> back');
    assert.equal(task?.properties['hs_timestamp'], '2026-01-01T01:00:05.000Z');
    const bad = await h.deliver(event({ CRM_CUSTOMER_ID: contact.id }, { id: 'evt_prop' }), {
      properties: { no_such_prop: 'x' },
    });
    assert.equal(bad.status, 'failed');
    assert.match((bad as { reason: string }).reason, /PROPERTY_DOESNT_EXIST|does not exist/);
  });

  test('preview shows the requests without sending', async () => {
    const before = fake.requests.length;
    const preview = (await harness({
      token: TOKEN,
      apiUrl: fake.url,
      lookupBy: 'phone',
      createIfMissing: true,
    }).preview(event({}), { note: '{{ message.body }}' })) as { requests: { path: string }[] };
    assert.deepEqual(
      preview.requests.map((r) => r.path),
      ['/crm/v3/objects/contacts/search', '/crm/v3/objects/contacts', '/crm/v3/objects/notes'],
    );
    assert.equal(fake.requests.length, before);
    assert.ok(!JSON.stringify(preview).includes(TOKEN));
  });

  test('createIfMissing needs lookupBy', () => {
    assert.equal(definition.config.safeParse({ token: TOKEN, createIfMissing: true }).success, false);
  });
});
