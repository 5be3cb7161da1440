/**
 * The console defects of issue 21, each seen in Chromium as a user would: health after "Check
 * health now", a connector whose every delivery fails, a delivery held by a pause, the attempt
 * that made a dead letter, the list after a replay, the Dead letters header, a 420 px screen.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../ship/helpers.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { launchChromium, signedIn, tab } from './browser.ts';
import { ADMIN_ENV, admin, adminConfig, inbound } from './helpers.ts';

let sink: HttpSink;
let refusing: HttpSink;
let t: TestRouter;
let browser: Browser;
let api: ReturnType<typeof admin>;

/**
 * The admin config plus `down`, an http connector aimed at a closed port (its deliveries are held
 * while it is unreachable, issue 18), and `refuse`, one whose endpoint answers 400 (dead letters at
 * once), both fed by messages saying "mirror".
 */
function config(sinkUrl: string, closedPort: number, refusingUrl: string): string {
  return adminConfig(sinkUrl)
    .replace(
      'routes:\n',
      `  down:
    type: http
    url: http://127.0.0.1:${closedPort}/hook
    delivery: { backoffBaseMs: 20, maxBackoffMs: 40, maxAttempts: 2 }
  refuse:
    type: http
    url: ${refusingUrl}/hook
routes:
  - name: mirror
    when: { event: message:in:new, message.body: { $regex: "mirror" } }
    to: [down, refuse]
`,
    )
    .replace('maxAttempts: 4', 'maxAttempts: 2');
}

before(async () => {
  sink = await HttpSink.start();
  refusing = await HttpSink.start({ status: 400, body: '{"error":"no such contact"}' });
  t = await startTestRouter(config(sink.url, await freePort(), refusing.url), ADMIN_ENV);
  api = admin(t);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.close();
  await sink?.close();
  await refusing?.close();
});

const connectorRow = (name: string) => `#connectors-body tr[data-name="${name}"]`;

test('after "Check health now" no connector still says "unchecked"', async () => {
  const { page, problems } = await signedIn(browser, t);
  await tab(page, 'connectors');
  await page.locator(connectorRow('sink')).waitFor();
  await page.locator('#c-refresh').click();
  // The Health column (the third): every connector gets a result, with what it was based on.
  const health = page.locator('#connectors-body td:nth-child(3)');
  await waitFor(async () => {
    const texts = await health.allTextContents();
    return texts.length === 3 && texts.every((text) => text.trim() !== '' && !/unchecked/.test(text));
  }, 'every connector has a health after Check health now');
  assert.match(
    (await page.locator(connectorRow('sink')).locator('td:nth-child(3)').textContent()) ?? '',
    /from deliveries/,
  );
  assert.deepEqual(problems, []);
  await page.close();
});

test('an http connector aimed at a closed port is "failing", not green "running"', async () => {
  for (const id of ['MIRROR-1', 'MIRROR-2', 'MIRROR-3'])
    await t.post(inbound(id, { body: `mirror ${id}`, phone: '+1 415 555 0190' }));
  await waitFor(async () => (await api('GET', '/dead-letters?connector=refuse')).json.deadLetters.length === 3, 'dead');
  // Unreachable: held and probed, not dead-lettered; every attempt so far failed.
  await waitFor(async () => t.router.dispatcher.connectors().get('down')?.worker.isDown === true, 'down');
  const { page, problems } = await signedIn(browser, t);
  await tab(page, 'connectors');
  const down = page.locator(connectorRow('down'));
  await down.waitFor();
  const text = (await down.textContent()) ?? '';
  assert.match(text, /failing/);
  assert.doesNotMatch(text, /running/);
  assert.match((await down.locator('td:nth-child(3)').textContent()) ?? '', /(\d+) of \1 attempts/);
  assert.equal(await page.locator(connectorRow('sink')).getAttribute('data-state'), 'running');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a delivery held by a paused connector says "paused", not "next attempt at" a past time', async () => {
  await api('POST', '/connectors/sink/pause');
  try {
    await t.post(inbound('HELD-1', { body: 'held while paused', phone: '+1 415 555 0191' }));
    const { page, problems } = await signedIn(browser, t);
    await page.locator('#events-body tr', { hasText: '14155550191' }).click();
    const delivery = page.locator('#detail .delivery[data-connector="sink"]');
    await delivery.locator('.timeline li').first().waitFor();
    const text = (await delivery.textContent()) ?? '';
    assert.match(text, /paused/);
    assert.doesNotMatch(text, /next attempt at/);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await api('POST', '/connectors/sink/resume');
    await waitFor(() => sink.requests.some((r) => r.body.includes('held while paused')), 'delivered once resumed');
  }
});

test('the attempt that made a dead letter is badged "dead", not "retry"', async () => {
  sink.reply({ status: 500, body: 'down' }, { status: 500, body: 'still down' });
  await t.post(inbound('DEAD-TIMELINE', { body: 'to the dead letters', phone: '+1 415 555 0192' }));
  await waitFor(
    async () => (await api('GET', '/dead-letters?connector=sink')).json.deadLetters.length === 1,
    'one dead letter of sink',
  );
  const { page, problems } = await signedIn(browser, t);
  await page.locator('#events-body tr', { hasText: '14155550192' }).click();
  const items = page.locator('#detail .delivery[data-connector="sink"] .timeline li');
  await waitFor(async () => (await items.count()) === 2, 'two attempts');
  assert.equal(await items.nth(0).locator('.badge').textContent(), 'retry');
  assert.equal(await items.nth(1).locator('.badge').textContent(), 'dead', 'the attempt that made it dead');
  assert.deepEqual(problems, []);
  await page.close();
});

test('after "Replay event" the list shows the new status, live updates off', async () => {
  const { page, problems, dialogs } = await signedIn(browser, t);
  await page.locator('#f-live').uncheck();
  const row = page.locator('#events-body tr', { hasText: '14155550192' });
  assert.match((await row.textContent()) ?? '', /sink: dead/);
  await row.click();
  await page.locator('#detail .delivery[data-connector="sink"]').waitFor();
  await page.locator('#replay-event').click();
  const box = page.locator('#replay-form input[value="sink"]');
  assert.equal(await box.isChecked(), true, 'the dead delivery is chosen by default');
  await page.locator('#replay-run').click();
  await page.locator('#toast', { hasText: '1 delivery set to be sent again.' }).waitFor();
  // Live updates are off: the list changes because the replay reloads it.
  await waitFor(async () => !/sink: dead/.test((await row.textContent()) ?? ''), 'the row no longer says dead');
  assert.deepEqual(dialogs, [], 'no confirmation: nothing already delivered is sent again');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the Dead letters tab header counts dead letters, not events', async () => {
  const { page, problems } = await signedIn(browser, t);
  await page.locator('#events-body tr').first().waitFor();
  assert.match((await page.locator('#summary').textContent()) ?? '', /events? shown/);
  await tab(page, 'dead');
  await page.locator('#dead-body tr').first().waitFor();
  await waitFor(async () => /dead letters? shown/.test((await page.locator('#summary').textContent()) ?? ''), 'header');
  assert.doesNotMatch((await page.locator('#summary').textContent()) ?? '', /events/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('at 420 px wide no tab is wider than the screen', async () => {
  const { page, problems } = await signedIn(browser, t, 420, 860);
  const width = () => page.evaluate('document.documentElement.scrollWidth') as Promise<number>;
  // The newest events may be the router's own (router:delivery:dead), which go nowhere.
  await page.locator('#events-body tr', { hasText: 'message:in:new' }).first().click();
  await page.locator('#detail .delivery').first().waitFor();
  assert.ok((await width()) <= 420, `events: ${await width()} px`);
  for (const [name, ready] of [
    ['dead', '#dead-body tr'],
    ['connectors', '#connectors-body tr'],
    ['tester', '#t-payload'],
    ['config', '#cfg-text'],
  ] as const) {
    await tab(page, name);
    await page.locator(ready).first().waitFor();
    assert.ok((await width()) <= 420, `${name}: ${await width()} px`);
  }
  const brand = await page.locator('.brand').boundingBox();
  const logout = await page.locator('#logout').boundingBox();
  assert.ok(brand && logout && logout.x + logout.width <= 420, 'the header fits');
  assert.deepEqual(problems, []);
  await page.close();
});
