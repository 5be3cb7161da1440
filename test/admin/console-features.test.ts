/**
 * The console features of issue 21, in Chromium: per-connector success rate and latency charts,
 * replay with explicit targets (delivered ones only when chosen, after a confirmation that counts),
 * replay of a searched set to chosen connectors, search in message text, a test event.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { launchChromium, signedIn, tab } from './browser.ts';
import { ADMIN_ENV, adminConfig, inbound } from './helpers.ts';

let sink: HttpSink;
let t: TestRouter;
let browser: Browser;
const bodies = (text: string) => sink.requests.filter((r) => r.body.includes(text)).length;

before(async () => {
  sink = await HttpSink.start();
  t = await startTestRouter(adminConfig(sink.url), ADMIN_ENV);
  browser = await launchChromium();
  await t.post(inbound('F-1', { body: 'Where is my parcel?', phone: '+34 600 000 001' }));
  await t.post(inbound('F-2', { body: 'Thanks, all good', phone: '+34 600 000 002' }));
  await t.post(inbound('F-3', { body: 'PARCEL arrived broken', phone: '+34 600 000 003' }));
  await waitFor(() => sink.requests.length === 3, 'three deliveries');
});

after(async () => {
  await browser?.close();
  await t?.close();
  await sink?.close();
});

test('connectors show the hour as charts: success rate and latency p50/p95', async () => {
  const { page, problems } = await signedIn(browser, t);
  await tab(page, 'connectors');
  const row = page.locator('#connectors-body tr[data-name="sink"]');
  await row.waitFor();
  assert.match((await row.locator('.chart.success').textContent()) ?? '', /100% of 3/);
  assert.equal(await row.locator('.chart.success rect.bar-good').count(), 1, 'one 5-minute bucket with attempts');
  assert.equal(await row.locator('.chart.success rect.bar-none').count(), 11);
  assert.match((await row.locator('.chart.latency').textContent()) ?? '', /\d+ ms \/ \d+ ms/);
  assert.equal(await row.locator('.chart.latency circle').count(), 2, 'p50 and p95 of the one bucket with attempts');
  assert.deepEqual(problems, []);
  await page.close();
});

test('search in message text, any case, not in event names', async () => {
  const { page, problems } = await signedIn(browser, t);
  await page.locator('#f-text').fill('parcel');
  await page.locator('#f-text').press('Enter');
  await waitFor(async () => (await page.locator('#events-body tr').count()) === 2, 'two messages mention a parcel');
  await page.locator('#f-text').fill('new');
  await page.locator('#f-text').press('Enter');
  await page.locator('#events-empty').waitFor({ state: 'visible' });
  assert.deepEqual(problems, []);
  await page.close();
});

test('"Replay event" sends to a delivered connector only when chosen, after a confirmation that counts', async () => {
  const { page, problems, dialogs } = await signedIn(browser, t);
  await page.locator('#events-body tr', { hasText: '34600000002' }).click();
  await page.locator('#detail .delivery[data-status="delivered"]').waitFor();
  await page.locator('#replay-event').click();
  const box = page.locator('#replay-form input[value="sink"]');
  assert.equal(await box.isChecked(), false, 'a delivered connector is not chosen by default');
  await box.check();
  await page.locator('#replay-run').click();
  await page.locator('#toast', { hasText: '1 delivery set to be sent again.' }).waitFor();
  assert.equal(dialogs.length, 1);
  assert.match(dialogs[0]!, /1 delivery, 1 to connectors that already delivered it \(sink\)/);
  await waitFor(() => bodies('Thanks, all good') === 2, 'sent again');
  assert.deepEqual(problems, []);
  await page.close();
});

test('replay of a searched set to chosen connectors, with the count in the confirmation', async () => {
  const { page, problems, dialogs } = await signedIn(browser, t);
  await page.locator('#f-text').fill('parcel');
  await page.locator('#search').click();
  await waitFor(async () => (await page.locator('#events-body tr').count()) === 2, 'the searched set');
  await page.locator('#bulk-open').click();
  await page.locator('#bulk-connectors input[value="sink"]').check();
  await waitFor(
    async () => /0 deliveries of 2 events/.test((await page.locator('#bulk-plan').textContent()) ?? ''),
    'plan',
  );
  assert.equal(await page.locator('#bulk-run').isDisabled(), true, 'every delivery succeeded: nothing to send');
  await page.locator('#bulk-delivered').check();
  await waitFor(
    async () =>
      /2 deliveries of 2 events found; 2 of them already delivered/.test(
        (await page.locator('#bulk-plan').textContent()) ?? '',
      ),
    'plan with delivered ones',
  );
  await page.locator('#bulk-run').click();
  await page.locator('#toast', { hasText: '2 deliveries set to be sent again.' }).waitFor();
  assert.match(dialogs.at(-1) ?? '', /2 deliveries of 2 events found; 2 of them already delivered/);
  await waitFor(() => bodies('parcel') + bodies('PARCEL') === 4, 'both sent again');
  assert.deepEqual(problems, []);
  await page.close();
});

test('"Send test event" hands one sample event to the connector and shows the outcome', async () => {
  const before = sink.requests.length;
  const { page, problems, dialogs } = await signedIn(browser, t);
  await tab(page, 'connectors');
  await page.locator('#connectors-body tr[data-name="sink"] button.test').click();
  await page.locator('#toast', { hasText: /Test event to sink: delivered in \d+ ms/ }).waitFor();
  assert.match(dialogs.at(-1) ?? '', /really goes out/);
  assert.equal(sink.requests.length, before + 1);
  assert.match(sink.requests.at(-1)!.body, /Test event sent from the wa-router console/);
  assert.deepEqual(problems, []);
  await page.close();
});
