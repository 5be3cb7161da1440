import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncomingWebhook, Store, StoredEvent } from '../../src/store/store.ts';

/**
 * The behaviour every store adapter must have. Each adapter's test file calls this with a factory
 * that returns a fresh, empty store.
 */
export function storeContract(name: string, open: () => Promise<Store>): void {
  const webhook = (ids: string[], receivedAt = 1_000, chat = 'c1'): IncomingWebhook => ({
    body: JSON.stringify(ids.map((id) => ({ event: 'message:in:new', data: { id } }))),
    receivedAt,
    events: ids.map((id, itemIndex) => ({ id, event: 'message:in:new', itemIndex, chatId: chat })),
  });

  async function withStore(run: (store: Store) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await run(store);
    } finally {
      await store.close();
    }
  }

  /** Plan one delivery per unrouted event (or per given event: taking unrouted events may lease them). */
  async function routeAll(store: Store, connector: string, now: number, chatKey?: (seq: number) => string, taken?: StoredEvent[]): Promise<void> {
    const events = taken ?? (await store.takeUnrouted(1000));
    await store.planDeliveries(
      events.map((event) => ({ eventSeq: event.seq, deliveries: [{ connector, route: 'r1', params: { n: 1 }, chatKey: chatKey?.(event.seq) }] })),
      now,
    );
  }

  test(`${name}: appends events once, duplicates counted, raw body kept`, () =>
    withStore(async (store) => {
      const [first, second] = await store.appendWebhooks([webhook(['a', 'b']), webhook(['b', 'c'])]);
      assert.deepEqual(first, { accepted: 2, duplicates: 0 });
      assert.deepEqual(second, { accepted: 1, duplicates: 1 });
      const [again] = await store.appendWebhooks([webhook(['a'])]);
      assert.deepEqual(again, { accepted: 0, duplicates: 1 });
      const unrouted = await store.takeUnrouted(10);
      assert.deepEqual(unrouted.map((event) => event.id), ['a', 'b', 'c']);
      assert.equal(JSON.parse(unrouted[2]!.body)[1].data.id, 'c');
      assert.equal(unrouted[2]!.itemIndex, 1);
    }));

  test(`${name}: planning marks events routed; concurrent appends all land`, () =>
    withStore(async (store) => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendWebhooks([webhook([`e${i}`])])));
      assert.equal(results.reduce((sum, [result]) => sum + result!.accepted, 0), 50);
      await routeAll(store, 'sink', 1_000);
      assert.equal((await store.takeUnrouted(100)).length, 0);
      const stats = await store.stats();
      assert.equal(stats.events, 50);
      assert.equal(stats.byConnector.sink?.pending, 50);
    }));

  test(`${name}: claims lease due deliveries once, results release them`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b', 'c'])]);
      await routeAll(store, 'sink', 1_000);
      const claimed = await store.claimDue({ connector: 'sink', limit: 2, now: 1_000, leaseMs: 30_000, orderByChat: false });
      assert.deepEqual(claimed.map((d) => [d.eventId, d.attempt, d.params]), [['a', 1, { n: 1 }], ['b', 1, { n: 1 }]]);
      const rest = await store.claimDue({ connector: 'sink', limit: 10, now: 1_000, leaseMs: 30_000, orderByChat: false });
      assert.deepEqual(rest.map((d) => d.eventId), ['c']);
      assert.equal((await store.claimDue({ connector: 'sink', limit: 10, now: 2_000, leaseMs: 30_000, orderByChat: false })).length, 0);
      await store.recordResults([
        { id: claimed[0]!.id, attempt: 1, startedAt: 1_000, durationMs: 5, outcome: 'delivered', status: 'delivered', ref: '200' },
        { id: claimed[1]!.id, attempt: 1, startedAt: 1_000, durationMs: 5, outcome: 'retry', status: 'pending', nextAt: 5_000, error: 'HTTP 500' },
      ]);
      assert.equal(await store.nextDueAt('sink'), 5_000);
      assert.equal((await store.claimDue({ connector: 'sink', limit: 10, now: 4_999, leaseMs: 30_000, orderByChat: false })).length, 0);
      const retried = await store.claimDue({ connector: 'sink', limit: 10, now: 5_000, leaseMs: 30_000, orderByChat: false });
      assert.deepEqual(retried.map((d) => [d.eventId, d.attempt]), [['b', 2]]);
      const views = await store.listDeliveries({ eventId: 'a', limit: 10 });
      assert.deepEqual(views.map((v) => [v.status, v.ref]), [['delivered', '200']]);
    }));

  test(`${name}: expired leases are taken again`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a'])]);
      await routeAll(store, 'sink', 1_000);
      assert.equal((await store.claimDue({ connector: 'sink', limit: 1, now: 1_000, leaseMs: 10_000, orderByChat: false })).length, 1);
      assert.equal((await store.claimDue({ connector: 'sink', limit: 1, now: 5_000, leaseMs: 10_000, orderByChat: false })).length, 0);
      const again = await store.claimDue({ connector: 'sink', limit: 1, now: 11_000, leaseMs: 10_000, orderByChat: false });
      assert.equal(again[0]?.attempt, 2);
    }));

  test(`${name}: per-chat order holds one delivery per chat and lets no later one overtake`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a1', 'a2'], 1_000, 'A'), webhook(['b1'], 1_000, 'B')]);
      const events = await store.takeUnrouted(10);
      const chatOf = new Map(events.map((event) => [event.seq, event.id[0]!]));
      await routeAll(store, 'sink', 1_000, (seq) => chatOf.get(seq)!, events);
      const first = await store.claimDue({ connector: 'sink', limit: 10, now: 1_000, leaseMs: 10_000, orderByChat: true });
      assert.deepEqual(first.map((d) => d.eventId), ['a1', 'b1']);
      await store.recordResults([{ id: first[0]!.id, attempt: 1, startedAt: 1_000, durationMs: 1, outcome: 'retry', status: 'pending', nextAt: 9_000 }]);
      assert.deepEqual((await store.claimDue({ connector: 'sink', limit: 10, now: 2_000, leaseMs: 10_000, orderByChat: true })).length, 0);
      const next = await store.claimDue({ connector: 'sink', limit: 10, now: 9_000, leaseMs: 10_000, orderByChat: true });
      assert.deepEqual(next.map((d) => d.eventId), ['a1']);
    }));

  test(`${name}: dead letters are listed and replayed; replaying events re-plans deliveries`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b'], 1_000), webhook(['c'], 50_000)]);
      await routeAll(store, 'sink', 1_000);
      const claimed = await store.claimDue({ connector: 'sink', limit: 10, now: 1_000, leaseMs: 10_000, orderByChat: false });
      await store.recordResults(claimed.map((d) => ({ id: d.id, attempt: 1, startedAt: 1_000, durationMs: 1, outcome: 'failed' as const, status: 'dead' as const, error: 'HTTP 400' })));
      const dead = await store.listDeliveries({ status: 'dead', limit: 10 });
      assert.equal(dead.length, 3);
      assert.equal(dead[0]!.lastError, 'HTTP 400');
      assert.equal(await store.replayDeadLetters({ ids: [dead[0]!.id] }, 2_000), 1);
      assert.equal(await store.replayDeadLetters({ connector: 'sink' }, 2_000), 2);
      const replayed = await store.claimDue({ connector: 'sink', limit: 10, now: 2_000, leaseMs: 10_000, orderByChat: false });
      assert.deepEqual(replayed.map((d) => d.attempt), [1, 1, 1]);
      await store.recordResults(replayed.map((d) => ({ id: d.id, attempt: 1, startedAt: 2_000, durationMs: 1, outcome: 'delivered' as const, status: 'delivered' as const })));
      assert.equal(await store.replayEvents({ since: 40_000 }), 1);
      const again = await store.takeUnrouted(10);
      assert.deepEqual(again.map((event) => event.id), ['c']);
      await routeAll(store, 'sink', 3_000, undefined, again);
      assert.deepEqual((await store.claimDue({ connector: 'sink', limit: 10, now: 3_000, leaseMs: 10_000, orderByChat: false })).map((d) => d.eventId), ['c']);
    }));

  test(`${name}: prune deletes finished events past retention and keeps the rest`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['old'], 1_000), webhook(['new'], 100_000), webhook(['waiting'], 1_000)]);
      const events = await store.takeUnrouted(10);
      await store.planDeliveries(events.map((event) => ({ eventSeq: event.seq, deliveries: [{ connector: 'sink', route: 'r' }] })), 1_000);
      const claimed = await store.claimDue({ connector: 'sink', limit: 2, now: 1_000, leaseMs: 1_000, orderByChat: false });
      await store.recordResults(claimed.map((d) => ({ id: d.id, attempt: 1, startedAt: 1_000, durationMs: 1, outcome: 'delivered' as const, status: 'delivered' as const })));
      assert.deepEqual(await store.prune({ deliveredBefore: 50_000, deadBefore: 50_000 }), { events: 1 });
      assert.equal(await store.getEvent('old'), undefined);
      assert.ok(await store.getEvent('new'));
      assert.ok(await store.getEvent('waiting'));
    }));

  test(`${name}: connector state survives and overwrites`, () =>
    withStore(async (store) => {
      assert.equal(await store.stateGet('slack', 'thread:c1'), undefined);
      await store.stateSet('slack', 'thread:c1', '1.1');
      await store.stateSet('slack', 'thread:c1', '2.2');
      assert.equal(await store.stateGet('slack', 'thread:c1'), '2.2');
    }));
}
