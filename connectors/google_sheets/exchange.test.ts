import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { memoryState } from '../../src/sdk/testing.ts';
import { FakeSheets } from '../../test/testkit/fake-sheets/index.ts';
import sheetsConnector from './index.ts';

const definition = sheetsConnector as unknown as ConnectorDefinition;
const TOKEN = 'ya29.exchange-secret-token';

const event = (n: number, phone = `+1555000${n}`): RoutedEvent => ({
  id: `evt_${n}`,
  event: 'message:in:new',
  receivedAt: '2026-01-01T00:00:00.000Z',
  device: { id: 'device-1' },
  chat: { id: `${phone.slice(1)}@c.us`, type: 'user', labels: [] },
  contact: { phone, name: `Contact ${n}`, metadata: {} },
  message: { id: `MSG${n}`, type: 'text', body: `message ${n}`, fromMe: false },
  data: {},
});

const deliveries = (events: RoutedEvent[]): Delivery[] =>
  events.map((e, i) => ({
    id: String(i + 1),
    idempotencyKey: `${e.id}:sheet`,
    attempt: 1,
    route: 'r',
    event: e,
    params: undefined,
  }));

async function create(config: Record<string, unknown>): Promise<Connector> {
  return definition.create(definition.config.parse(config), {
    name: 'sheet',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir: process.cwd(),
    state: memoryState(),
  });
}

/** The outcome's exchange, checked to hold no trace of the access token. */
function exchangeOf(outcome: Outcome | undefined) {
  const exchange = outcome?.exchange;
  assert.ok(exchange, `an exchange on ${JSON.stringify(outcome)}`);
  assert.ok(!JSON.stringify(exchange).includes(TOKEN), 'the access token is not captured');
  return exchange;
}

describe('google_sheets: the request and response of each call', () => {
  let fake: FakeSheets;
  const base = () => ({ apiUrl: fake.url, accessToken: TOKEN, row: ['{{ message.body }}'] });
  before(async () => {
    fake = await FakeSheets.start();
    fake.addAccessToken(TOKEN);
  });
  after(() => fake.close());

  test('a delivered append carries the call as sent (method, URL, range and values) and its answer', async () => {
    fake.addSpreadsheet('OK', { Log: [['Text', 'event_id']] });
    const connector = await create({ ...base(), spreadsheetId: 'OK', range: 'Log!A:B' });
    const outcomes = await connector.deliver(deliveries([event(1), event(2)]), AbortSignal.timeout(5_000));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['delivered', 'delivered'],
    );
    const { request, response } = exchangeOf(outcomes[0]);
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, new URL(fake.callsOf('append').at(-1)!.path, fake.url).href, 'the URL the library used');
    assert.deepEqual(JSON.parse(request!.body!), {
      range: 'Log!A:B',
      majorDimension: 'ROWS',
      values: [
        ['message 1', 'evt_1'],
        ['message 2', 'evt_2'],
      ],
    });
    assert.equal(response!.status, 200);
    assert.equal(JSON.parse(response!.body!).updates.updatedRange, 'Log!A2:B3');
    assert.deepEqual(outcomes[1]!.exchange, outcomes[0]!.exchange, 'one call, one exchange for its rows');
  });

  test("a refused call carries Google's error answer (400 and 404)", async () => {
    fake.addSpreadsheet('BAD', { Tab: [] });
    const bad = await create({ ...base(), spreadsheetId: 'BAD', range: 'Nope!A:B' });
    const [refused] = await bad.deliver(deliveries([event(1)]), AbortSignal.timeout(5_000));
    assert.equal(refused!.status, 'failed');
    const { request, response } = exchangeOf(refused);
    assert.equal(request!.method, 'POST');
    assert.match(request!.url, /\/v4\/spreadsheets\/BAD\/values\/Nope%21A%3AB:append\?/);
    assert.equal(response!.status, 400);
    assert.match(response!.body!, /Unable to parse range: Nope!A:B.*"status":"INVALID_ARGUMENT"/);

    const missing = await create({ ...base(), spreadsheetId: 'MISSING', range: 'Tab' });
    const [notFound] = await missing.deliver(deliveries([event(1)]), AbortSignal.timeout(5_000));
    assert.equal(exchangeOf(notFound).response!.status, 404);
    assert.match(exchangeOf(notFound).response!.body!, /NOT_FOUND/);
  });

  test('a call that got no answer carries its request only', async () => {
    fake.addSpreadsheet('HANG', { Tab: [] });
    const connector = await create({ ...base(), spreadsheetId: 'HANG', range: 'Tab' });
    fake.on('append', { hang: true });
    const [timedOut] = await connector.deliver(deliveries([event(1)]), AbortSignal.timeout(300));
    fake.heal();
    assert.equal(timedOut!.status, 'retry');
    const exchange = exchangeOf(timedOut);
    assert.equal(exchange.request!.method, 'POST');
    assert.equal(exchange.response, undefined);
  });

  test('upsert: an update carries values.batchUpdate, an append values.append; a skip carries none', async () => {
    fake.addSpreadsheet('UP', {
      Contacts: [
        ['Phone', 'Text', 'event_id'],
        ['+15550001', 'old', 'evt_old'],
      ],
    });
    const connector = await create({
      apiUrl: fake.url,
      accessToken: TOKEN,
      spreadsheetId: 'UP',
      range: 'Contacts',
      mode: 'upsert',
      keyColumn: 'Phone',
      columns: { Phone: '{{ contact.phone }}', Text: '{{ message.body }}' },
    });
    const [updated, appended, skipped] = await connector.deliver(
      deliveries([event(1), event(2), event(3, '')]),
      AbortSignal.timeout(5_000),
    );
    assert.deepEqual([updated!.status, appended!.status, skipped!.status], ['delivered', 'delivered', 'skipped']);
    const update = exchangeOf(updated);
    assert.match(update.request!.url, /\/values:batchUpdate$/);
    assert.equal(JSON.parse(update.request!.body!).data[0].range, 'Contacts!A2:C2');
    assert.equal(JSON.parse(update.response!.body!).responses[0].updatedRange, 'Contacts!A2:C2');
    assert.match(exchangeOf(appended).request!.url, /:append\?/);
    assert.equal(skipped!.exchange, undefined);
  });
});
