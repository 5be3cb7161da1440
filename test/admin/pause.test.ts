import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { freshSchema } from '../testkit/postgres.ts';
import { startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { ADMIN_ENV, admin, adminConfig, inbound } from './helpers.ts';

const pausedIn = async (router: TestRouter): Promise<boolean> => {
  const { json } = await admin(router)('GET', '/connectors?health=0');
  return json.connectors.find((c: { name: string }) => c.name === 'sink').paused as boolean;
};
const pause = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1_000));

test('a paused connector stays paused across a restart, and delivers once resumed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-pause-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const yaml = `${adminConfig(sink.url)}\nstore: sqlite:${join(dir, 'router.db')}\n`;

  const first = await startTestRouter(yaml, ADMIN_ENV);
  assert.equal((await admin(first)('POST', '/connectors/sink/pause')).json.paused, true);
  await first.close();

  const second = await startTestRouter(yaml, ADMIN_ENV);
  t.after(() => second.close());
  assert.equal(await pausedIn(second), true, 'still paused after the restart');
  assert.equal((await second.post(inbound('PAUSE-RESTART-1'))).status, 200);
  await pause(0.5);
  assert.equal(sink.requests.length, 0, 'nothing sent while paused');
  assert.equal((await admin(second)('POST', '/connectors/sink/resume')).json.paused, false);
  await waitFor(() => sink.requests.length === 1, 'delivered after resume');
});

test('two instances on one PostgreSQL: a pause made through one holds the other, and so does the resume', {
  timeout: 30_000,
}, async (t) => {
  const schema = freshSchema();
  t.after(() => schema.drop());
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const yaml = `${adminConfig(sink.url)}\nstore: ${schema.url}\n`;
  const a = await startTestRouter(yaml, ADMIN_ENV);
  t.after(() => a.close());
  const b = await startTestRouter(yaml, ADMIN_ENV);
  t.after(() => b.close());

  assert.equal((await admin(a)('POST', '/connectors/sink/pause')).status, 200);
  await waitFor(() => pausedIn(b), 'the other instance takes up the pause', 5_000);
  assert.equal((await b.post(inbound('PAUSE-CLUSTER-1'))).status, 200);
  await pause(0.5);
  assert.equal(sink.requests.length, 0, 'neither instance sends while paused');

  assert.equal((await admin(a)('POST', '/connectors/sink/resume')).status, 200);
  await waitFor(() => sink.requests.length === 1, 'delivered once resumed', 5_000);
  await waitFor(async () => !(await pausedIn(b)), 'the other instance takes up the resume', 5_000);
});
