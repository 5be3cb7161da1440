/**
 * Each attempt's request and response in the console (issue 21), in Chromium: an event whose first
 * attempt got a 500 shows, under that attempt, the request as sent (token masked) and the answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { launchChromium, signedIn } from './browser.ts';
import { ADMIN_ENV, SINK_TOKEN, admin, adminConfig, inbound } from './helpers.ts';

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

test("console: an attempt shows its request and response (by default, the failed attempt's)", async () => {
  sink.reply({ status: 500, headers: { 'x-request-id': 'up-42' }, body: '{"error":"upstream down"}' });
  await t.post(inbound('EXCHANGE-1', { body: 'Where is my order?', phone: '+1 415 555 0199' }));
  const api = admin(t);
  await waitFor(
    async () => (await api('GET', '/events')).json.events?.[0]?.deliveries?.[0]?.status === 'delivered',
    'delivered on the second attempt',
  );

  const { page, problems } = await signedIn(browser, t);
  await page.locator('#events-body tr', { hasText: '14155550199' }).click();
  const attempts = page.locator('#detail .delivery[data-connector="sink"] .timeline li[data-result]');
  await waitFor(async () => (await attempts.count()) === 2, 'two attempts in the timeline');
  const failed = attempts.nth(0);
  assert.equal(await failed.getAttribute('data-result'), 'retry');

  await failed.locator('details[data-key$=":request"] summary', { hasText: 'Request' }).click();
  await failed.locator('details[data-key$=":request"] pre').waitFor({ state: 'visible' });
  const request = (await failed.locator('details[data-key$=":request"] pre').textContent()) ?? '';
  assert.match(request, new RegExp(`^POST ${sink.url}/events/message%3Ain%3Anew\\n`));
  assert.match(request, /^authorization: Bearer \[redacted\]$/m);
  assert.match(request, /^idempotency-key: evt_.+:sink$/m);
  assert.match(request, /\{"id":"evt_.+","text":"Where is my order\?"\}$/);

  await failed.locator('details[data-key$=":response"] summary', { hasText: 'Response' }).click();
  await failed.locator('details[data-key$=":response"] pre').waitFor({ state: 'visible' });
  const response = (await failed.locator('details[data-key$=":response"] pre').textContent()) ?? '';
  assert.match(response, /^HTTP 500\n/);
  assert.match(response, /^x-request-id: up-42$/m);
  assert.match(response, /\{"error":"upstream down"\}$/);

  // The attempt that succeeded records none by default (capture.attempts: failures).
  assert.equal(await attempts.nth(1).locator('details').count(), 0);
  assert.ok(!((await page.locator('#detail').textContent()) ?? '').includes(SINK_TOKEN), 'the token is never shown');
  assert.deepEqual(problems, []);
  await page.close();
});
