import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServiceAccount, FakeSheets, type ServiceAccount } from '../testkit/fake-sheets/index.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const base = JSON.parse(fixture('message-in-new')) as { data: Record<string, unknown> };
const message = (n: number, body = `message ${n}`) => ({ ...base, data: { ...base.data, id: `SHEETS${n}`, body } });

/** A router whose `sheet` connector writes to the fake with the service account's key file. */
function yaml(fake: FakeSheets, connector: string, delivery = ''): string {
  return `${SERVER_YAML}
connectors:
  sheet:
    type: google_sheets
    apiUrl: ${fake.url}
    credentialsFile: \${GOOGLE_CREDENTIALS}
${connector
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
    delivery: { backoffBaseMs: 50, maxBackoffMs: 200, maxAttempts: 5, callsPerSec: ${delivery.includes('callsPerSec') ? 0.5 : 0} ${delivery.replace(/, callsPerSec: [0-9.]+/, '')} }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [sheet]
`;
}

describe('google_sheets through the router', () => {
  let fake: FakeSheets;
  let dir: string;
  let account: ServiceAccount;
  let t: TestRouter | undefined;
  const start = async (connector: string, delivery = '') => {
    t = await startTestRouter(yaml(fake, connector, delivery), { GOOGLE_CREDENTIALS: account.file });
    return t;
  };
  const deliveries = async (router: TestRouter) =>
    router.router.store.listDeliveries({ connector: 'sheet', limit: 2_000 });

  before(async () => {
    fake = await FakeSheets.start();
    dir = mkdtempSync(join(tmpdir(), 'wa-router-sheets-e2e-'));
    account = createServiceAccount(dir);
    fake.addServiceAccount(account);
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const stop = async () => {
    await t?.close();
    t = undefined;
  };

  test('rows arrive in order with the rendered values; the ref is the row', async (ctx) => {
    ctx.after(stop);
    fake.addSpreadsheet(
      'E2E_ORDER',
      { Leads: [['Phone', 'Name', 'Text', 'event_id']] },
      { sharedWith: [account.email] },
    );
    const router = await start(`
spreadsheetId: E2E_ORDER
range: "Leads!A:D"
row: ["{{ contact.phone }}", "{{ contact.name }}", "{{ message.body }}"]`);
    for (const n of [1, 2, 3]) assert.equal((await router.post(message(n))).status, 200);
    await waitFor(() => fake.values('E2E_ORDER', 'Leads').length === 4, 'three rows');
    const rows = fake.values('E2E_ORDER', 'Leads').slice(1);
    assert.deepEqual(
      rows.map((row) => row[2]),
      ['message 1', 'message 2', 'message 3'],
    );
    assert.equal(rows[0]![0], '+12345678909');
    assert.match(String(rows[0]![3]), /^evt_/);
    const done = await waitFor(async () => {
      const list = await deliveries(router);
      return list.length === 3 && list.every((d) => d.status === 'delivered') ? list : undefined;
    }, 'three delivered');
    assert.deepEqual(done.map((d) => d.ref).sort(), ['Leads!A2:D2', 'Leads!A3:D3', 'Leads!A4:D4']);
  });

  test('1,000 events are written in about ten append calls', async (ctx) => {
    ctx.after(stop);
    fake.addSpreadsheet('E2E_BATCH', { Log: [] });
    const router = await start(
      `
spreadsheetId: E2E_BATCH
range: Log
row: ["{{ message.body }}"]`,
      ', ratePerSec: 0',
    );
    // Hold the connector while the events are received, so the backlog is there to batch.
    await router.router.dispatcher.setPaused('sheet', true);
    for (let start = 0; start < 1_000; start += 50) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => router.post(message(1_000 + start + i))),
      );
      assert.ok(responses.every((response) => response.status === 200));
    }
    await waitFor(
      async () => (await router.router.store.stats()).byConnector.sheet?.pending === 1_000,
      '1,000 planned deliveries',
    );
    await router.router.dispatcher.setPaused('sheet', false);
    await waitFor(() => fake.values('E2E_BATCH', 'Log').length === 1_000, '1,000 rows', 5_000);
    const appends = fake.callsOf('append').filter((call) => call.spreadsheetId === 'E2E_BATCH');
    assert.ok(appends.length <= 11, `${appends.length} append calls`);
    assert.ok(appends.every((call) => (call.rows ?? 0) <= 100));
    assert.equal(new Set(fake.values('E2E_BATCH', 'Log').map((row) => row[0])).size, 1_000, 'no duplicates');
  });

  test('the call rate (0.5 a second) holds append calls under the quota of Google, batching what waits', async (ctx) => {
    ctx.after(stop);
    fake.addSpreadsheet('E2E_CALLS', { Log: [] });
    const router = await start(
      `
spreadsheetId: E2E_CALLS
range: Log
row: ["{{ message.body }}"]`,
      ', callsPerSec: 0.5',
    );
    for (let n = 0; n < 30; n++) {
      assert.equal((await router.post(message(3_000 + n))).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitFor(() => fake.values('E2E_CALLS', 'Log').length === 30, '30 rows', 15_000);
    const appends = fake.callsOf('append').filter((call) => call.spreadsheetId === 'E2E_CALLS');
    const gaps = appends.slice(1).map((call, i) => call.at - appends[i]!.at);
    // The gaps are read where the fake receives the calls: on a loaded machine one request can
    // reach it a few hundred ms later than the next, so this allows 500 ms of transit jitter; the
    // call count below is what shows the rate holding.
    assert.ok(
      gaps.every((gap) => gap >= 1_500),
      `append calls ${gaps.join(', ')} ms apart (at most one per 2 s)`,
    );
    assert.ok(appends.length <= 3, `${appends.length} calls for 30 rows sent over 3 s`);
  });

  test('a 429 quota error is waited out (Retry-After) and the row written once', async (ctx) => {
    ctx.after(stop);
    fake.addSpreadsheet('E2E_QUOTA', { Log: [] });
    fake.on('append', { status: 429, retryAfter: '1' });
    const router = await start(`
spreadsheetId: E2E_QUOTA
range: Log
row: ["{{ message.body }}"]`);
    await router.post(message(1));
    await waitFor(() => fake.values('E2E_QUOTA', 'Log').length === 1, 'the row after the quota error', 5_000);
    const appends = fake.callsOf('append').filter((call) => call.spreadsheetId === 'E2E_QUOTA');
    assert.deepEqual(
      appends.map((call) => call.status),
      [429, 200],
    );
    assert.ok(appends[1]!.at - appends[0]!.at >= 950, 'waited for Retry-After');
    const [delivery] = await waitFor(async () => {
      const list = await deliveries(router);
      return list[0]?.status === 'delivered' ? list : undefined;
    }, 'delivered');
    assert.equal(delivery!.attempts, 2);
  });

  test('a timeout after the write does not duplicate the row', async (ctx) => {
    ctx.after(stop);
    fake.addSpreadsheet('E2E_AMBIGUOUS', { Log: [['Text', 'event_id']] });
    fake.on('append', { writeThenHang: true });
    const router = await start(
      `
spreadsheetId: E2E_AMBIGUOUS
range: Log
row: ["{{ message.body }}"]`,
      ', timeoutMs: 400',
    );
    await router.post(message(1));
    const [delivery] = await waitFor(
      async () => {
        const list = await deliveries(router);
        return list[0]?.status === 'delivered' ? list : undefined;
      },
      'delivered after the timeout',
      5_000,
    );
    assert.equal(delivery!.attempts, 2);
    assert.equal(delivery!.ref, 'already present: Log!A2:B2');
    assert.deepEqual(
      fake.values('E2E_AMBIGUOUS', 'Log').map((row) => row[0]),
      ['Text', 'message 1'],
    );
    assert.equal(fake.callsOf('append').filter((call) => call.spreadsheetId === 'E2E_AMBIGUOUS').length, 1);
  });

  test("403 (not shared), 404 (no such spreadsheet) and 400 (no such tab) become dead letters with Google's message", async (ctx) => {
    ctx.after(stop);
    fake.addSpreadsheet('E2E_PRIVATE', { Log: [] }, { sharedWith: ['someone@example.com'] });
    fake.addSpreadsheet('E2E_TABS', { Log: [] });
    const cases = [
      ['E2E_PRIVATE', 'Log', 'Google Sheets 403 PERMISSION_DENIED: The caller does not have permission'],
      ['E2E_NOPE', 'Log', 'Google Sheets 404 NOT_FOUND: Requested entity was not found.'],
      ['E2E_TABS', "'No Such Tab'!A:C", "Google Sheets 400 INVALID_ARGUMENT: Unable to parse range: 'No Such Tab'!A:C"],
    ] as const;
    for (const [spreadsheetId, range, reason] of cases) {
      const router = await start(`
spreadsheetId: ${spreadsheetId}
range: "${range}"
row: ["{{ message.body }}"]`);
      await router.post(message(1));
      const [dead] = await waitFor(async () => {
        const list = await deliveries(router);
        return list[0]?.status === 'dead' ? list : undefined;
      }, `a dead letter for ${spreadsheetId}`);
      assert.equal(dead!.attempts, 1);
      assert.equal(dead!.lastError, reason);
      await stop();
    }
  });
});
