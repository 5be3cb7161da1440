import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callConnector } from '../../../src/dispatch/call-connector.ts';
import type { Connector, Delivery } from '../../../src/sdk/connector.ts';

const batch = [{ id: '1' }, { id: '2' }] as unknown as Delivery[];
const connector = (answer: unknown): Connector => ({ deliver: async () => answer as never });
const quiet = () => {};

test('a wrong outcome shape is a connector bug: failed at once, saying what came back and what to return', async () => {
  for (const answer of [
    [{ outcome: 'delivered' }, { status: 'delivered' }],
    [{ status: 'retry' }, { status: 'delivered' }],
    [{ status: 'failed', reason: 42 }, { status: 'delivered' }],
  ]) {
    const [first, second] = await callConnector(connector(answer), batch, 1_000, quiet);
    assert.equal(first?.status, 'failed');
    assert.match((first as { reason: string }).reason, /^connector bug: returned \{.*\}; deliver\(\) must resolve/);
    assert.match((first as { reason: string }).reason, /delivered\(ref\?\), skipped\(reason\), retry\(reason/);
    assert.equal(second?.status, 'delivered');
  }
});

test('a wrong count or a non-array is a connector bug for every delivery; a throw and a timeout are retries', async () => {
  for (const answer of [[{ status: 'delivered' }], undefined, { status: 'delivered' }]) {
    const outcomes = await callConnector(connector(answer), batch, 1_000, quiet);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['failed', 'failed'],
    );
  }
  const thrown = await callConnector({ deliver: async () => Promise.reject(new Error('boom')) }, batch, 1_000, quiet);
  assert.deepEqual(
    thrown.map((o) => o.status),
    ['retry', 'retry'],
  );
  const hung = await callConnector({ deliver: () => new Promise(() => {}) }, batch, 50, quiet);
  assert.match((hung[0] as { reason: string }).reason, /timed out after 50 ms/);
});
