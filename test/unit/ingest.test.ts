/** Ingest decides routing in the webhook's transaction, and never refuses a webhook for a route's fault. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CompiledRoute } from '../../src/domain/route.ts';
import { createIngest } from '../../src/ingest/ingest.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const body = readFileSync(new URL('../fixtures/wassenger/message-in-new.json', import.meta.url), 'utf8');

function setup(routes: CompiledRoute[], leaseFor: (connector: string) => number | undefined = () => undefined) {
  const store = new SqliteStore({ path: ':memory:' });
  const seen = { leased: 0, planned: [] as string[], unmatched: 0 };
  const ingest = createIngest({
    store,
    routes: () => routes,
    dispatch: {
      leaseFor,
      offer: (deliveries) => {
        seen.leased += deliveries.length;
      },
      wake: (connectors) => {
        seen.planned.push(...connectors);
      },
    },
    onUnmatched: () => seen.unmatched++,
  });
  return { store, ingest, seen };
}

const route = (name: string, matches: CompiledRoute['matches'], connectors: string[]) =>
  ({
    name,
    matches,
    targets: connectors.map((connector) => ({ connector, rawParams: undefined, params: undefined })),
  }) as unknown as CompiledRoute;

test('ingest: deliveries are planned in the webhook transaction; leased ones are handed over with their event', async () => {
  const { store, ingest, seen } = setup([route('all', () => true, ['fast', 'slow'])], (connector) =>
    connector === 'fast' ? Date.now() + 60_000 : undefined,
  );
  const result = await ingest(body, new Date());
  assert.equal(result.ok, true);
  assert.equal(seen.leased, 1);
  assert.deepEqual(seen.planned, ['slow']);
  assert.equal((await store.takeUnrouted(10)).length, 0);
  assert.equal((await store.stats()).byConnector.slow?.pending, 1);
  await store.close();
});

test('ingest: an event no route matches is stored routed and counted', async () => {
  const { store, ingest, seen } = setup([route('none', () => false, ['x'])]);
  assert.equal((await ingest(body, new Date())).ok, true);
  assert.equal(seen.unmatched, 1);
  assert.equal((await store.takeUnrouted(10)).length, 0);
  await store.close();
});

test('ingest: a route that throws does not refuse the webhook; the event is stored unrouted for the routing stage', async () => {
  const { store, ingest, seen } = setup([
    route('broken', () => {
      throw new Error('boom');
    }, ['x']),
  ]);
  const result = await ingest(body, new Date());
  assert.equal(result.ok, true);
  assert.equal(seen.leased + seen.planned.length + seen.unmatched, 0);
  assert.equal((await store.takeUnrouted(10)).length, 1);
  await store.close();
});
