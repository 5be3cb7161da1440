import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventKey } from '../../src/wassenger/keys.ts';
import { parseWebhookBody } from '../../src/wassenger/payload.ts';
import type { DeliveryView } from '../../src/domain/delivery.ts';
import { FakeHubSpot, rateLimited } from '../testkit/fake-hubspot/index.ts';
import { FakeWassenger } from '../testkit/fake-wassenger/index.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const HUBSPOT_TOKEN = 'pat-na1-e2e-hubspot-token';
const WASSENGER_TOKEN = 'wassenger-e2e-api-key-0123456789';
const FAST = 'backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 5';

let counter = 0;
/** message-in-new with a fresh message id, a body, and the given contact metadata (undefined: as in the fixture). */
function inbound(
  body: string,
  metadata?: { key: string; value: string }[],
  phone?: string,
): { payload: Record<string, unknown>; eventId: string } {
  const payload = JSON.parse(fixture('message-in-new')) as {
    data: {
      id: string;
      body: string;
      fromNumber: string;
      chat: { contact: { phone: string; wid: string; metadata: unknown } };
    };
  };
  payload.data.id = `CRM${Date.now()}${counter++}`;
  payload.data.body = body;
  if (metadata) payload.data.chat.contact.metadata = metadata;
  if (phone) {
    payload.data.chat.contact.phone = phone;
    payload.data.chat.contact.wid = `${phone.slice(1)}@c.us`;
  }
  const parsed = parseWebhookBody(payload);
  assert.ok(parsed.ok);
  return { payload, eventId: eventKey(parsed.items[0]!) };
}

describe('CRM connectors through the whole router', () => {
  let hubspot: FakeHubSpot;
  let wassenger: FakeWassenger;
  let sink: HttpSink;
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
    hubspot = await FakeHubSpot.start({ token: HUBSPOT_TOKEN });
    wassenger = await FakeWassenger.start({ token: WASSENGER_TOKEN });
    sink = await HttpSink.start({ status: 201, body: '{"success":true,"data":{"id":99}}' });
    t = await startTestRouter(
      `${SERVER_YAML}
connectors:
  hs:
    type: hubspot
    token: \${HUBSPOT_TOKEN}
    apiUrl: ${hubspot.url}
    contactId: "{{ contact.metadata.CRM_CUSTOMER_ID }}"
    delivery: { ${FAST}, timeoutMs: 400 }
  hs-lookup:
    type: hubspot
    token: \${HUBSPOT_TOKEN}
    apiUrl: ${hubspot.url}
    lookupBy: phone
    createIfMissing: true
    writeBack: { token: \${WASSENGER_TOKEN}, apiUrl: ${wassenger.url}, key: CRM_CUSTOMER_ID }
    delivery: { ${FAST} }
  pipedrive:
    type: crm
    baseUrl: ${sink.url}/api/v1
    path: /persons/{{ contact.metadata.CRM_CUSTOMER_ID }}/notes
    auth: { header: x-api-token, value: \${PIPEDRIVE_TOKEN} }
    requireMetadata: [CRM_CUSTOMER_ID]
    body: { content: "{{ message.body }}", person: "{{ contact.metadata.CRM_CUSTOMER_ID }}" }
    refField: data.id
    delivery: { ${FAST} }
routes:
  - name: notes
    when: { event: message:in:new, message.body: { $startsWith: note } }
    to: [{ connector: hs, with: { note: "WhatsApp from {{ contact.name }}: {{ message.body }}" } }]
  - name: props
    when: { event: message:in:new, message.body: { $startsWith: props } }
    to: [{ connector: hs, with: { properties: { whatsapp_last_message: "{{ message.body }}", whatsapp_last_message_at: "{{ receivedAt }}" } } }]
  - name: lookup
    when: { event: message:in:new, message.body: { $startsWith: lookup } }
    to: [hs-lookup]
  - name: pipedrive
    when: { event: message:in:new, message.body: { $startsWith: crm } }
    to: [pipedrive]
`,
      { HUBSPOT_TOKEN, WASSENGER_TOKEN, PIPEDRIVE_TOKEN: 'pipedrive-e2e-token' },
    );
  });
  after(async () => {
    await t.close();
    await Promise.all([hubspot.close(), wassenger.close(), sink.close()]);
  });

  test('a message from a contact with CRM_CUSTOMER_ID gets a note on that HubSpot contact', async () => {
    hubspot.addContact({ firstname: 'Bob' }, 'a1c46535');
    const { payload, eventId } = inbound('note: I want a refund');
    assert.equal((await t.post(payload)).status, 200);
    const row = await final(eventId, 'hs', 'delivered');
    const [note] = hubspot.notesOf('a1c46535');
    assert.ok(note, 'a note on contact a1c46535');
    assert.match(note.properties['hs_note_body']!, /^WhatsApp from Bob A\.: note: I want a refund/);
    assert.match(row.ref ?? '', /contact a1c46535, note \d+/);
  });

  test('no CRM id in the metadata: skipped with the reason, not a dead letter', async () => {
    const { payload, eventId } = inbound('note without id', []);
    await t.post(payload);
    const row = await final(eventId, 'hs');
    assert.equal(row.status, 'skipped');
    assert.match(row.lastError ?? '', /contactId.*rendered empty/);
  });

  test('properties update', async () => {
    const contact = hubspot.addContact({});
    const { payload, eventId } = inbound('props: last one', [{ key: 'CRM_CUSTOMER_ID', value: contact.id }]);
    await t.post(payload);
    await final(eventId, 'hs', 'delivered');
    assert.equal(contact.properties['whatsapp_last_message'], 'props: last one');
    assert.match(contact.properties['whatsapp_last_message_at']!, /^\d{4}-/);
  });

  test('lookup by phone finds the contact, notes it, and writes its id back to Wassenger', async () => {
    const contact = hubspot.addContact({ phone: '+15557770001' });
    const { payload, eventId } = inbound('lookup: hello', [], '+15557770001');
    await t.post(payload);
    await final(eventId, 'hs-lookup', 'delivered');
    assert.equal(hubspot.notesOf(contact.id).length, 1);
    assert.deepEqual(wassenger.metadataOf('61b37a069cba0c15d', '15557770001@c.us'), { CRM_CUSTOMER_ID: contact.id });
    assert.equal(hubspot.calls('POST', /^\/crm\/v3\/objects\/contacts$/).length, 0, 'no contact created');
  });

  test('createIfMissing creates the contact, notes it, and the metadata is written back', async () => {
    const { payload, eventId } = inbound('lookup: new here', [], '+15557770002');
    await t.post(payload);
    const row = await final(eventId, 'hs-lookup', 'delivered');
    const created = [...hubspot.contacts.values()].find((c) => c.properties['phone'] === '+15557770002');
    assert.ok(created, 'a contact with the phone');
    assert.equal(created.properties['firstname'], 'Bob A.');
    assert.equal(hubspot.notesOf(created.id).length, 1);
    assert.deepEqual(wassenger.metadataOf('61b37a069cba0c15d', '15557770002@c.us'), { CRM_CUSTOMER_ID: created.id });
    assert.match(row.ref ?? '', /\(created\).*CRM_CUSTOMER_ID written back/);
  });

  test('a 429 is waited out (Retry-After) and then delivered', async () => {
    const contact = hubspot.addContact({});
    hubspot.fail({ method: 'POST', path: /notes$/, reply: rateLimited(1) });
    const { payload, eventId } = inbound('note: busy', [{ key: 'CRM_CUSTOMER_ID', value: contact.id }]);
    await t.post(payload);
    const row = await final(eventId, 'hs', 'delivered');
    const creates = hubspot.calls('POST', /^\/crm\/v3\/objects\/notes$/).slice(-2);
    assert.ok(creates[1]!.at - creates[0]!.at >= 950, 'retried after Retry-After');
    assert.equal(row.attempts, 2);
    assert.equal(hubspot.notesOf(contact.id).length, 1);
  });

  test('an unknown contact id is a dead letter with a clear reason', async () => {
    const { payload, eventId } = inbound('note: who?', [{ key: 'CRM_CUSTOMER_ID', value: '404404' }]);
    await t.post(payload);
    const row = await final(eventId, 'hs', 'dead');
    assert.match(row.lastError ?? '', /HubSpot contact 404404 not found/);
    assert.equal(row.attempts, 1);
  });

  test('a note whose creation got no answer (HubSpot created it, then hung) is not created twice', async () => {
    const contact = hubspot.addContact({});
    hubspot.fail({ method: 'POST', path: /notes$/, applyThenHang: true });
    const { payload, eventId } = inbound('note: ambiguous', [{ key: 'CRM_CUSTOMER_ID', value: contact.id }]);
    await t.post(payload);
    const row = await final(eventId, 'hs', 'delivered');
    assert.equal(row.attempts, 2, 'the deadline cut the first attempt');
    assert.equal(hubspot.notesOf(contact.id).length, 1);
    assert.match(row.ref ?? '', /already created/);
  });

  test('crm: hostile metadata stays an encoded segment under the base path; ".." is refused', async () => {
    sink.requests.length = 0;
    const hostile = inbound('crm: hi', [{ key: 'CRM_CUSTOMER_ID', value: '../../admin?delete=1' }]);
    await t.post(hostile.payload);
    const row = await final(hostile.eventId, 'pipedrive', 'delivered');
    assert.equal(row.ref, '99');
    assert.equal(sink.requests[0]!.url, '/api/v1/persons/..%2F..%2Fadmin%3Fdelete%3D1/notes');
    assert.equal(sink.requests[0]!.headers['x-api-token'], 'pipedrive-e2e-token');

    const dots = inbound('crm: dots', [{ key: 'CRM_CUSTOMER_ID', value: '..' }]);
    await t.post(dots.payload);
    const dead = await final(dots.eventId, 'pipedrive', 'dead');
    assert.match(dead.lastError ?? '', /"\." or "\.\." segment/);
    assert.equal(sink.requests.length, 1);

    const none = inbound('crm: none', []);
    await t.post(none.payload);
    assert.equal((await final(none.eventId, 'pipedrive')).status, 'skipped');
  });
});
