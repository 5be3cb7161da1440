import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startKafkaBroker, type KafkaTestBroker } from '../testkit/kafka-broker/index.ts';
import { FIXTURES, SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

function config(brokers: string[], topic = 'wa.events'): string {
  return `${SERVER_YAML}
connectors:
  events:
    type: kafka
    brokers: [${brokers.join(', ')}]
    topic: ${topic}
    headers: { wa-route: "{{ route }}" }
    connectionTimeoutMs: 1000
    retries: 1
    delivery: { backoffBaseMs: 50, maxBackoffMs: 300, timeoutMs: 3000 }
routes:
  - name: everything
    to: [events]
`;
}

describe('the router delivers to Kafka (real kafkajs, test broker)', () => {
  let broker: KafkaTestBroker;
  let t: TestRouter;
  before(async () => {
    broker = await startKafkaBroker({ topics: { 'wa.events': 3 }, autoCreateTopics: false });
    t = await startTestRouter(config(broker.brokers));
  });
  after(async () => {
    await t.close();
    await broker.close();
  });

  const delivered = async () =>
    await t.router.store.listDeliveries({ connector: 'events', status: 'delivered', limit: 1_000 });

  test("every fixture becomes one record; refs are the records' offsets; one chat stays on one partition", async () => {
    const names = readdirSync(FIXTURES)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -5));
    let accepted = 0;
    for (const name of names) {
      const response = await t.post(fixture(name));
      assert.equal(response.status, 200, name);
      accepted += ((await response.json()) as { accepted: number }).accepted;
    }
    await waitFor(async () => (await delivered()).length === accepted, `${accepted} deliveries delivered`);
    const records = broker.records('wa.events');
    assert.equal(records.length, accepted, 'each event written once');
    for (const row of await delivered()) {
      const [topic, partition, offset] = row.ref!.split('/');
      const record = broker.records(topic!, Number(partition)).find((r) => r.offset === BigInt(offset!));
      assert.ok(record, `record at ${row.ref}`);
      assert.equal(String(record.headers['wa-event-id']), row.eventId);
      assert.equal(String(record.headers['wa-event']), row.event);
      assert.equal(String(record.headers['wa-route']), 'everything');
      assert.equal(String(record.headers['wa-idempotency-key']), `${row.eventId}:events`);
      assert.equal((JSON.parse(String(record.value)) as { id: string }).id, row.eventId);
    }
    const partitionsByKey = new Map<string, Set<number>>();
    for (const r of records)
      partitionsByKey.set(String(r.key), (partitionsByKey.get(String(r.key)) ?? new Set()).add(r.partition));
    for (const [key, partitions] of partitionsByKey) assert.equal(partitions.size, 1, key);
  });

  test('a broker restart mid-stream loses nothing and duplicates nothing', async () => {
    const base = JSON.parse(fixture('message-in-new')) as { data: Record<string, unknown> };
    const post = (n: number) => t.post({ ...base, data: { ...base.data, id: `RESTART${n}` } });
    const before = broker.records('wa.events').length;
    for (let n = 0; n < 5; n++) await post(n);
    const restart = broker.restart({ downtimeMs: 700 });
    for (let n = 5; n < 10; n++) await post(n);
    await restart;
    await waitFor(() => broker.records('wa.events').length === before + 10, 'ten more records', 8_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ids = broker
      .records('wa.events')
      .slice()
      .sort((a, b) => Number(a.offset - b.offset))
      .map((r) => (JSON.parse(String(r.value)) as { message?: { id: string } }).message?.id)
      .filter((id) => id?.startsWith('RESTART'));
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
    // One chat: one partition, in the order received.
    assert.deepEqual(
      ids,
      Array.from({ length: 10 }, (_, n) => `RESTART${n}`),
    );
  });

  test('a literal topic that is not a legal Kafka name is refused when the config is loaded', async () => {
    await assert.rejects(
      startTestRouter(config(broker.brokers, '"wa events"')),
      /connectors\.events\.topic.*not a legal topic name/s,
    );
  });
});
