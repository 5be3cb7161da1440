import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnector, memoryState } from '../../src/sdk/testing.ts';
import { createServiceAccount, FakeSheets, type ServiceAccount } from '../../test/testkit/fake-sheets/index.ts';
import { columnLetters, columnNumber, parseRange } from './a1.ts';
import sheetsConnector from './index.ts';

const definition = sheetsConnector as unknown as ConnectorDefinition;
const TOKEN = 'ya29.test-token';
/** An outcome without the exchange it carries (exchange.test.ts checks those). */
const bare = (outcome: Outcome | undefined) => {
  const { exchange: _, ...rest } = outcome ?? ({} as Outcome);
  return rest;
};

function event(n: number, body = `message ${n}`, phone = `+1555000${String(n).padStart(4, '0')}`): RoutedEvent {
  return {
    id: `evt_${n}`,
    event: 'message:in:new',
    receivedAt: `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
    device: { id: 'device-1' },
    chat: { id: `${phone.slice(1)}@c.us`, type: 'user', labels: [] },
    contact: { phone, name: `Contact ${n}`, metadata: {} },
    message: { id: `MSG${n}`, type: 'text', body, fromMe: false },
    data: {},
  };
}

function deliveries(events: RoutedEvent[], attempt = 1, params?: unknown): Delivery[] {
  return events.map((e, i) => ({
    id: String(i + 1),
    idempotencyKey: `${e.id}:sheet`,
    attempt,
    route: 'r',
    event: e,
    params,
  }));
}

async function create(config: Record<string, unknown>, configDir = process.cwd()): Promise<Connector> {
  return definition.create(definition.config.parse(config), {
    name: 'sheet',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir,
    state: memoryState(),
  });
}

describe('google_sheets connector against the fake Sheets API', () => {
  let fake: FakeSheets;
  let dir: string;
  let account: ServiceAccount;
  const base = () => ({ apiUrl: fake.url, spreadsheetId: 'SHEET', accessToken: TOKEN });

  before(async () => {
    fake = await FakeSheets.start();
    dir = mkdtempSync(join(tmpdir(), 'wa-router-sheets-'));
    account = createServiceAccount(dir);
    fake.addServiceAccount(account);
    fake.addAccessToken(TOKEN);
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('conforms (checkConnector), authenticating with a self-signed service-account JWT', async () => {
    fake.addSpreadsheet('CONFORM', { Messages: [] }, { sharedWith: [account.email] });
    const problems = await checkConnector(definition, {
      config: {
        apiUrl: fake.url,
        spreadsheetId: 'CONFORM',
        range: 'Messages!A:C',
        credentialsFile: account.file,
        row: ['{{ contact.phone }}', '{{ message.body }}'],
      },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(fake.values('CONFORM', 'Messages'), [
      ['+15550000001', 'hello <world> & "friends"', 'evt_conformance'],
      ['+15550000001', 'hello <world> & "friends"', 'evt_conformance_2'],
      ['+15550000001', 'hello <world> & "friends"', 'evt_conformance_3'],
    ]);
    assert.equal(fake.callsOf('token').length, 0, 'no token endpoint is used');
    const jwt = fake.auth.jwtPayloads.at(-1)!;
    assert.equal(jwt.iss, account.email);
    assert.equal(jwt.scope, 'https://www.googleapis.com/auth/spreadsheets');
  });

  test('a batch is one append call; rows keep the batch order; each delivery gets its row as ref', async () => {
    fake.addSpreadsheet('ORDER', { Log: [['At', 'Phone', 'Text', 'event_id']] });
    const connector = await create({
      ...base(),
      spreadsheetId: 'ORDER',
      range: 'Log!A:D',
      row: ['{{ receivedAt }}', '{{ contact.phone }}', '{{ message.body }}'],
    });
    const before = fake.callsOf('append').length;
    const outcomes = await connector.deliver(deliveries([event(1), event(2), event(3)]), AbortSignal.timeout(5_000));
    assert.equal(fake.callsOf('append').length - before, 1);
    assert.deepEqual(outcomes.map(bare), [
      { status: 'delivered', ref: 'Log!A2:D2' },
      { status: 'delivered', ref: 'Log!A3:D3' },
      { status: 'delivered', ref: 'Log!A4:D4' },
    ]);
    assert.deepEqual(fake.values('ORDER', 'Log').slice(1), [
      ['2026-01-01T00:00:01.000Z', '+15550000001', 'message 1', 'evt_1'],
      ['2026-01-01T00:00:02.000Z', '+15550000002', 'message 2', 'evt_2'],
      ['2026-01-01T00:00:03.000Z', '+15550000003', 'message 3', 'evt_3'],
    ]);
    const call = fake.callsOf('append').at(-1)!;
    assert.equal(call.query.valueInputOption, 'RAW');
    assert.equal(call.query.insertDataOption, 'INSERT_ROWS');
  });

  test('columns are matched to the header row, read once; unmapped columns stay empty', async () => {
    fake.addSpreadsheet('HEAD', { 'My Tab': [['Phone', 'Notes', 'Message', 'event_id', 'Name']] });
    const connector = await create({
      ...base(),
      spreadsheetId: 'HEAD',
      range: "'My Tab'!A:E",
      columns: { Name: '{{ contact.name }}', Message: '{{ message.body }}', Phone: '{{ contact.phone }}' },
    });
    await connector.deliver(deliveries([event(1)]), AbortSignal.timeout(5_000));
    await connector.deliver(deliveries([event(2)]), AbortSignal.timeout(5_000));
    assert.deepEqual(fake.values('HEAD', 'My Tab').slice(1), [
      ['+15550000001', '', 'message 1', 'evt_1', 'Contact 1'],
      ['+15550000002', '', 'message 2', 'evt_2', 'Contact 2'],
    ]);
    assert.equal(
      fake.callsOf('get').filter((c) => c.spreadsheetId === 'HEAD').length,
      1,
      'the header row is read once',
    );
  });

  test('a header that is missing is a failure naming it', async () => {
    fake.addSpreadsheet('NOHEAD', { Tab: [['Phone', 'event_id']] });
    const connector = await create({
      ...base(),
      spreadsheetId: 'NOHEAD',
      range: 'Tab',
      columns: { Phone: '{{ contact.phone }}', Text: '{{ message.body }}' },
    });
    const [outcome] = await connector.deliver(deliveries([event(1)]), AbortSignal.timeout(5_000));
    assert.equal(outcome!.status, 'failed');
    assert.match((outcome as { reason: string }).reason, /no column "Text".*found: Phone, event_id/);
  });

  for (const valueInputOption of ['RAW', 'USER_ENTERED'] as const) {
    test(`${valueInputOption}: text that looks like a formula stays text`, async () => {
      const id = `FORMULA_${valueInputOption}`;
      fake.addSpreadsheet(id, { Tab: [] });
      const connector = await create({
        ...base(),
        spreadsheetId: id,
        range: 'Tab!A:B',
        valueInputOption,
        row: ['{{ message.body }}'],
      });
      const bodies = [
        '=HYPERLINK("http://evil.example","click")',
        '+1555 call me',
        '-2+3',
        '@SUM(A1:A2)',
        "'quoted",
        'plain',
      ];
      const outcomes = await connector.deliver(
        deliveries(bodies.map((body, i) => event(100 + i, body))),
        AbortSignal.timeout(5_000),
      );
      assert.ok(outcomes.every((o) => o.status === 'delivered'));
      const cells = fake.cells(id, 'Tab');
      assert.ok(
        cells.every((row) => row.every((cell) => cell?.formula === undefined)),
        'no cell became a formula',
      );
      assert.deepEqual(
        fake.values(id, 'Tab').map((row) => row[0]),
        bodies,
      );
      if (valueInputOption === 'USER_ENTERED')
        assert.equal(fake.callsOf('append').at(-1)!.query.valueInputOption, 'USER_ENTERED');
    });
  }

  test('the fake would have made a formula of unquoted USER_ENTERED text (the check above is meaningful)', async () => {
    fake.addSpreadsheet('RAWFORMULA', { Tab: [] });
    const response = await fetch(
      `${fake.url}v4/spreadsheets/RAWFORMULA/values/Tab!A1:append?valueInputOption=USER_ENTERED`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ values: [['=1+1']] }),
      },
    );
    assert.equal(response.status, 200);
    assert.equal(fake.cells('RAWFORMULA', 'Tab')[0]![0]!.formula, '=1+1');
  });

  test('a timeout after the write: the retry finds the event ids and appends nothing twice', async () => {
    fake.addSpreadsheet('AMBIG', {
      Tab: [
        ['Text', 'event_id'],
        ['older', 'evt_old'],
      ],
    });
    const connector = await create({
      ...base(),
      spreadsheetId: 'AMBIG',
      range: 'Tab!A:B',
      row: ['{{ message.body }}'],
    });
    fake.on('append', { writeThenHang: true });
    const first = await connector.deliver(deliveries([event(1), event(2)]), AbortSignal.timeout(300));
    assert.deepEqual(
      first.map((o) => o.status),
      ['retry', 'retry'],
    );
    assert.match((first[0] as { reason: string }).reason, /timed out/);
    // The dispatcher retries the same two plus a new one.
    const appendsBefore = fake.callsOf('append').length;
    const second = await connector.deliver(
      [...deliveries([event(1), event(2)], 2), ...deliveries([event(3)])],
      AbortSignal.timeout(5_000),
    );
    assert.deepEqual(second.map(bare), [
      { status: 'delivered', ref: 'already present: Tab!A3:B3' },
      { status: 'delivered', ref: 'already present: Tab!A4:B4' },
      { status: 'delivered', ref: 'Tab!A5:B5' },
    ]);
    assert.equal(fake.callsOf('append').length - appendsBefore, 1);
    assert.equal(fake.callsOf('append').at(-1)!.rows, 1);
    assert.deepEqual(
      fake.values('AMBIG', 'Tab').map((row) => row[1]),
      ['event_id', 'evt_old', 'evt_1', 'evt_2', 'evt_3'],
    );
  });

  test('upsert updates the row whose key matches and appends the others', async () => {
    fake.addSpreadsheet('UPSERT', {
      Contacts: [
        ['Phone', 'Name', 'Last message', 'Notes', 'event_id'],
        ['+15550000001', 'Old name', 'old text', 'VIP, keep', 'evt_0'],
        ['+15550000009', 'Other', 'x', '', 'evt_9'],
      ],
    });
    const connector = await create({
      ...base(),
      spreadsheetId: 'UPSERT',
      range: 'Contacts',
      mode: 'upsert',
      keyColumn: 'Phone',
      columns: { Phone: '{{ contact.phone }}', Name: '{{ contact.name }}', 'Last message': '{{ message.body }}' },
    });
    const noPhone = { ...event(5), contact: { metadata: {} } } as RoutedEvent;
    const outcomes = await connector.deliver(
      deliveries([event(1, 'first'), event(2, 'new contact'), event(1, 'second'), noPhone]),
      AbortSignal.timeout(5_000),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['delivered', 'delivered', 'delivered', 'skipped'],
    );
    assert.equal((outcomes[0] as { ref: string }).ref, 'updated Contacts!A2:E2');
    assert.deepEqual(fake.values('UPSERT', 'Contacts').slice(1), [
      ['+15550000001', 'Contact 1', 'second', 'VIP, keep', 'evt_1'],
      ['+15550000009', 'Other', 'x', '', 'evt_9'],
      ['+15550000002', 'Contact 2', 'new contact', '', 'evt_2'],
    ]);
    assert.equal(fake.callsOf('batchUpdate').length, 1);
    // The same event again (a replay): an update in place, not a new row.
    await connector.deliver(deliveries([event(2, 'new contact')], 2), AbortSignal.timeout(5_000));
    assert.equal(fake.values('UPSERT', 'Contacts').length, 4);
  });

  test("403, 404 and 400 fail with Google's message; 429 and 5xx retry with Retry-After", async () => {
    fake.addSpreadsheet('PRIVATE', { Tab: [] }, { sharedWith: ['someone-else@example.com'] });
    fake.addSpreadsheet('ERRORS', { Tab: [] });
    const row = ['{{ message.body }}'];
    const outcome = async (config: Record<string, unknown>) =>
      (
        await (await create({ ...base(), row, ...config })).deliver(deliveries([event(1)]), AbortSignal.timeout(5_000))
      )[0];
    assert.deepEqual(bare(await outcome({ spreadsheetId: 'PRIVATE', range: 'Tab' })), {
      status: 'failed',
      reason: 'Google Sheets 403 PERMISSION_DENIED: The caller does not have permission',
    });
    assert.deepEqual(bare(await outcome({ spreadsheetId: 'MISSING', range: 'Tab' })), {
      status: 'failed',
      reason: 'Google Sheets 404 NOT_FOUND: Requested entity was not found.',
    });
    assert.deepEqual(bare(await outcome({ spreadsheetId: 'ERRORS', range: 'Nope!A:B' })), {
      status: 'failed',
      reason: 'Google Sheets 400 INVALID_ARGUMENT: Unable to parse range: Nope!A:B',
    });
    fake.on('append', { status: 429, retryAfter: '7' }, { status: 503 });
    const quota = await outcome({ spreadsheetId: 'ERRORS', range: 'Tab' });
    assert.equal(quota!.status, 'retry');
    assert.equal((quota as { retryAfterMs?: number }).retryAfterMs, 7_000);
    assert.match((quota as { reason: string }).reason, /429 RESOURCE_EXHAUSTED: Quota exceeded/);
    assert.equal((await outcome({ spreadsheetId: 'ERRORS', range: 'Tab' }))!.status, 'retry');
    assert.equal(
      (await outcome({ spreadsheetId: 'ERRORS', range: 'Tab', accessToken: 'wrong' }))!.status,
      'retry',
      '401 is retried',
    );
  });

  test('the client library does not retry on its own (one GET on a 503)', async () => {
    fake.addSpreadsheet('NORETRY', { Tab: [['Text', 'event_id']] });
    const connector = await create({
      ...base(),
      spreadsheetId: 'NORETRY',
      range: 'Tab',
      columns: { Text: '{{ message.body }}' },
    });
    fake.on('get', { status: 503 });
    const [outcome] = await connector.deliver(deliveries([event(1)]), AbortSignal.timeout(5_000));
    assert.equal(outcome!.status, 'retry');
    assert.equal(fake.callsOf('get').filter((call) => call.spreadsheetId === 'NORETRY').length, 1);
  });

  test('OAuth refresh token: the client gets an access token from the token endpoint', async () => {
    fake.addSpreadsheet('OAUTH', { Tab: [] }, { sharedWith: ['owner@example.com'] });
    fake.addRefreshToken('1//refresh', { clientId: 'client-1', clientSecret: 'secret-1' }, 'owner@example.com');
    const connector = await create({
      apiUrl: fake.url,
      spreadsheetId: 'OAUTH',
      range: 'Tab',
      row: ['{{ message.body }}'],
      oauth: { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: '1//refresh', tokenUrl: fake.tokenUrl },
    });
    const outcomes = await connector.deliver(deliveries([event(1), event(2)]), AbortSignal.timeout(5_000));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['delivered', 'delivered'],
    );
    assert.equal(fake.callsOf('token').length, 1);
  });

  test('per-route range (with:), several tabs in one batch: one append per tab', async () => {
    fake.addSpreadsheet('TABS', { inbound: [], outbound: [] });
    const connector = await create({ ...base(), spreadsheetId: 'TABS', range: 'inbound', row: ['{{ message.body }}'] });
    const params = definition.params!.parse({
      range: '{% if message.fromMe %}outbound{% else %}inbound{% endif %}!A:B',
    });
    const out = { ...event(2), message: { ...event(2).message!, fromMe: true } };
    const before = fake.callsOf('append').length;
    await connector.deliver(deliveries([event(1), out, event(3)], 1, params), AbortSignal.timeout(5_000));
    assert.equal(fake.callsOf('append').length - before, 2);
    assert.deepEqual(fake.values('TABS', 'inbound'), [
      ['message 1', 'evt_1'],
      ['message 3', 'evt_3'],
    ]);
    assert.deepEqual(fake.values('TABS', 'outbound'), [['message 2', 'evt_2']]);
  });

  test('config: one auth, one of row/columns, keyColumn with upsert', () => {
    const problems = (config: Record<string, unknown>) => {
      const parsed = definition.config.safeParse({ spreadsheetId: 'x', range: 'Tab', ...config });
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
    };
    assert.deepEqual(problems({ accessToken: 't', row: ['a'] }), []);
    assert.match(problems({ row: ['a'] }).join(), /exactly one of credentialsFile, accessToken or oauth/);
    assert.match(problems({ accessToken: 't' }).join(), /exactly one of row or columns/);
    assert.match(problems({ accessToken: 't', columns: { A: 'x' }, mode: 'upsert' }).join(), /needs a keyColumn/);
    assert.match(
      problems({ accessToken: 't', columns: { A: 'x' }, mode: 'upsert', keyColumn: 'B' }).join(),
      /not one of columns/,
    );
    assert.match(problems({ accessToken: 't', columns: { event_id: 'x' } }).join(), /idColumn/);
  });

  test('A1 helpers', () => {
    assert.deepEqual(parseRange("'It''s mine'!B2:F"), { sheet: "It's mine", startCol: 2, startRow: 2, endCol: 6 });
    assert.deepEqual(parseRange('Leads'), { sheet: 'Leads', startCol: 1, startRow: 1 });
    assert.deepEqual(parseRange('Leads!A:E'), { sheet: 'Leads', startCol: 1, startRow: 1, endCol: 5 });
    assert.equal(columnLetters(28), 'AB');
    assert.equal(columnNumber('AB'), 28);
  });
});
