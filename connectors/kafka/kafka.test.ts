import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { checkConnector, checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import type { Connector, ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import {
  ApiKey,
  startKafkaBroker,
  type KafkaBrokerOptions,
  type KafkaTestBroker,
  type StoredRecord,
} from '../../test/testkit/kafka-broker/index.ts';
import kafka from './index.ts';

const definition = kafka as unknown as ConnectorDefinition;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function brokerFor(t: TestContext, options: KafkaBrokerOptions): Promise<KafkaTestBroker> {
  const broker = await startKafkaBroker(options);
  t.after(() => broker.close());
  return broker;
}

/** A connector on the broker, closed (before the broker) when the test ends. */
async function connectorFor(
  t: TestContext,
  broker: KafkaTestBroker,
  config: Record<string, unknown>,
): Promise<Connector> {
  const parsed = definition.config.parse({
    brokers: broker.brokers,
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
    retries: 1,
    ...config,
  });
  const connector = await definition.create(parsed, {
    name: 'kafka',
    log: silent,
    configDir: '.',
    state: memoryState(),
  });
  t.after(() => connector.close?.());
  return connector;
}

function event(n: number, chat: string, extra: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    id: `evt_${n}`,
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'dev1' },
    chat: { id: chat, type: 'user', name: chat, labels: [] },
    contact: { phone: '+1555', metadata: {} },
    message: { id: `M${n}`, type: 'text', body: `hello ${n}`, fromMe: false },
    data: { id: `M${n}` },
    ...extra,
  };
}

function delivery(e: RoutedEvent): Delivery {
  return { id: e.id, idempotencyKey: `${e.id}:kafka`, attempt: 1, route: 'r', event: e, params: undefined };
}

const deliver = (c: Connector, batch: Delivery[], ms = 5_000) => c.deliver(batch, AbortSignal.timeout(ms));
function ref(o: Outcome | undefined): string {
  if (o?.status !== 'delivered' || o.ref === undefined) assert.fail(`not delivered with a ref: ${JSON.stringify(o)}`);
  return o.ref;
}
const reason = (o: Outcome | undefined) =>
  o && 'reason' in o ? o.reason : assert.fail(`no reason: ${JSON.stringify(o)}`);

function recordAt(broker: KafkaTestBroker, refText: string): StoredRecord {
  const [topic, partition, offset] = refText.split('/');
  const record = broker.records(topic!, Number(partition)).find((r) => r.offset === BigInt(offset!));
  return record ?? assert.fail(`no record at ${refText}`);
}

const produceRequests = (broker: KafkaTestBroker) => broker.requests.filter((r) => r.apiKey === ApiKey.Produce).length;

describe('kafka connector (real kafkajs over TCP to the test broker)', () => {
  test('conforms to the connector contract', async (t) => {
    const broker = await brokerFor(t, { topics: { 'wa.events': 3 }, autoCreateTopics: false });
    assert.deepEqual(await checkConnector(definition, { config: { brokers: broker.brokers, topic: 'wa.events' } }), []);
    assert.equal(broker.records('wa.events').length, 3);
  });

  test('meets the fault-conformance suite (a late acknowledgement is the lost answer)', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 }, autoCreateTopics: false });
    const report = await checkConnectorFaults(definition, {
      config: {
        brokers: broker.brokers,
        topic: 't',
        key: '{{ chat.id }}',
        headers: { 'wa-name': '{{ contact.name }}' },
        connectionTimeoutMs: 1_000,
        requestTimeoutMs: 10_000,
      },
      deadlineMs: 2_000,
      faults: {
        // The test broker writes on arrival and answers 3 s later: past the 2 s delivery deadline.
        lostAnswer: () => broker.delayNext('Produce', 3_000),
        resetAfterActing: () => broker.dropAfterNext('Produce', 1),
        hang: 'the test broker writes on arrival: a late answer is lostAnswer',
        garbage: 'the test broker answers only well-formed protocol',
        // A well-formed answer carrying an error code is Kafka's "200 with an error inside".
        errorIn200: () => broker.failNext('Produce', 'NOT_LEADER_FOR_PARTITION', 10),
        rateLimited: 'Kafka throttles with throttle_time_ms, not 429',
        diskFull: () => broker.failNext('Produce', 'KAFKA_STORAGE_ERROR', 10),
      },
      heal: () => broker.clearFaults(),
      acted: () => broker.records('t').map((record) => (JSON.parse(String(record.value)) as { id: string }).id),
      idempotent: true,
      uniqueRefs: true,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  });

  test('records carry the rendered topic, key, value and headers; refs are the exact offsets; one chat → one partition, in order', async (t) => {
    const broker = await brokerFor(t, { topics: { 'whatsapp.message.in.new': 3 }, autoCreateTopics: false });
    const connector = await connectorFor(t, broker, {
      topic: 'whatsapp.{{ event | replace: ":", "." }}',
      headers: { 'wa-chat': '{{ chat.id }}' },
    });
    const chats = ['a@c.us', 'b@c.us', 'c@c.us', 'd@c.us'];
    const batch = Array.from({ length: 24 }, (_, n) => delivery(event(n, chats[n % 4]!)));
    const outcomes = await deliver(connector, batch);
    assert.equal(broker.records('whatsapp.message.in.new').length, 24);
    const partitionOf = new Map<string, Set<number>>();
    outcomes.forEach((outcome, n) => {
      const record = recordAt(broker, ref(outcome));
      const d = batch[n]!;
      assert.equal(String(record.key), `dev1:${d.event.chat!.id}`);
      assert.deepEqual(JSON.parse(String(record.value)), d.event);
      assert.deepEqual(Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, String(v)])), {
        'wa-event': 'message:in:new',
        'wa-event-id': d.event.id,
        'wa-idempotency-key': d.idempotencyKey,
        'content-type': 'application/json',
        'wa-chat': d.event.chat!.id,
      });
      partitionOf.set(d.event.chat!.id, (partitionOf.get(d.event.chat!.id) ?? new Set()).add(record.partition));
    });
    for (const [chat, partitions] of partitionOf) assert.equal(partitions.size, 1, `chat ${chat} on one partition`);
    for (let p = 0; p < 3; p++) {
      const ids = broker
        .records('whatsapp.message.in.new', p)
        .map((r) => Number(JSON.parse(String(r.value)).id.slice(4)));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        `partition ${p} keeps delivery order`,
      );
    }
  });

  test('a template value is sent as text; a tree as JSON; an empty key means no key', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const text = await connectorFor(t, broker, { topic: 't', value: '{{ message.body }}', key: '' });
    const tree = await connectorFor(t, broker, { topic: 't', value: { body: '{{ message.body }}', n: 1 } });
    const [a] = await deliver(text, [delivery(event(1, 'x'))]);
    const [b] = await deliver(tree, [delivery(event(2, 'x'))]);
    assert.equal(String(recordAt(broker, ref(a)).value), 'hello 1');
    assert.equal(recordAt(broker, ref(a)).key, null);
    assert.equal(String(recordAt(broker, ref(a)).headers['content-type']), 'text/plain; charset=utf-8');
    assert.deepEqual(JSON.parse(String(recordAt(broker, ref(b)).value)), { body: 'hello 2', n: 1 });
  });

  test('gzip batches are accepted and stored record by record', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 2 } });
    const connector = await connectorFor(t, broker, { topic: 't', compression: 'gzip' });
    const outcomes = await deliver(
      connector,
      Array.from({ length: 30 }, (_, n) => delivery(event(n, `chat${n % 5}`))),
    );
    assert.ok(outcomes.every((o) => o.status === 'delivered'));
    assert.equal(broker.records('t').length, 30);
    for (const o of outcomes)
      assert.equal(JSON.parse(String(recordAt(broker, ref(o)).value)).chat.name.startsWith('chat'), true);
  });

  test('a batch of 250 is one produce request', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const connector = await connectorFor(t, broker, { topic: 't' });
    const outcomes = await deliver(
      connector,
      Array.from({ length: 250 }, (_, n) => delivery(event(n, `chat${n % 17}`))),
    );
    assert.equal(outcomes.filter((o) => o.status === 'delivered').length, 250);
    assert.equal(broker.records('t').length, 250);
    assert.equal(produceRequests(broker), 1);
    assert.equal(new Set(outcomes.map(ref)).size, 250, 'every ref is distinct');
  });

  test('NOT_LEADER_FOR_PARTITION six times: kafkajs tries three times (retries: 2), then retry outcomes; later attempts deliver once', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const connector = await connectorFor(t, broker, { topic: 't', retries: 2 });
    broker.failNext('Produce', 'NOT_LEADER_FOR_PARTITION', 6);
    const batch = [delivery(event(1, 'a')), delivery(event(2, 'b'))];
    const first = await deliver(connector, batch);
    assert.deepEqual(
      first.map((o) => o.status),
      ['retry', 'retry'],
    );
    assert.match(reason(first[0]), /NOT_LEADER_FOR_PARTITION/);
    // The attempt's record: the produce request and the broker's error.
    const failedExchange = first[0]!.exchange!;
    assert.equal(failedExchange.request?.method, 'PRODUCE');
    assert.equal(failedExchange.request?.url, 't key=dev1:a');
    assert.equal(failedExchange.request?.headers['wa-idempotency-key'], batch[0]!.idempotencyKey);
    assert.deepEqual(JSON.parse(failedExchange.request!.body!), batch[0]!.event);
    assert.equal(failedExchange.response?.headers.error, 'NOT_LEADER_FOR_PARTITION');
    assert.equal(failedExchange.response?.status, undefined, 'not HTTP');
    assert.equal(produceRequests(broker), 3);
    const second = await deliver(connector, batch);
    assert.deepEqual(
      second.map((o) => o.status),
      ['retry', 'retry'],
    );
    const third = await deliver(connector, batch);
    assert.deepEqual(
      third.map((o) => o.status),
      ['delivered', 'delivered'],
    );
    const { partition, offset } = third[0]!.exchange!.response!.headers;
    assert.equal(ref(third[0]), `t/${partition}/${offset}`);
    assert.equal(broker.records('t').length, 2, 'written once');
  });

  test('batches delivered at once (maxInFlight > 1) are all written, in call order, also when kafkajs retries the first', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 }, autoCreateTopics: false });
    const connector = await connectorFor(t, broker, { topic: 't', retries: 2 });
    broker.failNext('Produce', 'NOT_LEADER_FOR_PARTITION', 1);
    const first = Array.from({ length: 5 }, (_, n) => delivery(event(n, `a${n}`)));
    const second = Array.from({ length: 5 }, (_, n) => delivery(event(10 + n, `b${n}`)));
    const [one, two] = await Promise.all([deliver(connector, first), deliver(connector, second)]);
    assert.ok(
      [...one, ...two].every((o) => o.status === 'delivered'),
      JSON.stringify([...one, ...two]),
    );
    const order = broker.records('t').map((r) => JSON.parse(String(r.value)).id as string);
    assert.deepEqual(
      order,
      [...first, ...second].map((d) => d.event.id),
    );
    assert.equal(produceRequests(broker), 3, 'the failed attempt, its retry, then the second batch');
  });

  test('MESSAGE_TOO_LARGE from the broker → failed with the name; an oversized record fails alone before sending', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const connector = await connectorFor(t, broker, { topic: 't', maxMessageBytes: 5_000 });
    broker.failNext('Produce', 'MESSAGE_TOO_LARGE');
    const [rejected] = await deliver(connector, [delivery(event(1, 'a'))]);
    assert.equal(rejected?.status, 'failed');
    assert.match(reason(rejected), /^MESSAGE_TOO_LARGE/);
    const big = event(2, 'a', { message: { id: 'M2', type: 'text', body: 'x'.repeat(10_000), fromMe: false } });
    const outcomes = await deliver(connector, [delivery(event(3, 'a')), delivery(big), delivery(event(4, 'a'))]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['delivered', 'failed', 'delivered'],
    );
    assert.match(reason(outcomes[1]), /^MESSAGE_TOO_LARGE/);
    const oversized = outcomes[1]!.exchange!;
    assert.match(oversized.request!.body!, /\n\[… \d+ more bytes not shown\]$/, 'the value cut to 4 KB');
    assert.equal(oversized.response, undefined, 'refused before sending: no answer');
    assert.equal(broker.records('t').length, 2);
  });

  test('an illegal rendered topic fails that delivery only; a literal illegal topic is a config error', async (t) => {
    const broker = await brokerFor(t, { topics: { 'wa.ok': 1 }, autoCreateTopics: false });
    const connector = await connectorFor(t, broker, { topic: 'wa.{{ chat.name }}' });
    const outcomes = await deliver(connector, [
      delivery(event(1, 'ok')),
      delivery(event(2, 'not ok!')),
      delivery(event(3, 'ok')),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['delivered', 'failed', 'delivered'],
    );
    assert.match(reason(outcomes[1]), /invalid topic: "wa.not ok!" is not a legal topic name/);
    const tooLong = await deliver(connector, [delivery(event(4, 'x'.repeat(300)))]);
    assert.match(reason(tooLong[0]), /at most 249/);
    for (const topic of ['bad topic', '..', '', 'x'.repeat(250)]) {
      assert.equal(definition.config.safeParse({ brokers: broker.brokers, topic }).success, false, topic);
    }
  });

  test('retries: 0 is a config error with acks: all (kafkajs would refuse every send), fine with acks: 1', () => {
    const parsed = definition.config.safeParse({ brokers: ['k:9092'], topic: 't', retries: 0 });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error?.issues.map((issue) => issue.path.join('.')),
      ['retries'],
    );
    assert.match(parsed.error?.issues[0]?.message ?? '', /at least 1 with acks: all/);
    assert.equal(definition.config.safeParse({ brokers: ['k:9092'], topic: 't', retries: 0, acks: 1 }).success, true);
  });

  test('unknown topic: failed when auto-creation is off (other topics still sent); created and delivered when on', async (t) => {
    const broker = await brokerFor(t, { topics: { known: 1 }, autoCreateTopics: true });
    const off = await connectorFor(t, broker, { topic: '{{ chat.name }}' });
    const outcomes = await deliver(off, [delivery(event(1, 'known')), delivery(event(2, 'missing'))]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['delivered', 'failed'],
    );
    assert.match(reason(outcomes[1]), /^UNKNOWN_TOPIC_OR_PARTITION/);
    assert.deepEqual(broker.topics(), ['known']);
    const on = await connectorFor(t, broker, { topic: '{{ chat.name }}', allowAutoTopicCreation: true });
    const [created] = await deliver(on, [delivery(event(3, 'fresh'))]);
    assert.equal(recordAt(broker, ref(created)).topic, 'fresh');
  });

  test('the broker restarts, or drops connections: the next deliver works', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const connector = await connectorFor(t, broker, { topic: 't' });
    assert.equal((await deliver(connector, [delivery(event(1, 'a'))]))[0]?.status, 'delivered');
    await broker.restart({ downtimeMs: 100 });
    assert.equal((await deliver(connector, [delivery(event(2, 'a'))]))[0]?.status, 'delivered');
    broker.dropConnections();
    assert.equal((await deliver(connector, [delivery(event(3, 'a'))]))[0]?.status, 'delivered');
    assert.deepEqual(
      broker.records('t').map((r) => JSON.parse(String(r.value)).id),
      ['evt_1', 'evt_2', 'evt_3'],
    );
  });

  test('while the broker is down: retry outcomes; once it is back on the same port: delivered', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const connector = await connectorFor(t, broker, { topic: 't' });
    assert.equal((await deliver(connector, [delivery(event(1, 'a'))]))[0]?.status, 'delivered');
    const restarted = broker.restart({ downtimeMs: 1_500 });
    const [down] = await deliver(connector, [delivery(event(2, 'a'))]);
    assert.equal(down?.status, 'retry');
    await restarted;
    assert.equal((await deliver(connector, [delivery(event(2, 'a'))]))[0]?.status, 'delivered');
    assert.deepEqual(
      broker.records('t').map((r) => JSON.parse(String(r.value)).id),
      ['evt_1', 'evt_2'],
    );
  });

  test("an acknowledgement later than the deadline → retry; the dispatcher's retry does not write the record twice", async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const connector = await connectorFor(t, broker, { topic: 't', requestTimeoutMs: 3_000 });
    assert.equal((await deliver(connector, [delivery(event(0, 'a'))]))[0]?.status, 'delivered');
    broker.delayNext('Produce', 800);
    const d = delivery(event(1, 'a'));
    const [late] = await deliver(connector, [d], 200);
    assert.equal(late?.status, 'retry');
    assert.match(reason(late), /deadline/);
    // The retry joins the send still in flight…
    const [joined] = await deliver(connector, [{ ...d, attempt: 2 }]);
    assert.equal(joined?.status, 'delivered');
    assert.equal(broker.records('t').length, 2);
    // …and once it has finished, a retry takes its offset without sending.
    broker.delayNext('Produce', 500);
    const d2 = delivery(event(2, 'a'));
    assert.equal((await deliver(connector, [d2], 100))[0]?.status, 'retry');
    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = produceRequests(broker);
    const [remembered] = await deliver(connector, [{ ...d2, attempt: 2 }]);
    assert.equal(recordAt(broker, ref(remembered)).offset, 2n);
    assert.equal(produceRequests(broker), before, 'nothing sent again');
    assert.deepEqual(
      broker.records('t').map((r) => JSON.parse(String(r.value)).id),
      ['evt_0', 'evt_1', 'evt_2'],
    );
  });

  /** Every recorded offset holds the record that was reported there; returns the ids in the partition. */
  function assertRefsHold(
    broker: KafkaTestBroker,
    outcomes: readonly (readonly [string, Outcome | undefined])[],
  ): string[] {
    for (const [id, outcome] of outcomes) {
      if (outcome?.status !== 'delivered') continue;
      assert.equal(
        JSON.parse(String(recordAt(broker, ref(outcome)).value)).id,
        id,
        `the offset recorded for ${id} holds another record`,
      );
    }
    return broker.records('t').map((r) => JSON.parse(String(r.value)).id as string);
  }

  /** Delivers `d` as the dispatcher would, attempt after attempt, until it is delivered (or 5 tries). */
  async function deliverUntilDone(connector: Connector, d: Delivery): Promise<Outcome | undefined> {
    let outcome: Outcome | undefined;
    for (let attempt = d.attempt; attempt < d.attempt + 5 && outcome?.status !== 'delivered'; attempt++) {
      [outcome] = await deliver(connector, [{ ...d, attempt }], 10_000);
    }
    return outcome;
  }

  test('a produce request that times out after the broker wrote it: no later record reuses its sequence (issue 18)', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const connector = await connectorFor(t, broker, { topic: 't', requestTimeoutMs: 500, retries: 1 });
    const [o0] = await deliver(connector, [delivery(event(0, 'a'))]);
    // Written on arrival, acknowledged 2 s late: past kafkajs's request timeout.
    broker.delayNext('Produce', 2_000, 2);
    const [o1] = await deliver(connector, [delivery(event(1, 'a'))], 10_000);
    assert.equal(o1?.status, 'retry');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const o2 = await deliverUntilDone(connector, delivery(event(2, 'a')));
    const o1again = await deliverUntilDone(connector, { ...delivery(event(1, 'a')), attempt: 2 });
    const ids = assertRefsHold(broker, [
      ['evt_0', o0],
      ['evt_2', o2],
      ['evt_1', o1again],
    ]);
    assert.deepEqual([o2?.status, o1again?.status], ['delivered', 'delivered']);
    assert.deepEqual(
      [...new Set(ids)].sort(),
      ['evt_0', 'evt_1', 'evt_2'],
      'every event is in the partition (evt_1 perhaps twice)',
    );
  });

  test('a connection dropped mid-Produce after the write: the next records get fresh sequences and true offsets', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const connector = await connectorFor(t, broker, { topic: 't', requestTimeoutMs: 1_000, retries: 1 });
    const [o0] = await deliver(connector, [delivery(event(0, 'a'))]);
    broker.dropAfterNext('Produce', 2);
    const [o1] = await deliver(connector, [delivery(event(1, 'a'))]);
    assert.equal(o1?.status, 'retry');
    const [o2] = await deliver(connector, [delivery(event(2, 'a'))]);
    const [o3] = await deliver(connector, [delivery(event(3, 'a'))]);
    const ids = assertRefsHold(broker, [
      ['evt_0', o0],
      ['evt_2', o2],
      ['evt_3', o3],
    ]);
    assert.deepEqual([o2?.status, o3?.status], ['delivered', 'delivered']);
    assert.deepEqual(
      ids.filter((id) => id !== 'evt_1'),
      ['evt_0', 'evt_2', 'evt_3'],
    );
  });

  test('healthcheck is a metadata request; preview needs no broker; close is idempotent', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const connector = await connectorFor(t, broker, { topic: 't' });
    await connector.healthcheck!(AbortSignal.timeout(3_000));
    assert.ok(broker.requests.some((r) => r.apiName === 'Metadata'));
    assert.equal(produceRequests(broker), 0);

    const offline = definition.create(
      definition.config.parse({ brokers: ['127.0.0.1:1'], topic: 'wa.{{ chat.id | replace: "@", "_" }}' }),
      {
        name: 'k',
        log: silent,
        configDir: '.',
        state: memoryState(),
      },
    ) as Connector;
    const preview = offline.preview!(delivery(event(7, 'p@c.us'))) as {
      topic: string;
      key: string;
      value: string;
      headers: Record<string, string>;
    };
    assert.equal(preview.topic, 'wa.p_c.us');
    assert.equal(preview.key, 'dev1:p@c.us');
    assert.equal(JSON.parse(preview.value).id, 'evt_7');
    assert.equal(preview.headers['wa-event-id'], 'evt_7');
    await offline.close!();
    await offline.close!();

    await connector.close!();
    await connector.close!();
    await assert.rejects(
      connector.healthcheck!(AbortSignal.timeout(50))
        .then(() => broker.close())
        .then(() => connector.healthcheck!(AbortSignal.timeout(2_000))),
    );
  });
});
