import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshSchema, POSTGRES_URL } from '../testkit/postgres.ts';
import { storeContract } from './store-contract.ts';

const schemas: { drop(): Promise<void> }[] = [];
after(async () => {
  for (const schema of schemas) await schema.drop();
});

async function open(): Promise<Store> {
  const schema = freshSchema();
  schemas.push(schema);
  return PostgresStore.open({ url: schema.url });
}

storeContract('postgres', open);

test('postgres: instances starting at once migrate once, and share the data', async () => {
  const schema = freshSchema();
  schemas.push(schema);
  const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ url: schema.url })));
  try {
    await stores[0]!.appendWebhooks([
      { body: '{}', receivedAt: 1, events: [{ id: 'shared', event: 'e', itemIndex: 0 }] },
    ]);
    assert.ok(await stores[2]!.getEvent('shared'));
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
});

test('postgres: two instances never claim the same delivery, and unrouted events go to one of them', async () => {
  const schema = freshSchema();
  schemas.push(schema);
  const [a, b] = await Promise.all([PostgresStore.open({ url: schema.url }), PostgresStore.open({ url: schema.url })]);
  try {
    await a!.appendWebhooks([
      {
        body: '[]',
        receivedAt: 1,
        events: Array.from({ length: 40 }, (_, i) => ({ id: `e${i}`, event: 'e', itemIndex: i })),
      },
    ]);
    const [takenA, takenB] = await Promise.all([a!.takeUnrouted(25), b!.takeUnrouted(25)]);
    assert.equal(takenA.length + takenB.length, 40);
    assert.equal(new Set([...takenA, ...takenB].map((event) => event.id)).size, 40);
    await a!.planDeliveries(
      [...takenA, ...takenB].map((event) => ({ eventSeq: event.seq, deliveries: [{ connector: 'sink', route: 'r' }] })),
      1,
    );
    const claims = await Promise.all(
      [a, b, a, b].map((store) =>
        store!.claimDue({ connector: 'sink', limit: 15, now: 2, leaseMs: 10_000, orderByChat: false }),
      ),
    );
    const ids = claims.flat().map((delivery) => delivery.id);
    assert.equal(ids.length, 40);
    assert.equal(new Set(ids).size, 40);
  } finally {
    await a!.close();
    await b!.close();
  }
});

test('postgres: the rate limit is one bucket for every instance', async () => {
  const schema = freshSchema();
  schemas.push(schema);
  const [a, b] = await Promise.all([PostgresStore.open({ url: schema.url }), PostgresStore.open({ url: schema.url })]);
  try {
    await a!.appendWebhooks([
      {
        body: '[]',
        receivedAt: 1,
        events: Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, event: 'e', itemIndex: i })),
      },
    ]);
    const events = await a!.takeUnrouted(30);
    await a!.planDeliveries(
      events.map((event) => ({ eventSeq: event.seq, deliveries: [{ connector: 'slow', route: 'r' }] })),
      1,
    );
    const request = { connector: 'slow', limit: 30, now: 1_000, leaseMs: 10_000, orderByChat: false, ratePerSec: 5 };
    const first = await Promise.all([a!.claimDue(request), b!.claimDue(request)]);
    assert.equal(first.flat().length, 5, 'one second of burst across both instances');
    const later = await Promise.all([a!.claimDue({ ...request, now: 2_000 }), b!.claimDue({ ...request, now: 2_000 })]);
    assert.equal(later.flat().length, 5, 'refilled at 5 per second');
  } finally {
    await a!.close();
    await b!.close();
  }
});

test('postgres: LISTEN/NOTIFY wakes other instances', async () => {
  const schema = freshSchema();
  schemas.push(schema);
  const [a, b] = await Promise.all([PostgresStore.open({ url: schema.url }), PostgresStore.open({ url: schema.url })]);
  const heard: string[] = [];
  const unsubscribe = await b!.subscribe!({
    eventsStored: () => heard.push('events'),
    deliveriesPlanned: (connectors) => heard.push(`deliveries:${connectors.join(',')}`),
  });
  try {
    await a!.appendWebhooks([{ body: '{}', receivedAt: 1, events: [{ id: 'n1', event: 'e', itemIndex: 0 }] }]);
    const [event] = await a!.takeUnrouted(1);
    await a!.planDeliveries([{ eventSeq: event!.seq, deliveries: [{ connector: 'sink', route: 'r' }] }], 1);
    const deadline = Date.now() + 5_000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(heard, ['events', 'deliveries:sink']);
  } finally {
    await unsubscribe();
    await a!.close();
    await b!.close();
  }
});

test('postgres: a webhook the database refuses fails alone; the others of its group commit are stored', async () => {
  const store = await open();
  try {
    const hook = (id: string) => ({ body: '{}', receivedAt: 1, events: [{ id, event: 'e', itemIndex: 0 }] });
    // PostgreSQL text cannot hold a NUL character: the whole group statement fails for this one.
    const results = await Promise.allSettled([
      store.appendWebhooks([hook('ok-1')]),
      store.appendWebhooks([hook('bad-\u0000')]),
      store.appendWebhooks([hook('ok-2')]),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok(await store.getEvent('ok-1'));
    assert.ok(await store.getEvent('ok-2'));
    assert.equal((await store.stats()).events, 2);
  } finally {
    await store.close();
  }
});

test('postgres: a database made before attempts kept their exchange is upgraded in place, its attempts kept', async () => {
  const pg = (await import('pg')).default;
  const { MIGRATIONS } = await import('../../src/store/postgres/schema.ts');
  const schema = freshSchema();
  schemas.push(schema);
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema.schema}; SET search_path TO ${schema.schema}`);
    await client.query(
      'CREATE TABLE wa_router_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    for (const [index, migration] of MIGRATIONS.slice(0, -1).entries()) {
      await client.query(migration);
      await client.query('INSERT INTO wa_router_migrations (version) VALUES ($1)', [index + 1]);
    }
    await client.query(`INSERT INTO webhooks VALUES (1, 1, '{}');
      INSERT INTO events (seq, id, webhook_seq, item_index, event, received_at) VALUES (1, 'old', 1, 0, 'e', 1);
      INSERT INTO deliveries (id, event_seq, connector, route, status, attempts, next_at, created_at, updated_at)
        VALUES (1, 1, 'sink', 'r', 'pending', 1, 1, 1, 1);
      INSERT INTO attempts VALUES (1, 1, 1, 5, 'retry', 'HTTP 500', NULL);`);
  } finally {
    await client.end();
  }
  const store = await PostgresStore.open({ url: schema.url });
  try {
    const [attempt] = await store.attemptsOf(['1']);
    assert.equal(attempt?.error, 'HTTP 500');
    assert.equal(attempt?.exchange, undefined);
    await store.claimDue({ connector: 'sink', limit: 1, now: 2, leaseMs: 10_000, orderByChat: false });
    const exchange = { response: { status: 200, headers: {} } };
    await store.recordResults([
      { id: '1', attempt: 2, startedAt: 2, durationMs: 1, outcome: 'delivered', status: 'delivered', exchange },
    ]);
    assert.deepEqual((await store.attemptsOf(['1']))[1]?.exchange, exchange);
  } finally {
    await store.close();
  }
});
