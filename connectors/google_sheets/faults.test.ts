import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import { FakeSheets } from '../../test/testkit/fake-sheets/index.ts';
import sheetsConnector from './index.ts';

const definition = sheetsConnector as unknown as ConnectorDefinition;
const TOKEN = 'ya29.faults-token';
const HEADER = ['At', 'Name', 'Text', 'event_id'];

describe('google_sheets connector under faults', () => {
  let fake: FakeSheets;
  before(async () => {
    fake = await FakeSheets.start();
    fake.addAccessToken(TOKEN);
  });
  after(() => fake.close());

  test('meets the fault-conformance suite (a retried append finds its row by the event id)', async (t) => {
    fake.addSpreadsheet('FAULTS', { Fault: [HEADER] });
    const report = await checkConnectorFaults(definition, {
      config: {
        apiUrl: fake.url,
        spreadsheetId: 'FAULTS',
        accessToken: TOKEN,
        // The tab comes from the event, so hostile values reach the request path too.
        range: '{{ chat.name }}!A:D',
        row: ['{{ receivedAt }}', '{{ contact.name }}', '{{ message.body }}'],
      },
      faults: {
        lostAnswer: () => fake.on('append', { writeThenHang: true }),
        resetAfterActing: () => fake.on('append', { writeThenDrop: true }),
        hang: () => fake.on('append', { hang: true }),
        garbage: () =>
          fake.on('append', { answer: { status: 200, body: '<html><body>oops', contentType: 'text/html' } }),
        errorIn200: () =>
          fake.on('append', {
            answer: {
              status: 200,
              body: JSON.stringify({ error: { code: 503, message: 'The service is currently unavailable.' } }),
            },
          }),
        rateLimited: (retryAfter) => fake.on('append', { status: 429, retryAfter: retryAfter ?? '' }),
        diskFull: "no disk involved: the rows live in Google's spreadsheet",
      },
      heal: () => fake.heal(),
      acted: () =>
        fake
          .values('FAULTS', 'Fault')
          .slice(1)
          .map((row) => String(row[3] ?? '?')),
      idempotent: true,
      uniqueRefs: true,
      paths: () => fake.calls.map((call) => call.path),
      pathPattern: /^\/v4\/spreadsheets\/FAULTS\/values\/[^/?]+(\?.*)?$/,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  });

  test('a garbled answer to the id check of a retried append is not read as "not there" (no duplicate row)', async () => {
    fake.addSpreadsheet('RECHECK', { Log: [HEADER] });
    const connector = await create({ spreadsheetId: 'RECHECK', range: 'Log!A:D' });
    fake.on('append', { writeThenHang: true });
    assert.equal((await deliver(connector, 'evt_recheck', 1, 500)).status, 'retry');
    fake.heal();
    fake.on('get', { answer: { status: 200, body: '<html>proxy error</html>', contentType: 'text/html' } });
    const garbled = await deliver(connector, 'evt_recheck', 2);
    assert.equal(garbled.status, 'retry');
    assert.equal((await deliver(connector, 'evt_recheck', 3)).status, 'delivered');
    assert.deepEqual(ids('RECHECK', 'Log'), ['evt_recheck']);
  });

  test('upsert: an update answered without its result is retried, not delivered', async () => {
    fake.addSpreadsheet('UPSERT', {
      Contacts: [
        ['Name', 'Text', 'event_id'],
        ['Bob', 'old', 'evt_old'],
      ],
    });
    const connector = await create({
      spreadsheetId: 'UPSERT',
      range: 'Contacts',
      row: undefined,
      mode: 'upsert',
      keyColumn: 'Name',
      columns: { Name: '{{ contact.name }}', Text: '{{ message.body }}' },
    });
    fake.on('batchUpdate', { answer: { status: 200, body: '{"spreadsheetId":"UPSERT"' } });
    assert.equal((await deliver(connector, 'evt_upsert')).status, 'retry');
    assert.deepEqual(fake.values('UPSERT', 'Contacts')[1], ['Bob', 'old', 'evt_old'], 'nothing was written');
    assert.equal((await deliver(connector, 'evt_upsert', 2)).status, 'delivered');
    assert.deepEqual(fake.values('UPSERT', 'Contacts')[1], ['Bob', 'hello', 'evt_upsert']);
  });

  async function create(config: Record<string, unknown>): Promise<Connector> {
    return definition.create(
      definition.config.parse({
        apiUrl: fake.url,
        accessToken: TOKEN,
        row: ['{{ receivedAt }}', '{{ contact.name }}', '{{ message.body }}'],
        ...config,
      }),
      { name: 'sheet', log: { debug() {}, info() {}, warn() {}, error() {} }, configDir: '.', state: memoryState() },
    );
  }

  function ids(spreadsheet: string, tab: string): string[] {
    return fake
      .values(spreadsheet, tab)
      .slice(1)
      .map((row) => String(row[3]));
  }
});

async function deliver(connector: Connector, id: string, attempt = 1, timeoutMs = 5_000): Promise<Outcome> {
  const event: RoutedEvent = {
    id,
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'device-1' },
    chat: { id: '15550001@c.us', type: 'user', labels: [] },
    contact: { phone: '+15550001', name: 'Bob', metadata: {} },
    message: { id: 'M1', type: 'text', body: 'hello', fromMe: false },
    data: {},
  };
  const delivery: Delivery = { id: '1', idempotencyKey: `${id}:sheet`, attempt, route: 'r', event, params: undefined };
  return (await connector.deliver([delivery], AbortSignal.timeout(timeoutMs)))[0]!;
}
