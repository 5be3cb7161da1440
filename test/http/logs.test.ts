import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const lines = (t: TestRouter, msg: string) => t.logs.filter((line) => line.msg === msg);

describe('log lines of the webhook receiver', () => {
  let t: TestRouter;
  before(async () => {
    t = await startTestRouter(SERVER_YAML);
  });
  after(() => t.close());

  test('levels are written as names, not numbers', async () => {
    assert.ok(t.logs.length > 0);
    for (const line of t.logs) assert.match(String(line.level), /^(trace|debug|info|warn|error|fatal)$/);
    assert.ok(t.rawLogs.some((raw) => raw.includes('"level":"info"')));
  });

  test('every answer carries an X-Request-Id; a plain one from a proxy is kept, anything else replaced', async () => {
    const own = await t.post(fixture('message-in-new'));
    assert.match(own.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const kept = await t.post(fixture('message-in-new'), { headers: { 'x-request-id': 'lb-7f3a.42' } });
    assert.equal(kept.headers.get('x-request-id'), 'lb-7f3a.42');
    const forged = await t.post(fixture('message-in-new'), { headers: { 'x-request-id': 'a"b\\nfake' } });
    assert.match(forged.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const health = await fetch(`${t.url}/healthz`);
    assert.match(health.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('an accepted webhook: one info line with status, items, duration, client and request id', async () => {
    const response = await t.post(fixture('message-out-ack'), { headers: { 'x-request-id': 'req-accepted-1' } });
    assert.equal(response.status, 200);
    const line = await waitFor(
      () => lines(t, 'Webhook accepted.').find((entry) => entry.requestId === 'req-accepted-1'),
      'the access line',
    );
    assert.equal(line.level, 'info');
    assert.equal(line.status, 200);
    assert.equal(line.items, 1);
    assert.equal(line.accepted, 1);
    assert.deepEqual(line.events, ['message:out:ack']);
    assert.equal(typeof line.durationMs, 'number');
    assert.match(String(line.client), /127\.0\.0\.1/);
  });

  test('"Webhook rejected." says why (status, error, reason, the paths of the problems) and from where', async () => {
    const response = await t.post(
      { event: 'message:in:new', device: { id: 'dev1' }, data: 'not an object' },
      { headers: { 'x-request-id': 'req-rejected-1' } },
    );
    assert.equal(response.status, 400);
    const line = await waitFor(
      () => lines(t, 'Webhook rejected.').find((entry) => entry.requestId === 'req-rejected-1'),
      'the rejection line',
    );
    assert.equal(line.level, 'info');
    assert.equal(line.status, 400);
    assert.equal(line.error, 'invalid_payload');
    assert.match(String(line.reason), /data: expected an object/);
    assert.deepEqual(line.issues, ['data']);
    assert.match(String(line.client), /127\.0\.0\.1/);

    await t.post('{"not json', { headers: { 'x-request-id': 'req-rejected-2' } });
    const syntax = await waitFor(
      () => lines(t, 'Webhook rejected.').find((entry) => entry.requestId === 'req-rejected-2'),
      'the JSON rejection line',
    );
    assert.equal(syntax.error, 'invalid_json');
    assert.ok(!JSON.stringify(syntax).includes('not json'), 'the body is not quoted in the log');

    const wrongKey = await t.post(fixture('message-in-new'), { key: 'wrong-key-123' });
    assert.equal(wrongKey.status, 401);
    const unauthorized = await waitFor(
      () => lines(t, 'Webhook rejected.').find((entry) => entry.requestId === wrongKey.headers.get('x-request-id')),
      'the 401 line',
    );
    assert.equal(unauthorized.status, 401);
    assert.ok(!JSON.stringify(unauthorized).includes('wrong-key-123'));
  });
});

describe('log.access', () => {
  test('false: no access line, rejections still logged; 0.5: about half the webhooks', async () => {
    const off = await startTestRouter(`${SERVER_YAML}\nlog: { access: false }\n`);
    try {
      assert.equal((await off.post(fixture('message-in-new'))).status, 200);
      assert.equal((await off.post('[]')).status, 400);
      await waitFor(() => lines(off, 'Webhook rejected.').length === 1, 'the rejection line');
      assert.equal(lines(off, 'Webhook accepted.').length, 0);
    } finally {
      await off.close();
    }
    const half = await startTestRouter(`${SERVER_YAML}\nlog: { access: 0.5 }\n`);
    try {
      const base = JSON.parse(fixture('message-in-new')) as { data: Record<string, unknown> };
      for (let n = 0; n < 40; n++) {
        const response = await half.post({ ...base, data: { ...base.data, id: `SAMPLE-${n}` } });
        assert.equal(response.status, 200);
      }
      const logged = lines(half, 'Webhook accepted.').length;
      // Odds of 0 or 40 out of 40 at one half: 2^-39.
      assert.ok(logged > 0 && logged < 40, `${logged} of 40 logged`);
    } finally {
      await half.close();
    }
  });
});
