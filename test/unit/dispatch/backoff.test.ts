import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_RETRY_DELAY_MS, backoffDelay, decide } from '../../../src/dispatch/backoff.ts';
import { TokenBucket } from '../../../src/dispatch/token-bucket.ts';
import { DEFAULT_DELIVERY_POLICY } from '../../../src/sdk/connector.ts';
import { parseRetryAfter } from '../../../src/sdk/http.ts';

const policy = {
  ...DEFAULT_DELIVERY_POLICY,
  backoffBaseMs: 1_000,
  maxBackoffMs: 60_000,
  maxAttempts: 5,
  maxAgeMs: 3_600_000,
};

test('full jitter: the ceiling doubles per attempt up to the cap, with a floor', () => {
  assert.equal(
    backoffDelay(1, policy, () => 1),
    1_000,
  );
  assert.equal(
    backoffDelay(3, policy, () => 1),
    4_000,
  );
  assert.equal(
    backoffDelay(20, policy, () => 1),
    60_000,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0.5),
    2_000,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0),
    MIN_RETRY_DELAY_MS,
  );
});

test('retry waits at least Retry-After, even when the backoff is shorter', () => {
  const decision = decide(
    { status: 'retry', reason: 'HTTP 429', retryAfterMs: 30_000 },
    { attempt: 1, receivedAt: 0, now: 1_000, policy, random: () => 0.1 },
  );
  assert.deepEqual(decision, { status: 'pending', nextAt: 31_000, error: 'HTTP 429' });
});

test('retry becomes a dead letter after maxAttempts, or past maxAge, with the last reason', () => {
  assert.deepEqual(decide({ status: 'retry', reason: 'HTTP 500' }, { attempt: 5, receivedAt: 0, now: 1_000, policy }), {
    status: 'dead',
    error: 'gave up after 5 attempts: HTTP 500',
  });
  const old = decide(
    { status: 'retry', reason: 'HTTP 500' },
    { attempt: 2, receivedAt: 0, now: 3_599_900, policy, random: () => 1 },
  );
  assert.equal(old.status, 'dead');
  assert.match(old.error ?? '', /older than 3600000 ms.*HTTP 500/);
});

test('failed is a dead letter at once; skipped and delivered are final', () => {
  assert.deepEqual(decide({ status: 'failed', reason: 'HTTP 400' }, { attempt: 1, receivedAt: 0, now: 0, policy }), {
    status: 'dead',
    error: 'HTTP 400',
  });
  assert.deepEqual(decide({ status: 'skipped', reason: 'no CRM id' }, { attempt: 1, receivedAt: 0, now: 0, policy }), {
    status: 'skipped',
    error: 'no CRM id',
  });
  assert.deepEqual(decide({ status: 'delivered', ref: '42' }, { attempt: 1, receivedAt: 0, now: 0, policy }), {
    status: 'delivered',
    ref: '42',
  });
});

test('Retry-After: seconds, HTTP dates, garbage, and a cap', () => {
  assert.equal(parseRetryAfter('2'), 2_000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('999999999'), 3_600_000);
});

test('token bucket: one second of burst, refilled at the rate; 0 is unlimited', () => {
  const bucket = new TokenBucket(2, 0);
  assert.equal(bucket.available(0), 2);
  bucket.take(2, 0);
  assert.equal(bucket.available(0), 0);
  assert.equal(bucket.waitMs(0), 500);
  assert.equal(bucket.available(500), 1);
  assert.equal(new TokenBucket(0, 0).available(0), Infinity);
});
