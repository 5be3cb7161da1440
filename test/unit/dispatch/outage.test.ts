import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide } from '../../../src/dispatch/backoff.ts';
import { Inbox } from '../../../src/dispatch/inbox.ts';
import {
  FIRST_PROBE_MS,
  MAX_PROBE_MS,
  OPEN_AFTER,
  OutageTracker,
  PROBE_ROTATION_MS,
} from '../../../src/dispatch/outage.ts';
import { DEFAULT_DELIVERY_POLICY } from '../../../src/sdk/connector.ts';
import { delivered, retry, unreachable } from '../../../src/sdk/outcome.ts';
import type { ClaimedDelivery } from '../../../src/store/store.ts';

const down = unreachable('connect ECONNREFUSED');

test('an outage opens after OPEN_AFTER unreachable outcomes in a row, and a plain retry resets the count', () => {
  const tracker = new OutageTracker();
  for (let n = 1; n < OPEN_AFTER; n++) assert.equal(tracker.record([down], 0, false), undefined);
  assert.equal(tracker.record([retry('HTTP 500')], 0, false), undefined, 'a 500 is not an outage');
  for (let n = 1; n < OPEN_AFTER; n++) tracker.record([down], 0, false);
  assert.equal(tracker.isDown, false);
  assert.equal(tracker.record([down], 1_000, false), 'began');
  assert.equal(tracker.isDown, true);
  assert.equal(tracker.allowance(1_000), 0, 'nothing goes before the first probe time');
  assert.equal(tracker.allowance(1_000 + FIRST_PROBE_MS), 1, 'then one probe');
});

test('only failed probes lengthen the wait, up to MAX_PROBE_MS; Retry-After is honoured; any other outcome ends it', () => {
  const tracker = new OutageTracker();
  tracker.record(Array(OPEN_AFTER).fill(down), 0, false);
  tracker.record([down, down], 10, false); // batches already in flight when it began
  assert.equal(tracker.probeAt, FIRST_PROBE_MS);
  let now = tracker.probeAt;
  const waits: number[] = [];
  for (let n = 0; n < 6; n++) {
    assert.equal(tracker.allowance(now), 1);
    tracker.probeSent();
    assert.equal(tracker.allowance(now), 0, 'one probe at a time');
    tracker.record([down], now, true);
    waits.push(tracker.probeAt - now);
    now = tracker.probeAt;
  }
  assert.deepEqual(waits, [1_000, 2_000, MAX_PROBE_MS, MAX_PROBE_MS, MAX_PROBE_MS, MAX_PROBE_MS]);
  tracker.probeSent();
  tracker.record([unreachable('HTTP 503', 9_000)], now, true);
  assert.equal(tracker.probeAt - now, 9_000);
  tracker.probeSent();
  assert.equal(tracker.record([delivered('200')], now, true), 'ended');
  assert.equal(tracker.isDown, false);
  assert.equal(tracker.allowance(now), undefined, 'healthy: no limit');
});

test('decide: an unreachable retry while the connector is down never dead-letters and stays due', () => {
  const policy = { ...DEFAULT_DELIVERY_POLICY, maxAttempts: 3 };
  const context = { attempt: 50, receivedAt: 0, now: 1_000, policy };
  assert.deepEqual(decide(down, { ...context, connectorDown: true }), {
    status: 'pending',
    nextAt: 1_000 + PROBE_ROTATION_MS,
    error: 'connect ECONNREFUSED',
  });
  assert.equal(decide(down, context).status, 'dead', 'while healthy, attempts count as always');
  assert.equal(decide(retry('HTTP 500'), { ...context, connectorDown: true }).status, 'dead');
});

test('inbox: oldest first; a delivery whose lease cannot cover its deadline any more is dropped, not sent', () => {
  const inbox = new Inbox(1_000);
  const item = (id: string, leaseUntil: number) => ({ id, leaseUntil }) as unknown as ClaimedDelivery;
  inbox.push([item('a', 5_000), item('b', 1_500), item('c', 9_000)]);
  assert.deepEqual(
    inbox.take(10, 1_000).map((d) => d.id),
    ['a', 'c'],
  );
  assert.equal(inbox.size, 0);
  inbox.push([item('d', 9_000), item('e', 9_000)]);
  assert.deepEqual(
    inbox.take(1, 0).map((d) => d.id),
    ['d'],
  );
  assert.deepEqual(
    inbox.takeAll().map((d) => d.id),
    ['e'],
  );
});
