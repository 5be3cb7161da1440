/**
 * Deliveries handed to the dispatcher in memory at ingest (created leased): each is sent exactly
 * once, a stale hand-over is left to its lease and then claimed from the store, and connectors
 * that keep per-chat order or a rate never take hand-overs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CONFIG = (sinkUrl: string) => `${SERVER_YAML}
connectors:
  fast:
    type: http
    url: ${sinkUrl}/fast
    body: { id: "{{ id }}" }
    delivery: { maxInFlight: 4 }
  ordered:
    type: http
    url: ${sinkUrl}/ordered
    body: { id: "{{ id }}" }
    delivery: { orderBy: chat }
  limited:
    type: http
    url: ${sinkUrl}/limited
    body: { id: "{{ id }}" }
    delivery: { ratePerSec: 100 }
routes:
  - name: all
    to: [fast, ordered, limited]
`;

/** The sample message with its own id, so each post is a new event. */
function message(id: string): string {
  return fixture('message-in-new').replace('"id": "D94B1A12EC4E83F5F4CC71EC2B1E"', `"id": "${id}"`);
}

describe('hand-over of new deliveries at ingest', () => {
  let sink: HttpSink;
  let t: TestRouter;
  before(async () => {
    sink = await HttpSink.start({ status: 200, delayMs: 5 });
    t = await startTestRouter(CONFIG(sink.url));
  });
  after(async () => {
    await t.close();
    await sink.close();
  });

  test('a burst is delivered once per (event, connector), whether handed over or claimed', async () => {
    sink.requests.length = 0;
    const ids = Array.from({ length: 60 }, (_, n) => `HANDOFF${n}`);
    const answers = await Promise.all(ids.map((id) => t.post(message(id))));
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
    await waitFor(() => sink.requests.length >= 180, 'every delivery at the sink', 10_000);
    await sleep(300); // a second send would arrive by now
    const perKey = new Map<string, number>();
    for (const request of sink.requests) {
      const key = String(request.headers['idempotency-key']);
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    assert.equal(perKey.size, 180);
    assert.deepEqual(new Set(perKey.values()), new Set([1]), 'no delivery sent twice');
    const leases = await t.router.store.listDeliveries({ connector: 'fast', limit: 100 });
    assert.ok(leases.every((delivery) => delivery.status === 'delivered' && delivery.attempts === 1));
  });

  test('only the connector without order or rate takes hand-overs', () => {
    const now = Date.now();
    assert.ok(t.router.dispatcher.leaseFor('fast', now)! > now);
    assert.equal(t.router.dispatcher.leaseFor('ordered', now), undefined);
    assert.equal(t.router.dispatcher.leaseFor('limited', now), undefined);
  });

  test('a hand-over past its send window is not sent from memory; its lease ends and a claim sends it once', async () => {
    sink.requests.length = 0;
    const body = message('STALE1');
    const receivedAt = Date.now();
    // Created leased until a moment from now: its send window (lease - deadline - margin) is already over.
    const [result] = await t.router.store.appendWebhooks([
      {
        body,
        receivedAt,
        events: [
          {
            id: 'evt_stale_handoff',
            event: 'message:in:new',
            itemIndex: 0,
            plan: [{ connector: 'fast', route: 'all', leaseUntil: receivedAt + 300 }],
          },
        ],
      },
    ]);
    assert.equal(result!.leased.length, 1);
    t.router.dispatcher.offer(result!.leased);
    await sleep(150);
    assert.equal(sink.requests.length, 0, 'not sent while another could claim it');
    t.router.dispatcher.wake(['fast']); // the lease has ended by the next claim
    await waitFor(
      async () => {
        t.router.dispatcher.wake(['fast']);
        return sink.requests.length === 1;
      },
      'the claim sends it',
      5_000,
    );
    await sleep(200);
    assert.equal(sink.requests.length, 1);
    const [delivery] = await t.router.store.listDeliveries({ eventId: 'evt_stale_handoff', limit: 1 });
    assert.equal(delivery!.status, 'delivered');
    assert.equal(delivery!.attempts, 2, 'the hand-over counted as attempt 1');
  });
});
