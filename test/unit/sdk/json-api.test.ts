import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '../../../src/sdk/index.ts';
import { HttpSink } from '../../testkit/http-sink.ts';

test('JSON-API helpers: the clear names work, and the deprecated ones still do for plugins', async () => {
  const sink = await HttpSink.start({ status: 429, headers: { 'retry-after': '2' }, body: '{"message":"slow down"}' });
  try {
    const client: sdk.ApiClient = { baseUrl: `${sink.url}/api`, headers: {}, service: 'Acme' };
    for (const [call, describe] of [
      [sdk.apiRequest, sdk.errorOutcome],
      [sdk.request, sdk.failure],
    ] as const) {
      const answer = await call(client, 'POST', '/notes', { a: 1 }, AbortSignal.timeout(5_000));
      assert.ok(answer.ok);
      const { exchange, ...outcome } = describe(client, answer.value, 'creating the note');
      assert.deepEqual(outcome, {
        status: 'retry',
        reason: 'Acme rate limit while creating the note (HTTP 429 slow down)',
        retryAfterMs: 2_000,
      });
      // The answer that decided it comes with it, for the event's timeline.
      assert.equal(exchange?.request?.url, `${sink.url}/api/notes`);
      assert.equal(exchange?.request?.body, '{"a":1}');
      assert.equal(exchange?.response?.status, 429);
      assert.equal(exchange?.response?.body, '{"message":"slow down"}');
    }
    assert.equal(sink.requests.length, 2);
    assert.deepEqual(sdk.ok(1), sdk.continueWith(1));
    assert.deepEqual(sdk.stop(sdk.retry('x'), false), sdk.endWith(sdk.retry('x'), false));
    const walked = await sdk.apiRequest(client, 'GET', '/contacts/..', undefined, AbortSignal.timeout(5_000));
    assert.equal(walked.ok, false);
    assert.equal(sink.requests.length, 2, 'a ".." segment is never sent');
  } finally {
    await sink.close();
  }
});
