import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { launchChromium } from './browser.ts';
import { ADMIN_ENV, ADMIN_TOKEN, admin, adminConfig, inbound } from './helpers.ts';

const docsPng = (name: string) => fileURLToPath(new URL(`../../docs/${name}.png`, import.meta.url));
/** The committed screenshots are refreshed on demand (UPDATE_SCREENSHOT=1), not by every run. */
const shoot = (name: string) => (process.env.UPDATE_SCREENSHOT ? { path: docsPng(name) } : {});

let sink: HttpSink;
let t: TestRouter;
let browser: Browser;

before(async () => {
  sink = await HttpSink.start();
  t = await startTestRouter(adminConfig(sink.url), ADMIN_ENV);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.close();
  await sink?.close();
});

test('console: sign in, find an event, open its timeline, replay its dead letter and see it delivered', async () => {
  const api = admin(t);
  await t.post(inbound('CONSOLE-1', { body: 'Hi, where is my order?', phone: '+1 415 555 0101' }));
  await t.post(inbound('CONSOLE-2', { body: '<img src=x onerror="window.__xss=1">', phone: '+1 415 555 0102' }));
  await waitFor(() => sink.requests.length === 2, 'first deliveries');
  sink.reply({ status: 500, body: '{"error":"upstream down"}' }, { status: 422, body: '{"error":"unknown customer"}' });
  await t.post(inbound('CONSOLE-DEAD', { body: 'Refund please', phone: '+44 7700 900123' }));
  await waitFor(async () => (await api('GET', '/dead-letters')).json.deadLetters.length === 1, 'one dead letter');

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  await page.goto(`${t.url}/console`);

  // Sign in: the token goes to sessionStorage and the Authorization header, never into a URL.
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#events-body tr').first().waitFor();
  assert.equal(await page.evaluate('sessionStorage.getItem("wa-router.adminToken")'), ADMIN_TOKEN);
  assert.ok(!page.url().includes(ADMIN_TOKEN));
  // Three messages, and the router's own event about the dead letter (docs/alerts.md).
  assert.equal(await page.locator('#events-body tr', { hasText: 'message:in:new' }).count(), 3);
  assert.equal(await page.locator('#events-body tr', { hasText: 'router:delivery:dead' }).count(), 1);

  // Event content is shown as text, never run as markup.
  const xssRow = page.locator('#events-body tr', { hasText: '14155550102' });
  await xssRow.click();
  await page.locator('#detail dd', { hasText: '<img src=x onerror=' }).waitFor();
  assert.equal(await page.evaluate('window.__xss'), undefined);
  assert.equal(await page.locator('#detail img').count(), 0);

  // Find the event by the contact's phone, however it is typed, and open its timeline.
  await page.locator('#f-q').fill('+44 7700 900123');
  await page.locator('#f-q').press('Enter');
  await waitFor(async () => (await page.locator('#events-body tr').count()) === 1, 'one search result');
  await page.locator('#events-body tr').first().click();
  const dead = page.locator('#detail .delivery[data-status="dead"]');
  await dead.waitFor();
  const timeline = dead.locator('.timeline li');
  assert.equal(await timeline.count(), 2);
  assert.match((await timeline.nth(0).textContent()) ?? '', /retry.*HTTP 500/s);
  assert.match((await timeline.nth(1).textContent()) ?? '', /failed.*HTTP 422/s);
  await page.locator('#detail summary', { hasText: 'Raw payload' }).click();
  assert.match((await page.locator('#detail details[data-key="raw"] pre').textContent()) ?? '', /CONSOLE-DEAD/);

  // Dead letters: select it and replay it in bulk; the list empties once it is delivered.
  await page.locator('#tabs button[data-tab="dead"]').click();
  const row = page.locator('#dead-body tr');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.match((await row.first().textContent()) ?? '', /HTTP 422/);
  await row.first().locator('input.dead-check').check();
  await page.locator('#d-replay-selected').click();
  await page.locator('#toast', { hasText: '1 dead letter replayed.' }).waitFor();
  await page.locator('#dead-empty').waitFor({ state: 'visible' });
  await waitFor(
    () =>
      sink.requests.some(
        (request) =>
          request.body.includes('Refund please') &&
          sink.requests.filter((r) => r.body.includes('Refund please')).length === 3,
      ),
    'the replayed delivery reached the sink',
  );

  // Back in the event: the timeline ends with the delivered attempt.
  await row.first().waitFor({ state: 'detached' });
  await page.locator('#tabs button[data-tab="events"]').click();
  await page.locator('#events-body tr').first().click();
  const delivered = page.locator('#detail .delivery[data-status="delivered"]');
  await delivered.waitFor();
  assert.equal(await delivered.locator('.timeline li').count(), 3);
  assert.match((await delivered.locator('.timeline li').nth(2).textContent()) ?? '', /delivered/);

  // Connectors with health, queue depth and throughput; pause and resume from the page.
  await page.locator('#tabs button[data-tab="connectors"]').click();
  const sinkRow = page.locator('#connectors-body tr[data-name="sink"]');
  await sinkRow.waitFor();
  assert.match((await sinkRow.textContent()) ?? '', /http/);
  await sinkRow.locator('button.pause').click();
  await sinkRow.locator('button.resume').waitFor();
  await sinkRow.locator('button.resume').click();
  await sinkRow.locator('button.pause').waitFor();

  // Route tester: the matching route and the rendered request, nothing sent.
  const sent = sink.requests.length;
  await page.locator('#tabs button[data-tab="tester"]').click();
  await page.locator('#t-payload').fill(JSON.stringify(inbound('CONSOLE-DRY', { body: 'dry run text' }), null, 2));
  await page.locator('#t-run').click();
  const result = page.locator('#t-result .result-event');
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /inbound/);
  assert.match((await result.locator('pre').textContent()) ?? '', /dry run text/);
  assert.equal(sink.requests.length, sent);

  // The config, redacted.
  await page.locator('#tabs button[data-tab="config"]').click();
  await page.locator('#cfg-text', { hasText: '[redacted]' }).waitFor();
  assert.ok(!((await page.locator('#cfg-text').textContent()) ?? '').includes(ADMIN_TOKEN));

  // The screenshot for the README: the event list with the replayed event's timeline.
  await page.locator('#tabs button[data-tab="events"]').click();
  await page.locator('#clear').click();
  await waitFor(
    async () => (await page.locator('#events-body tr').count()) === 4,
    'every event listed (with the router event)',
  );
  await page.locator('#events-body tr', { hasText: '447700900123' }).click();
  await page.locator('#detail .delivery[data-status="delivered"]').waitFor();
  // With the answer to the first attempt open: what the endpoint said (capture.attempts: failures).
  await page.locator('#detail details[data-key$=":0:response"] summary').click();
  await page.locator('#detail details[data-key$=":0:response"] pre').waitFor({ state: 'visible' });
  await page.evaluate('document.getElementById("toast").hidden = true');
  const shot = await page.screenshot(shoot('console'));
  assert.ok(shot.length > 10_000, 'the console rendered something');
  // The same at 420 px (a phone): the detail goes under the list.
  await page.setViewportSize({ width: 420, height: 900 });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot(shoot('console-420'));
  await page.setViewportSize({ width: 1280, height: 800 });
  // Connectors with the hour's charts.
  await page.locator('#tabs button[data-tab="connectors"]').click();
  await page.locator('#connectors-body tr[data-name="sink"] .chart.success svg').waitFor();
  await page.screenshot(shoot('console-connectors'));
  await page.locator('#tabs button[data-tab="events"]').click();

  // Signing out forgets the token.
  await page.locator('#logout').click();
  assert.equal(await page.evaluate('sessionStorage.getItem("wa-router.adminToken")'), null);
  assert.deepEqual(problems, []);
  await page.close();
});

test('console: a wrong token is refused and the page says so', async () => {
  const page = await browser.newPage();
  await page.goto(`${t.url}/console`);
  const csp = (await page.request.get(`${t.url}/console`)).headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/);
  await page.locator('#token').fill('not-the-admin-token');
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#login-error', { hasText: 'refused' }).waitFor();
  assert.equal(await page.evaluate('sessionStorage.getItem("wa-router.adminToken")'), null);
  await page.close();
});
