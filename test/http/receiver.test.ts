import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SECRET, SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';

describe('webhook receiver', () => {
  let t: TestRouter;
  before(async () => {
    t = await startTestRouter(`${SERVER_YAML}  bodyLimit: 64kb\n`);
  });
  after(() => t.close());

  const stored = async (): Promise<number> => (await t.router.store.stats()).events;

  test('accepts the object envelope with ?key= and stores the event', async () => {
    const response = await t.post(fixture('message-in-new'));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true, accepted: 1, duplicates: 0 });
  });

  test('a redelivered webhook answers 200 and is stored once', async () => {
    const before = await stored();
    const first = await t.post(fixture('message-out-new'));
    const second = await t.post(fixture('message-out-new'));
    assert.deepEqual(await first.json(), { ok: true, accepted: 1, duplicates: 0 });
    assert.deepEqual(await second.json(), { ok: true, accepted: 0, duplicates: 1 });
    assert.equal(await stored(), before + 1);
  });

  test('accepts the secret in the X-Webhook-Secret header', async () => {
    const body = JSON.parse(fixture('message-out-ack')) as { ack: string; data: { ack: string } };
    body.ack = body.data.ack = 'played';
    const response = await t.post(body, { key: null, headers: { 'x-webhook-secret': SECRET } });
    assert.equal(response.status, 200);
  });

  test('splits the array envelope into one event per item', async () => {
    const [item] = JSON.parse(fixture('message-out-failed')) as Record<string, unknown>[];
    const items = [0, 1, 2].map((n) => ({
      ...item,
      entityId: `5bf612faa893b0001${n}`,
      data: { ...(item!.data as object), id: `5bf612faa893b0001${n}` },
    }));
    const response = await t.post(items);
    assert.deepEqual(await response.json(), { ok: true, accepted: 3, duplicates: 0 });
  });

  test('refuses an array of more than 25 items with 400 and stores nothing', async () => {
    const before = await stored();
    const items = Array.from({ length: 26 }, (_, n) => ({ event: 'message:out:failed', data: { id: `x${n}` } }));
    const response = await t.post(items);
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: string; message: string };
    assert.equal(body.error, 'invalid_payload');
    assert.match(body.message, /25/);
    assert.equal(await stored(), before);
  });

  test('stores unknown event names (routes may match them)', async () => {
    const response = await t.post({ event: 'number:session', data: { status: 'online' }, device: { id: 'dev1' } });
    assert.deepEqual(await response.json(), { ok: true, accepted: 1, duplicates: 0 });
  });

  test('401 without or with a wrong secret, and nothing is stored', async () => {
    const before = await stored();
    const missing = await t.post(fixture('message-in-new'), { key: null });
    const wrong = await t.post(fixture('message-in-new'), { key: `${SECRET}x` });
    assert.equal(missing.status, 401);
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'unauthorized');
    assert.equal(await stored(), before);
  });

  test('415 for a body that is not JSON by content type', async () => {
    const response = await t.post('event=x', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(response.status, 415);
    assert.match(((await response.json()) as { message: string }).message, /application\/json/);
  });

  test('413 for a body over the limit', async () => {
    const huge = JSON.stringify({ event: 'message:in:new', data: { id: 'big', body: 'x'.repeat(70 * 1024) } });
    const response = await t.post(huge);
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: string }).error, 'body_too_large');
  });

  test('400 for malformed JSON, saying where', async () => {
    const response = await t.post('{"event": "message:in:new", "data": {');
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: string; message: string };
    assert.equal(body.error, 'invalid_json');
    assert.match(body.message, /not valid JSON/);
  });

  test('400 for JSON that is not a Wassenger webhook, with the path of each problem', async () => {
    const response = await t.post({ event: 'message:in:new', data: { id: 'a', chat: { id: 42 } } });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { issues: { path: string; message: string }[] };
    assert.ok(
      body.issues.some((issue) => issue.path === 'data.chat.id'),
      JSON.stringify(body.issues),
    );
    const scalar = await t.post('"hello"');
    assert.equal(scalar.status, 400);
  });

  test('health and readiness', async () => {
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${t.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /wa_router_webhooks_total\{result="accepted"\} \d+/);
  });

  test('the secret never appears in the logs', () => {
    assert.ok(t.rawLogs.length > 0);
    assert.ok(t.rawLogs.every((line) => !line.includes(SECRET)));
  });
});

describe('store failures', () => {
  test('503 while the database is locked by another writer, 200 again once it is free', async () => {
    const t = await startTestRouter(`${SERVER_YAML}\nstore: sqlite:{{DIR}}/locked.db?busyTimeoutMs=100\n`);
    try {
      const blocker = new Database(join(t.dir, 'locked.db'));
      blocker.exec('BEGIN EXCLUSIVE');
      const blocked = await t.post(fixture('message-in-new'));
      assert.equal(blocked.status, 503);
      assert.equal(((await blocked.json()) as { error: string }).error, 'store_unavailable');
      blocker.exec('COMMIT');
      blocker.close();
      const retried = await t.post(fixture('message-in-new'));
      assert.equal(retried.status, 200);
      assert.deepEqual(await retried.json(), { ok: true, accepted: 1, duplicates: 0 });
    } finally {
      await t.close();
    }
  });
});
