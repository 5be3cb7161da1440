import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventSearch, IncomingWebhook, Store, StoredEvent } from '../../src/store/store.ts';

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
  async function routeAll(
    store: Store,
    connector: string,
    now: number,
    chatKey?: (seq: number) => string,
    taken?: StoredEvent[],
  ): Promise<void> {
    const events = taken ?? (await store.takeUnrouted(1000));
    await store.planDeliveries(
      events.map((event) => ({
        eventSeq: event.seq,
        deliveries: [{ connector, route: 'r1', params: { n: 1 }, chatKey: chatKey?.(event.seq) }],
      })),
      now,
    );
  }

  test(`${name}: appends events once, duplicates counted, raw body kept`, () =>
    withStore(async (store) => {
      const [first, second] = await store.appendWebhooks([webhook(['a', 'b']), webhook(['b', 'c'])]);
      assert.deepEqual(first, { accepted: 2, duplicates: 0, leased: [] });
      assert.deepEqual(second, { accepted: 1, duplicates: 1, leased: [] });
      const [again] = await store.appendWebhooks([webhook(['a'])]);
      assert.deepEqual(again, { accepted: 0, duplicates: 1, leased: [] });
      const unrouted = await store.takeUnrouted(10);
      assert.deepEqual(
        unrouted.map((event) => event.id),
        ['a', 'b', 'c'],
      );
      assert.equal(JSON.parse(unrouted[2]!.body)[1].data.id, 'c');
      assert.equal(unrouted[2]!.itemIndex, 1);
    }));

  test(`${name}: appends asked for at once (one commit for them all) each get their own result, as if one after the other`, () =>
    withStore(async (store) => {
      const leasedPlan = (hook: IncomingWebhook): IncomingWebhook => ({
        ...hook,
        events: hook.events.map((event) => ({
          ...event,
          plan: [{ connector: 'fast', route: 'r1', leaseUntil: 9_000 }],
        })),
      });
      const results = await Promise.all([
        store.appendWebhooks([leasedPlan(webhook(['g1', 'g2']))]),
        store.appendWebhooks([leasedPlan(webhook(['g2', 'g3'], 1_001))]),
        store.appendWebhooks([webhook(['g1'], 1_002)]),
      ]);
      assert.deepEqual(
        results.map(([result]) => [result!.accepted, result!.duplicates, result!.leased.map((d) => d.eventId)]),
        [
          [2, 0, ['g1', 'g2']],
          [1, 1, ['g3']],
          [0, 1, []],
        ],
      );
      assert.equal(results[1]![0]!.leased[0]!.receivedAt, 1_001);
      assert.equal(JSON.parse(results[1]![0]!.leased[0]!.body)[1].data.id, 'g3');
      assert.equal((await store.getEvent('g2'))!.receivedAt, 1_000, 'the first append of an id keeps it');
    }));

  test(`${name}: events planned at ingest are stored routed with their deliveries, leased ones returned ready to send`, () =>
    withStore(async (store) => {
      const planned = (ids: string[]) => ({
        ...webhook(ids),
        events: webhook(ids).events.map((event) => ({
          ...event,
          plan: [
            { connector: 'fast', route: 'r1', params: { n: 1 }, chatKey: 'chat-1', leaseUntil: 50_000 },
            { connector: 'slow', route: 'r1' },
          ],
        })),
      });
      // 'b' twice in one request and again later: one event, one set of deliveries.
      const [first] = await store.appendWebhooks([planned(['a', 'b', 'b'])]);
      const [again] = await store.appendWebhooks([planned(['b'])]);
      assert.equal(first!.accepted, 2);
      assert.deepEqual(again, { accepted: 0, duplicates: 1, leased: [] });
      assert.deepEqual(
        first!.leased.map((d) => [d.eventId, d.connector, d.route, d.params, d.attempt, d.itemIndex, d.leaseUntil]),
        [
          ['a', 'fast', 'r1', { n: 1 }, 1, 0, 50_000],
          ['b', 'fast', 'r1', { n: 1 }, 1, 1, 50_000],
        ],
      );
      assert.equal(JSON.parse(first!.leased[1]!.body)[1].data.id, 'b');
      assert.equal((await store.takeUnrouted(10)).length, 0, 'planned events are routed');
      // The leased ones are not claimable until their lease ends; the others are due now.
      assert.deepEqual(
        await store.claimDue({ connector: 'fast', limit: 10, now: 10_000, leaseMs: 1_000, orderByChat: false }),
        [],
      );
      const slow = await store.claimDue({
        connector: 'slow',
        limit: 10,
        now: 10_000,
        leaseMs: 1_000,
        orderByChat: false,
      });
      assert.deepEqual(
        slow.map((d) => [d.eventId, d.attempt]),
        [
          ['a', 1],
          ['b', 1],
        ],
      );
      const expired = await store.claimDue({
        connector: 'fast',
        limit: 10,
        now: 50_000,
        leaseMs: 1_000,
        orderByChat: false,
      });
      assert.deepEqual(
        expired.map((d) => [d.eventId, d.attempt]),
        [
          ['a', 2],
          ['b', 2],
        ],
      );
      // An event planned with no delivery (no route matched) is routed too.
      await store.appendWebhooks([
        { ...webhook(['none']), events: webhook(['none']).events.map((event) => ({ ...event, plan: [] })) },
      ]);
      assert.equal((await store.takeUnrouted(10)).length, 0);
      assert.equal((await store.stats()).events, 3);
    }));

  test(`${name}: planning marks events routed; concurrent appends all land`, () =>
    withStore(async (store) => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.appendWebhooks([webhook([`e${i}`])])),
      );
      assert.equal(
        results.reduce((sum, [result]) => sum + result!.accepted, 0),
        50,
      );
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
      const claimed = await store.claimDue({
        connector: 'sink',
        limit: 2,
        now: 1_000,
        leaseMs: 30_000,
        orderByChat: false,
      });
      assert.deepEqual(
        claimed.map((d) => [d.eventId, d.attempt, d.params]),
        [
          ['a', 1, { n: 1 }],
          ['b', 1, { n: 1 }],
        ],
      );
      const rest = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 1_000,
        leaseMs: 30_000,
        orderByChat: false,
      });
      assert.deepEqual(
        rest.map((d) => d.eventId),
        ['c'],
      );
      assert.equal(
        (await store.claimDue({ connector: 'sink', limit: 10, now: 2_000, leaseMs: 30_000, orderByChat: false }))
          .length,
        0,
      );
      await store.recordResults([
        {
          id: claimed[0]!.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 5,
          outcome: 'delivered',
          status: 'delivered',
          ref: '200',
        },
        {
          id: claimed[1]!.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 5,
          outcome: 'retry',
          status: 'pending',
          nextAt: 5_000,
          error: 'HTTP 500',
        },
      ]);
      assert.equal(await store.nextDueAt('sink'), 5_000);
      assert.equal(
        (await store.claimDue({ connector: 'sink', limit: 10, now: 4_999, leaseMs: 30_000, orderByChat: false }))
          .length,
        0,
      );
      const retried = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 5_000,
        leaseMs: 30_000,
        orderByChat: false,
      });
      assert.deepEqual(
        retried.map((d) => [d.eventId, d.attempt]),
        [['b', 2]],
      );
      const views = await store.listDeliveries({ eventId: 'a', limit: 10 });
      assert.deepEqual(
        views.map((v) => [v.status, v.ref]),
        [['delivered', '200']],
      );
    }));

  test(`${name}: expired leases are taken again`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a'])]);
      await routeAll(store, 'sink', 1_000);
      assert.equal(
        (await store.claimDue({ connector: 'sink', limit: 1, now: 1_000, leaseMs: 10_000, orderByChat: false })).length,
        1,
      );
      assert.equal(
        (await store.claimDue({ connector: 'sink', limit: 1, now: 5_000, leaseMs: 10_000, orderByChat: false })).length,
        0,
      );
      const again = await store.claimDue({
        connector: 'sink',
        limit: 1,
        now: 11_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      assert.equal(again[0]?.attempt, 2);
    }));

  test(`${name}: per-chat order holds one delivery per chat and lets no later one overtake`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a1', 'a2'], 1_000, 'A'), webhook(['b1'], 1_000, 'B')]);
      const events = await store.takeUnrouted(10);
      const chatOf = new Map(events.map((event) => [event.seq, event.id[0]!]));
      await routeAll(store, 'sink', 1_000, (seq) => chatOf.get(seq)!, events);
      const first = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: true,
      });
      assert.deepEqual(
        first.map((d) => d.eventId),
        ['a1', 'b1'],
      );
      await store.recordResults([
        {
          id: first[0]!.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 1,
          outcome: 'retry',
          status: 'pending',
          nextAt: 9_000,
        },
      ]);
      assert.deepEqual(
        (await store.claimDue({ connector: 'sink', limit: 10, now: 2_000, leaseMs: 10_000, orderByChat: true })).length,
        0,
      );
      const next = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 9_000,
        leaseMs: 10_000,
        orderByChat: true,
      });
      assert.deepEqual(
        next.map((d) => d.eventId),
        ['a1'],
      );
    }));

  test(`${name}: per-chat order with several per chat in one claim: each chat's share is its oldest, in order`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([
        webhook(['a1', 'a2', 'a3'], 1_000, 'A'),
        webhook(['b1', 'b2'], 1_000, 'B'),
        webhook(['c1'], 1_000, 'C'),
      ]);
      const events = await store.takeUnrouted(10);
      const chatOf = new Map(events.map((event) => [event.seq, event.id[0]!]));
      await routeAll(store, 'sink', 1_000, (seq) => chatOf.get(seq)!, events);
      const pendingOf = { a: ['a1', 'a2', 'a3'], b: ['b1', 'b2'], c: ['c1'] } as Record<string, string[]>;
      const first = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: true,
        maxPerChat: 2,
      });
      const ids = first.map((d) => d.eventId);
      for (const chat of ['a', 'b', 'c']) {
        const mine = ids.filter((id) => id.startsWith(chat));
        assert.ok(mine.length >= 1 && mine.length <= 2, `chat ${chat}: one or two taken (${ids.join(',')})`);
        assert.deepEqual(mine, pendingOf[chat]!.slice(0, mine.length), `chat ${chat}: its oldest, in order`);
      }
      assert.deepEqual(
        [...ids].sort(
          (x, y) => Number(first.find((d) => d.eventId === x)!.id) - Number(first.find((d) => d.eventId === y)!.id),
        ),
        ids,
        'oldest first',
      );
      // While they are leased, nothing more of those chats is taken.
      const rest = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 2_000,
        leaseMs: 10_000,
        orderByChat: true,
        maxPerChat: 2,
      });
      assert.deepEqual(rest, []);
    }));

  test(`${name}: dead letters are listed and replayed; replaying events re-plans deliveries`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b'], 1_000), webhook(['c'], 50_000)]);
      await routeAll(store, 'sink', 1_000);
      const claimed = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      await store.recordResults(
        claimed.map((d) => ({
          id: d.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 1,
          outcome: 'failed' as const,
          status: 'dead' as const,
          error: 'HTTP 400',
        })),
      );
      const dead = await store.listDeliveries({ status: 'dead', limit: 10 });
      assert.equal(dead.length, 3);
      assert.equal(dead[0]!.lastError, 'HTTP 400');
      assert.equal(await store.replayDeadLetters({ ids: [dead[0]!.id] }, 2_000), 1);
      assert.equal(await store.replayDeadLetters({ connector: 'sink' }, 2_000), 2);
      const replayed = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 2_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      assert.deepEqual(
        replayed.map((d) => d.attempt),
        [1, 1, 1],
      );
      await store.recordResults(
        replayed.map((d) => ({
          id: d.id,
          attempt: 1,
          startedAt: 2_000,
          durationMs: 1,
          outcome: 'delivered' as const,
          status: 'delivered' as const,
        })),
      );
      assert.equal(await store.replayEvents({ since: 40_000 }), 1);
      const again = await store.takeUnrouted(10);
      assert.deepEqual(
        again.map((event) => event.id),
        ['c'],
      );
      await routeAll(store, 'sink', 3_000, undefined, again);
      assert.deepEqual(
        (await store.claimDue({ connector: 'sink', limit: 10, now: 3_000, leaseMs: 10_000, orderByChat: false })).map(
          (d) => d.eventId,
        ),
        ['c'],
      );
    }));

  test(`${name}: prune deletes finished events past retention and keeps the rest`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['old'], 1_000), webhook(['new'], 100_000), webhook(['waiting'], 1_000)]);
      const events = await store.takeUnrouted(10);
      await store.planDeliveries(
        events.map((event) => ({ eventSeq: event.seq, deliveries: [{ connector: 'sink', route: 'r' }] })),
        1_000,
      );
      const claimed = await store.claimDue({
        connector: 'sink',
        limit: 2,
        now: 1_000,
        leaseMs: 1_000,
        orderByChat: false,
      });
      await store.recordResults(
        claimed.map((d) => ({
          id: d.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 1,
          outcome: 'delivered' as const,
          status: 'delivered' as const,
        })),
      );
      assert.deepEqual(await store.prune({ deliveredBefore: 50_000, deadBefore: 50_000 }), { events: 1 });
      assert.equal(await store.getEvent('old'), undefined);
      assert.ok(await store.getEvent('new'));
      assert.ok(await store.getEvent('waiting'));
    }));

  const searchable = (
    id: string,
    receivedAt: number,
    event: string,
    chatId: string | undefined,
    contactPhone: string | undefined,
  ): IncomingWebhook => ({
    body: JSON.stringify({ event, data: { id } }),
    receivedAt,
    events: [{ id, event, itemIndex: 0, chatId, contactPhone }],
  });

  test(`${name}: searchEvents filters by type, chat, phone, text, time and delivery status, newest first, paged`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([
        searchable('e1', 1_000, 'message:in:new', '111@c.us', '+111'),
        searchable('e2', 2_000, 'message:out:ack', '111@c.us', '+111'),
        searchable('e3', 3_000, 'message:in:new', '222@c.us', '+1 (222) 0'),
        searchable('e4', 4_000, 'chat:update', undefined, undefined),
        searchable('e5', 5_000, 'message:in:new', '111@c.us', '+111'),
      ]);
      const ids = async (query: Partial<EventSearch>) =>
        (await store.searchEvents({ limit: 50, ...query })).events.map((event) => event.id);
      assert.deepEqual(await ids({}), ['e5', 'e4', 'e3', 'e2', 'e1']);
      assert.deepEqual(await ids({ event: 'message:in:new' }), ['e5', 'e3', 'e1']);
      assert.deepEqual(await ids({ chatId: '111@c.us' }), ['e5', 'e2', 'e1']);
      assert.deepEqual(await ids({ contactPhone: '12220' }), ['e3'], 'phones compare by their digits');
      assert.deepEqual(await ids({ contactPhone: '+1 222-0' }), ['e3']);
      assert.deepEqual(await ids({ text: 'e4' }), ['e4'], 'text matches the event id');
      assert.deepEqual(await ids({ text: '222@c.us' }), ['e3'], 'text matches the chat id');
      assert.deepEqual(await ids({ text: '+111' }), ['e5', 'e2', 'e1'], 'text matches the phone');
      assert.deepEqual(await ids({ since: 2_000, until: 4_000 }), ['e3', 'e2'], 'since inclusive, until exclusive');
      assert.deepEqual(await ids({ status: 'unrouted' }), ['e5', 'e4', 'e3', 'e2', 'e1']);

      const taken = await store.takeUnrouted(10);
      const seqOf = new Map(taken.map((event) => [event.id, event.seq]));
      await store.planDeliveries(
        [
          {
            eventSeq: seqOf.get('e1')!,
            deliveries: [
              { connector: 'sink', route: 'r' },
              { connector: 'other', route: 'r' },
            ],
          },
          { eventSeq: seqOf.get('e3')!, deliveries: [{ connector: 'sink', route: 'r' }] },
          { eventSeq: seqOf.get('e5')!, deliveries: [{ connector: 'other', route: 'r' }] },
          { eventSeq: seqOf.get('e2')!, deliveries: [] },
          { eventSeq: seqOf.get('e4')!, deliveries: [] },
        ],
        6_000,
      );
      const claimed = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 6_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      const e1 = claimed.find((d) => d.eventId === 'e1')!;
      const e3 = claimed.find((d) => d.eventId === 'e3')!;
      await store.recordResults([
        { id: e1.id, attempt: 1, startedAt: 6_000, durationMs: 3, outcome: 'delivered', status: 'delivered' },
        {
          id: e3.id,
          attempt: 1,
          startedAt: 6_000,
          durationMs: 3,
          outcome: 'failed',
          status: 'dead',
          error: 'HTTP 400',
        },
      ]);
      assert.deepEqual(await ids({ status: 'dead' }), ['e3']);
      assert.deepEqual(await ids({ status: 'delivered' }), ['e1']);
      assert.deepEqual(await ids({ status: 'pending' }), ['e5', 'e1']);
      assert.deepEqual(await ids({ status: 'pending', connector: 'sink' }), []);
      assert.deepEqual(await ids({ connector: 'sink' }), ['e3', 'e1']);
      assert.deepEqual(await ids({ status: 'unmatched' }), ['e4', 'e2']);
      assert.deepEqual(await ids({ status: 'unrouted' }), []);
      assert.deepEqual(await ids({ event: 'message:in:new', chatId: '111@c.us', status: 'pending' }), ['e5', 'e1']);

      const first = await store.searchEvents({ limit: 2 });
      assert.deepEqual(
        first.events.map((event) => event.id),
        ['e5', 'e4'],
      );
      assert.ok(first.next !== undefined);
      const second = await store.searchEvents({ limit: 2, before: first.next });
      assert.deepEqual(
        second.events.map((event) => event.id),
        ['e3', 'e2'],
      );
      const last = await store.searchEvents({ limit: 2, before: second.next });
      assert.deepEqual(
        last.events.map((event) => event.id),
        ['e1'],
      );
      assert.equal(last.next, undefined);

      const [summary] = (await store.searchEvents({ limit: 1, text: 'e1' })).events;
      assert.equal(summary!.chatId, '111@c.us');
      assert.equal(summary!.contactPhone, '111');
      assert.equal(summary!.receivedAt, 1_000);
      assert.equal(summary!.routedAt, 6_000);
      assert.deepEqual(summary!.deliveries.map((d) => [d.connector, d.status, d.attempts]).sort(), [
        ['other', 'pending', 0],
        ['sink', 'delivered', 1],
      ]);
    }));

  test(`${name}: attemptsOf lists every attempt in order; attemptCounts counts them per connector since a time`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b'])]);
      await routeAll(store, 'sink', 1_000);
      const [a, b] = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      await store.recordResults([
        {
          id: a!.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 12,
          outcome: 'retry',
          status: 'pending',
          nextAt: 2_000,
          error: 'HTTP 500',
        },
        {
          id: b!.id,
          attempt: 1,
          startedAt: 1_001,
          durationMs: 4,
          outcome: 'delivered',
          status: 'delivered',
          ref: '200',
        },
      ]);
      const [again] = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 2_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      await store.recordResults([
        {
          id: again!.id,
          attempt: 2,
          startedAt: 2_000,
          durationMs: 7,
          outcome: 'delivered',
          status: 'delivered',
          ref: '201',
        },
      ]);
      const attempts = await store.attemptsOf([a!.id]);
      assert.deepEqual(attempts, [
        {
          deliveryId: a!.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 12,
          outcome: 'retry',
          error: 'HTTP 500',
          ref: undefined,
          exchange: undefined,
        },
        {
          deliveryId: a!.id,
          attempt: 2,
          startedAt: 2_000,
          durationMs: 7,
          outcome: 'delivered',
          error: undefined,
          ref: '201',
          exchange: undefined,
        },
      ]);
      assert.equal((await store.attemptsOf([a!.id, b!.id])).length, 3);
      assert.deepEqual(await store.attemptsOf([]), []);
      assert.deepEqual(await store.attemptCounts(0), { sink: { retry: 1, delivered: 2 } });
      assert.deepEqual(await store.attemptCounts(1_500), { sink: { delivered: 1 } });
    }));

  test(`${name}: each attempt keeps the request and response it was recorded with, as they were (none: undefined)`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['x'])]);
      await routeAll(store, 'sink', 1_000);
      const [x] = await store.claimDue({
        connector: 'sink',
        limit: 1,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      const first = {
        request: {
          method: 'POST',
          url: 'https://api.example.com/in?token=[redacted]',
          headers: {
            'user-agent': 'wa-router',
            authorization: 'Bearer [redacted]',
            'content-type': 'application/json',
          },
          body: '{"text":"olá € 😀 \\"quoted\\"\\n"}',
        },
        response: { status: 500, headers: { 'retry-after': '1' }, body: 'upstream down' },
      };
      const second = {
        request: { method: 'PRODUCE', url: 'wa.events', headers: {} },
        response: { headers: { partition: '0', offset: '7' } },
      };
      await store.recordResults([
        {
          id: x!.id,
          attempt: 1,
          startedAt: 1_000,
          durationMs: 9,
          outcome: 'retry',
          status: 'pending',
          nextAt: 2_000,
          error: 'HTTP 500',
          exchange: first,
        },
      ]);
      await store.claimDue({ connector: 'sink', limit: 1, now: 2_000, leaseMs: 10_000, orderByChat: false });
      await store.recordResults([
        {
          id: x!.id,
          attempt: 2,
          startedAt: 2_000,
          durationMs: 3,
          outcome: 'delivered',
          status: 'delivered',
          ref: '200',
          exchange: second,
        },
      ]);
      const attempts = await store.attemptsOf([x!.id]);
      assert.deepEqual(
        attempts.map((attempt) => attempt.exchange),
        [first, second],
      );
      assert.deepEqual(
        Object.keys(attempts[0]!.exchange!.request!.headers),
        ['user-agent', 'authorization', 'content-type'],
        'header order kept',
      );
    }));

  test(`${name}: attemptStats counts attempts per connector, time bucket, outcome and latency class`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b', 'c'])]);
      await routeAll(store, 'sink', 1_000);
      const [a, b, c] = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      const result = (id: string, startedAt: number, durationMs: number, outcome: 'retry' | 'delivered') => ({
        id,
        attempt: 1,
        startedAt,
        durationMs,
        outcome,
        status: outcome === 'retry' ? ('pending' as const) : ('delivered' as const),
        nextAt: 90_000,
      });
      await store.recordResults([
        result(a!.id, 1_000, 4, 'delivered'),
        result(b!.id, 1_500, 5, 'delivered'),
        result(c!.id, 61_000, 120_000, 'retry'),
      ]);
      const rows = await store.attemptStats(1_000, 60_000);
      const sorted = [...rows].sort((x, y) => x.bucket - y.bucket);
      // 4 and 5 ms both fall in the class "at most 5 ms" (index 3); 120 s in the open last one.
      assert.deepEqual(sorted, [
        { connector: 'sink', bucket: 0, outcome: 'delivered', latencyClass: 3, count: 2 },
        { connector: 'sink', bucket: 1, outcome: 'retry', latencyClass: 28, count: 1 },
      ]);
      assert.deepEqual(await store.attemptStats(70_000, 60_000), []);
    }));

  test(`${name}: searchEvents by payloadText finds text in the raw payload, in any case, % and _ taken literally`, () =>
    withStore(async (store) => {
      const item = (id: string, body: string) => ({
        body: JSON.stringify({ event: 'message:in:new', data: { id, body } }),
        receivedAt: 1_000,
        events: [{ id, event: 'message:in:new', itemIndex: 0 }],
      });
      await store.appendWebhooks([item('a', 'Where is my ORDER?'), item('b', '100% off_today'), item('c', 'hello')]);
      const ids = async (payloadText: string) =>
        (await store.searchEvents({ payloadText, limit: 10 })).events.map((e) => e.id);
      assert.deepEqual(await ids('my order'), ['a']);
      assert.deepEqual(await ids('100% off_'), ['b']);
      assert.deepEqual(await ids('0%'), ['b']);
      assert.deepEqual(await ids('o_t'), [], '_ is not a wildcard');
    }));

  test(`${name}: redeliver sets chosen deliveries back to pending whatever their status, not one in flight`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b', 'c'])]);
      await routeAll(store, 'sink', 1_000);
      const [a, b] = await store.claimDue({
        connector: 'sink',
        limit: 2,
        now: 1_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      await store.recordResults([
        { id: a!.id, attempt: 1, startedAt: 1_000, durationMs: 3, outcome: 'delivered', status: 'delivered' },
      ]);
      // a delivered, b in flight (leased), c pending: a and c are set due at 2 000, b is left alone.
      const c = (await store.listDeliveries({ limit: 10 })).find((d) => d.id !== a!.id && d.id !== b!.id)!;
      assert.equal(await store.redeliver([a!.id, b!.id, c.id], 2_000), 2);
      const claimed = await store.claimDue({
        connector: 'sink',
        limit: 10,
        now: 2_000,
        leaseMs: 10_000,
        orderByChat: false,
      });
      assert.deepEqual(
        claimed.map((d) => [d.id, d.attempt]).sort(),
        [
          [a!.id, 1],
          [c.id, 1],
        ].sort(),
      );
      assert.equal(await store.redeliver([], 2_000), 0);
    }));

  test(`${name}: replayEvent routes one event again; an unknown id is false`, () =>
    withStore(async (store) => {
      await store.appendWebhooks([webhook(['a', 'b'])]);
      await routeAll(store, 'sink', 1_000);
      assert.equal((await store.takeUnrouted(10)).length, 0);
      assert.equal(await store.replayEvent('b'), true);
      assert.equal(await store.replayEvent('nope'), false);
      const again = await store.takeUnrouted(10);
      assert.deepEqual(
        again.map((event) => event.id),
        ['b'],
      );
    }));

  test(`${name}: connector state survives, overwrites and forgets one key`, () =>
    withStore(async (store) => {
      assert.equal(await store.stateGet('slack', 'thread:c1'), undefined);
      await store.stateSet('slack', 'thread:c1', '1.1');
      await store.stateSet('slack', 'thread:c1', '2.2');
      assert.equal(await store.stateGet('slack', 'thread:c1'), '2.2');
      await store.stateSet('slack', 'thread:c2', '3.3');
      await store.stateSet('other', 'thread:c1', '4.4');
      await store.stateDelete('slack', 'thread:c1');
      assert.equal(await store.stateGet('slack', 'thread:c1'), undefined);
      assert.equal(await store.stateGet('slack', 'thread:c2'), '3.3', 'only that key is forgotten');
      assert.equal(await store.stateGet('other', 'thread:c1'), '4.4', "only that connector's key is forgotten");
      await store.stateDelete('slack', 'thread:never-set'); // not an error
    }));

  test(`${name}: paused connectors are kept until resumed`, () =>
    withStore(async (store) => {
      assert.deepEqual(await store.pausedConnectors(), []);
      await store.setPaused('slack', true, 1);
      await store.setPaused('sheet', true, 2);
      await store.setPaused('slack', true, 3); // pausing twice is fine
      assert.deepEqual(await store.pausedConnectors(), ['sheet', 'slack']);
      await store.setPaused('slack', false, 4);
      await store.setPaused('never-paused', false, 5);
      assert.deepEqual(await store.pausedConnectors(), ['sheet']);
    }));
}
