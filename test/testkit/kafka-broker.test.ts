import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Producer } from 'kafkajs';
import {
  ApiKey,
  ErrorCode,
  RawKafkaClient,
  Reader,
  Writer,
  crc32c,
  encodeRecordBatch,
  metadataRequestBody,
  produceRequestBody,
  startKafkaBroker,
} from './kafka-broker/index.ts';
import type { KafkaBrokerOptions, KafkaTestBroker } from './kafka-broker/index.ts';

// Real kafkajs against the in-process broker, over TCP. Retry settings are small so
// that failing paths end in well under a second instead of kafkajs's defaults.

const cleanupStacks = new WeakMap<TestContext, Array<() => unknown>>();

/** Runs `fn` when the test ends, last registered first (t.after alone runs hooks in registration order). */
function onCleanup(t: TestContext, fn: () => unknown): void {
  let stack = cleanupStacks.get(t);
  if (stack === undefined) {
    const created: Array<() => unknown> = [];
    t.after(async () => {
      for (const cleanup of created.reverse()) await cleanup();
    });
    cleanupStacks.set(t, created);
    stack = created;
  }
  stack.push(fn);
}

/** Starts a broker that is closed when the test ends. */
async function brokerFor(t: TestContext, options?: KafkaBrokerOptions): Promise<KafkaTestBroker> {
  const broker = await startKafkaBroker(options);
  onCleanup(t, () => broker.close());
  return broker;
}

async function rawClient(t: TestContext, broker: KafkaTestBroker): Promise<RawKafkaClient> {
  const client = await RawKafkaClient.connect(broker.port);
  onCleanup(t, () => client.close());
  return client;
}

async function idempotentProducer(t: TestContext, broker: KafkaTestBroker, requestTimeout = 2000): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'kafka-broker-test',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  onCleanup(t, () => producer.disconnect());
  return producer;
}

/** kafkajs nests the protocol error in `cause` when retries run out; collect every `type` on the chain. */
function errorTypes(err: unknown): string[] {
  const types: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const e = current as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.type === 'string') types.push(e.type);
    current = e.cause ?? e.originalError;
  }
  return types;
}

/** Reads a Produce v3–v8 response: [(topic, partition, errorCode, baseOffset)]. */
function readProduceResponse(body: Reader, version: number) {
  const results: Array<{ topic: string; partition: number; errorCode: number; baseOffset: bigint }> = [];
  body.array((t) => {
    const topic = t.string();
    t.array((p) => {
      const partition = p.int32();
      const errorCode = p.int16();
      const baseOffset = p.int64();
      p.int64(); // log_append_time_ms
      if (version >= 5) p.int64(); // log_start_offset
      if (version >= 8) {
        p.array((e) => [e.int32(), e.nullableString()]); // record_errors
        p.nullableString(); // error_message
      }
      results.push({ topic, partition, errorCode, baseOffset });
    });
  });
  body.int32(); // throttle_time_ms
  assert.equal(body.remaining, 0, 'response fully consumed');
  return results;
}

describe('kafka test broker with real kafkajs', () => {
  test('idempotent acks=-1 send stores key, value, headers with per-partition offsets; same key → same partition', async (t) => {
    const broker = await brokerFor(t, { topics: { 'wa.events': 3 } });
    const producer = await idempotentProducer(t, broker);

    const keys = ['dev1:chatA', 'dev1:chatB', 'dev2:chatC', 'dev1:chatA', 'dev2:chatC', 'dev1:chatA'];
    for (const [i, key] of keys.entries()) {
      // One send per message, awaited in order, as the router's queue does.
      await producer.send({
        topic: 'wa.events',
        acks: -1,
        messages: [{ key, value: JSON.stringify({ i }), headers: { event: 'message:in:new', 'event-id': `e${i}` } }],
      });
    }

    const records = broker.records('wa.events');
    assert.equal(records.length, keys.length);
    for (const r of records) {
      assert.ok(r.key !== null && r.value !== null);
      const i = (JSON.parse(r.value.toString()) as { i: number }).i;
      assert.equal(r.key.toString(), keys[i]);
      assert.deepEqual(r.headers, { event: Buffer.from('message:in:new'), 'event-id': Buffer.from(`e${i}`) });
      assert.ok(r.producerId >= 0n, 'batches carry the producer id from InitProducerId');
      assert.equal(r.producerEpoch, 0);
      assert.ok(r.timestamp > 0n);
    }

    const partitionsByKey = new Map<string, Set<number>>();
    for (const r of records) {
      const key = String(r.key);
      partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(r.partition));
    }
    for (const [key, partitions] of partitionsByKey) assert.equal(partitions.size, 1, `key ${key} on one partition`);

    for (let p = 0; p < 3; p++) {
      const inPartition = broker.records('wa.events', p);
      assert.deepEqual(
        inPartition.map((r) => r.offset),
        inPartition.map((_, i) => BigInt(i)),
        `partition ${p} offsets run 0, 1, 2 …`,
      );
      // Per-key order is kept within the partition.
      const chatA = inPartition.filter((r) => String(r.key) === 'dev1:chatA').map((r) => JSON.parse(String(r.value)).i);
      assert.deepEqual(
        chatA,
        [...chatA].sort((a, b) => a - b),
      );
      // Idempotent sequence numbers count up from 0 per partition.
      assert.deepEqual(
        inPartition.map((r) => r.sequence),
        inPartition.map((_, i) => i),
      );
    }

    const apis = new Set(broker.requests.map((r) => `${r.apiName}/v${r.apiVersion}`));
    assert.ok(apis.has('ApiVersions/v2') && apis.has('InitProducerId/v1') && apis.has('Produce/v7'), [...apis].join());
  });

  test('gzip-compressed sendBatch is decompressed and stored record by record', async (t) => {
    const broker = await brokerFor(t);
    const producer = await idempotentProducer(t, broker);
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: `chat-${i % 4}`,
      value: `payload ${i} ${'x'.repeat(200)}`,
      headers: { n: String(i) },
    }));
    await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.GZIP,
      topicMessages: [{ topic: 'auto.created', messages }],
    });
    assert.deepEqual(broker.topics(), ['auto.created'], 'Metadata auto-created the topic');
    const stored = broker.records('auto.created');
    assert.equal(stored.length, 20);
    assert.deepEqual(stored.map((r) => String(r.value)).sort(), messages.map((m) => m.value).sort());
    for (const r of stored) assert.equal(String(r.headers.n), String(r.value).split(' ')[1]);
  });

  test('unknown topic with auto-create off → send fails with UNKNOWN_TOPIC_OR_PARTITION', async (t) => {
    const broker = await brokerFor(t, { autoCreateTopics: false, topics: { existing: 1 } });
    const producer = await idempotentProducer(t, broker);
    await assert.rejects(producer.send({ topic: 'missing.topic', acks: -1, messages: [{ value: 'x' }] }), (err) =>
      errorTypes(err).includes('UNKNOWN_TOPIC_OR_PARTITION'),
    );
    assert.deepEqual(broker.topics(), ['existing']);
  });

  test('failNext(Produce, NOT_LEADER_FOR_PARTITION) is retried by kafkajs and the record is written once', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const producer = await idempotentProducer(t, broker);
    broker.failNext('Produce', ErrorCode.NOT_LEADER_FOR_PARTITION);
    const [result] = await producer.send({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'v' }] });
    assert.equal(result?.errorCode, 0);
    assert.equal(broker.records('t').length, 1);
    const produces = broker.requests.filter((r) => r.apiKey === ApiKey.Produce);
    assert.deepEqual(
      produces.map((r) => r.injectedError),
      [ErrorCode.NOT_LEADER_FOR_PARTITION, undefined],
    );
  });

  test('failNext(Produce, MESSAGE_TOO_LARGE) fails the send without retrying', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const producer = await idempotentProducer(t, broker);
    broker.failNext('Produce', 'MESSAGE_TOO_LARGE');
    await assert.rejects(producer.send({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'v' }] }), (err) =>
      errorTypes(err).includes('MESSAGE_TOO_LARGE'),
    );
    assert.equal(broker.records('t').length, 0);
    assert.equal(broker.requests.filter((r) => r.apiKey === ApiKey.Produce).length, 1, 'not retried');
  });

  test('setMaxMessageBytes rejects a real oversized batch with MESSAGE_TOO_LARGE; smaller ones pass', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const producer = await idempotentProducer(t, broker);
    broker.setMaxMessageBytes(1000);
    await assert.rejects(producer.send({ topic: 't', acks: -1, messages: [{ value: 'x'.repeat(2000) }] }), (err) =>
      errorTypes(err).includes('MESSAGE_TOO_LARGE'),
    );
    await producer.send({ topic: 't', acks: -1, messages: [{ value: 'small' }] });
    assert.deepEqual(
      broker.records('t').map((r) => String(r.value)),
      ['small'],
    );
  });

  test('dropConnections(): the next send reconnects and succeeds', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const producer = await idempotentProducer(t, broker);
    await producer.send({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'before' }] });
    broker.dropConnections();
    await producer.send({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'after' }] });
    const stored = broker.records('t');
    assert.deepEqual(
      stored.map((r) => [String(r.value), r.offset]),
      [
        ['before', 0n],
        ['after', 1n],
      ],
    );
  });

  test('restart(): same port, records kept, sending works again', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 3 } });
    const producer = await idempotentProducer(t, broker);
    await producer.send({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'one' }] });
    const [address] = broker.brokers;
    await broker.restart({ downtimeMs: 50 });
    assert.deepEqual(broker.brokers, [address]);
    await producer.send({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'two' }] });
    assert.deepEqual(
      broker.records('t').map((r) => [String(r.value), r.offset]),
      [
        ['one', 0n],
        ['two', 1n],
      ],
    );
  });

  test('delayNext(Produce): kafkajs times out and retries; the idempotent retry is deduplicated', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const producer = await idempotentProducer(t, broker, 300);
    await producer.send({ topic: 't', acks: -1, messages: [{ value: 'first' }] });
    broker.delayNext('Produce', 600);
    const [result] = await producer.send({ topic: 't', acks: -1, messages: [{ value: 'slow' }] });
    assert.equal(result?.baseOffset, '1', 'the retry is answered with the offset of the first attempt');
    assert.deepEqual(
      broker.records('t').map((r) => String(r.value)),
      ['first', 'slow'],
      'written once although sent twice',
    );
    assert.equal(broker.requests.filter((r) => r.apiKey === ApiKey.Produce).length, 3);
  });
});

describe('kafka test broker at the protocol level', () => {
  test('crc32c is CRC-32C (Castagnoli), not zlib CRC-32', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  test('varint / varlong zig-zag round trip, including extremes', () => {
    const ints = [0, -1, 1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)];
    const longs = [0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n), 1_700_000_000_000n];
    const w = new Writer();
    for (const v of ints) w.varint(v);
    for (const v of longs) w.varlong(v);
    const r = new Reader(w.toBuffer());
    assert.deepEqual(
      ints.map(() => r.varint()),
      ints,
    );
    assert.deepEqual(
      longs.map(() => r.varlong()),
      longs,
    );
    // Known encodings from the protobuf/Kafka spec: -1 → 0x01, 1 → 0x02, 300 → 0xd8 0x04.
    assert.deepEqual(new Writer().varint(-1).varint(1).varint(300).toBuffer(), Buffer.from([0x01, 0x02, 0xd8, 0x04]));
  });

  test('corrupted CRC → CORRUPT_MESSAGE and nothing is stored; the intact batch is accepted', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const client = await rawClient(t, broker);

    const batch = encodeRecordBatch({ records: [{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }] }] });
    const corrupt = Buffer.from(batch);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff; // flip the last byte of the last record

    const body = (records: Buffer) =>
      produceRequestBody({ topics: [{ name: 't', partitions: [{ index: 0, records }] }] });
    const bad = readProduceResponse(await client.request(ApiKey.Produce, 3, body(corrupt)), 3);
    assert.deepEqual(bad, [{ topic: 't', partition: 0, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n }]);
    assert.equal(broker.records('t').length, 0);

    const good = readProduceResponse(await client.request(ApiKey.Produce, 7, body(batch)), 7);
    assert.deepEqual(good, [{ topic: 't', partition: 0, errorCode: 0, baseOffset: 0n }]);
    const [stored] = broker.records('t');
    assert.equal(String(stored?.key), 'k');
    assert.equal(String(stored?.headers.h), 'x');
  });

  test('record batch validation: unsupported codec, non-zero baseOffset, unknown partition, invalid acks', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const client = await rawClient(t, broker);
    const send = async (records: Buffer, opts: { partition?: number; acks?: number } = {}) =>
      readProduceResponse(
        await client.request(
          ApiKey.Produce,
          5,
          produceRequestBody({
            acks: opts.acks ?? -1,
            topics: [{ name: 't', partitions: [{ index: opts.partition ?? 0, records }] }],
          }),
        ),
        5,
      )[0]?.errorCode;

    const ok = encodeRecordBatch({ records: [{ value: 'v' }] });
    // Codec 2 (snappy) in the attributes; the CRC is valid, so the codec is what is refused.
    assert.equal(
      await send(encodeRecordBatch({ records: [{ value: 'v' }], extraAttributes: 2 })),
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    );
    assert.equal(
      await send(encodeRecordBatch({ records: [{ value: 'v' }], baseOffset: 5n })),
      ErrorCode.INVALID_RECORD,
    );
    assert.equal(await send(Buffer.concat([ok, ok])), ErrorCode.INVALID_RECORD, 'one batch per partition');
    assert.equal(await send(ok.subarray(0, ok.length - 3)), ErrorCode.CORRUPT_MESSAGE, 'truncated');
    assert.equal(await send(ok, { partition: 7 }), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(await send(ok, { acks: 2 }), ErrorCode.INVALID_REQUIRED_ACKS);
    assert.equal(broker.records('t').length, 0);
  });

  test('idempotence: a resent batch gets its original offset without a second append; a gap → OUT_OF_ORDER_SEQUENCE_NUMBER', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const client = await rawClient(t, broker);

    const pidBody = new Writer().nullableString(null).int32(5000).toBuffer();
    const pidResponse = await client.request(ApiKey.InitProducerId, 0, pidBody);
    pidResponse.int32(); // throttle
    assert.equal(pidResponse.int16(), 0);
    const producerId = pidResponse.int64();
    assert.equal(pidResponse.int16(), 0, 'epoch 0');

    const produce = async (baseSequence: number, values: string[]) => {
      const records = encodeRecordBatch({
        records: values.map((value) => ({ value })),
        producerId,
        producerEpoch: 0,
        baseSequence,
      });
      const body = produceRequestBody({ topics: [{ name: 't', partitions: [{ index: 0, records }] }] });
      return readProduceResponse(await client.request(ApiKey.Produce, 7, body), 7)[0];
    };

    assert.deepEqual(await produce(0, ['a', 'b']), { topic: 't', partition: 0, errorCode: 0, baseOffset: 0n });
    assert.deepEqual(await produce(2, ['c']), { topic: 't', partition: 0, errorCode: 0, baseOffset: 2n });
    // Retry of the first batch (same sequence range): success with the first offset, no append.
    assert.deepEqual(await produce(0, ['a', 'b']), { topic: 't', partition: 0, errorCode: 0, baseOffset: 0n });
    assert.equal((await produce(5, ['gap']))?.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.deepEqual(
      broker.records('t').map((r) => [String(r.value), r.offset, r.sequence]),
      [
        ['a', 0n, 0],
        ['b', 1n, 1],
        ['c', 2n, 2],
      ],
    );
  });

  test('acks=0: no response is written; the next request on the connection is answered normally', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const client = await rawClient(t, broker);
    const records = encodeRecordBatch({ records: [{ value: 'fire-and-forget' }] });
    await client.writeRaw(
      RawKafkaClient.encodeRequest(
        ApiKey.Produce,
        3,
        41,
        produceRequestBody({ acks: 0, topics: [{ name: 't', partitions: [{ index: 0, records }] }] }),
      ),
    );
    await client.writeRaw(RawKafkaClient.encodeRequest(ApiKey.ApiVersions, 0, 42, Buffer.alloc(0)));
    const response = await client.nextResponse();
    assert.equal(response?.correlationId, 42, 'the first response is the ApiVersions one');
    assert.equal(broker.records('t').length, 1);
  });

  test('ApiVersions v3+ (flexible, not offered) → v0 response with UNSUPPORTED_VERSION and the ApiVersions range', async (t) => {
    const broker = await brokerFor(t);
    const client = await rawClient(t, broker);
    // A v3 request has header v2 and a compact body; the broker must not need to parse either.
    const flexibleBody = Buffer.from([0x00, 0x00, 0x00]); // client name "", version "" as compact strings, no tags
    const body = await client.request(ApiKey.ApiVersions, 3, flexibleBody);
    assert.equal(body.int16(), ErrorCode.UNSUPPORTED_VERSION);
    const keys = body.array((r) => [r.int16(), r.int16(), r.int16()]);
    assert.deepEqual(keys, [[ApiKey.ApiVersions, 0, 2]]);
    assert.equal(body.remaining, 0, 'v0 layout: no throttle_time_ms');

    // The retry with v2 gets the full list.
    const v2 = await client.request(ApiKey.ApiVersions, 2, Buffer.alloc(0));
    assert.equal(v2.int16(), 0);
    const ranges = v2.array((r) => [r.int16(), r.int16(), r.int16()]);
    assert.deepEqual(ranges, [
      [ApiKey.Produce, 3, 8],
      [ApiKey.Metadata, 0, 7],
      [ApiKey.ApiVersions, 0, 2],
      [ApiKey.InitProducerId, 0, 1],
    ]);
    assert.equal(v2.int32(), 0, 'throttle_time_ms');
  });

  test('Produce v3–v8 responses have the layout of each version; offsets continue across versions', async (t) => {
    const broker = await brokerFor(t, { topics: { t: 1 } });
    const client = await rawClient(t, broker);
    for (let version = 3; version <= 8; version++) {
      const records = encodeRecordBatch({ records: [{ value: `v${version}` }], compression: version % 2 });
      const body = produceRequestBody({ topics: [{ name: 't', partitions: [{ index: 0, records }] }] });
      const response = readProduceResponse(await client.request(ApiKey.Produce, version, body), version);
      assert.deepEqual(
        response,
        [{ topic: 't', partition: 0, errorCode: 0, baseOffset: BigInt(version - 3) }],
        `v${version}`,
      );
    }
    assert.deepEqual(
      broker.records('t').map((r) => String(r.value)),
      ['v3', 'v4', 'v5', 'v6', 'v7', 'v8'],
    );
  });

  test('Metadata v0–v7 responses have the layout of each version', async (t) => {
    const broker = await brokerFor(t, { topics: { known: 2 } });
    const client = await rawClient(t, broker);
    for (let version = 0; version <= 7; version++) {
      // v0 has a non-nullable array and no auto-create flag; v1–v3 have no flag.
      const request = new Writer().array(['known'], (w, name) => w.string(name));
      if (version >= 4) request.boolean(false);
      const body = await client.request(ApiKey.Metadata, version, request.toBuffer());
      if (version >= 3) assert.equal(body.int32(), 0, `v${version} throttle`);
      body.array((b) => {
        assert.equal(b.int32(), 0);
        assert.equal(b.string(), '127.0.0.1');
        assert.equal(b.int32(), broker.port);
        if (version >= 1) assert.equal(b.nullableString(), null, 'rack');
      });
      if (version >= 2) body.nullableString(); // cluster_id
      if (version >= 1) assert.equal(body.int32(), 0, 'controller_id');
      const topics = body.array((tp) => {
        const topic = { error: tp.int16(), name: tp.string(), partitions: 0 };
        if (version >= 1) assert.equal(tp.boolean(), false, 'is_internal');
        topic.partitions = tp.array((p) => {
          assert.equal(p.int16(), 0);
          const index = p.int32();
          assert.equal(p.int32(), 0, 'leader');
          if (version >= 7) p.int32(); // leader_epoch
          assert.deepEqual(
            p.array((x) => x.int32()),
            [0],
            'replicas',
          );
          assert.deepEqual(
            p.array((x) => x.int32()),
            [0],
            'isr',
          );
          if (version >= 5)
            assert.deepEqual(
              p.array((x) => x.int32()),
              [],
              'offline',
            );
          return index;
        }).length;
        return topic;
      });
      assert.deepEqual(topics, [{ error: 0, name: 'known', partitions: 2 }], `v${version}`);
      assert.equal(body.remaining, 0, `v${version} fully consumed`);
    }
  });

  test('an unsupported version of another API closes the connection, as Kafka does', async (t) => {
    const broker = await brokerFor(t);
    const client = await rawClient(t, broker);
    await client.writeRaw(RawKafkaClient.encodeRequest(ApiKey.Produce, 2, 1, Buffer.alloc(0)));
    assert.equal(await client.nextResponse(), null);
  });

  test('framing: a request split byte by byte and two requests in one chunk are both answered in order', async (t) => {
    const broker = await brokerFor(t, { topics: { known: 2 } });
    const client = await rawClient(t, broker);

    const split = RawKafkaClient.encodeRequest(ApiKey.Metadata, 5, 7, metadataRequestBody(['known'], false));
    for (const byte of split) await client.writeRaw(Buffer.from([byte]));
    const first = await client.nextResponse();
    assert.equal(first?.correlationId, 7);

    const both = Buffer.concat([
      RawKafkaClient.encodeRequest(ApiKey.ApiVersions, 1, 8, Buffer.alloc(0)),
      RawKafkaClient.encodeRequest(ApiKey.ApiVersions, 2, 9, Buffer.alloc(0)),
    ]);
    await client.writeRaw(both);
    assert.equal((await client.nextResponse())?.correlationId, 8);
    assert.equal((await client.nextResponse())?.correlationId, 9);
  });

  test('Metadata v5: known topic, unknown topic without auto-create, invalid name, broker and controller', async (t) => {
    const broker = await brokerFor(t, { topics: { known: 2 } });
    const client = await rawClient(t, broker);
    const body = await client.request(
      ApiKey.Metadata,
      5,
      metadataRequestBody(['known', 'missing', 'bad name!'], false),
    );
    assert.equal(body.int32(), 0, 'throttle');
    const brokers = body.array((r) => ({
      node: r.int32(),
      host: r.string(),
      port: r.int32(),
      rack: r.nullableString(),
    }));
    assert.deepEqual(brokers, [{ node: 0, host: '127.0.0.1', port: broker.port, rack: null }]);
    assert.equal(typeof body.nullableString(), 'string', 'cluster id');
    assert.equal(body.int32(), 0, 'controller id');
    const topics = body.array((t) => ({
      error: t.int16(),
      name: t.string(),
      internal: t.boolean(),
      partitions: t.array((p) => {
        const partition = { error: p.int16(), index: p.int32(), leader: p.int32() };
        p.array((x) => x.int32());
        p.array((x) => x.int32());
        p.array((x) => x.int32()); // offline replicas (v5)
        return partition;
      }),
    }));
    assert.equal(body.remaining, 0);
    assert.deepEqual(topics, [
      {
        error: 0,
        name: 'known',
        internal: false,
        partitions: [
          { error: 0, index: 0, leader: 0 },
          { error: 0, index: 1, leader: 0 },
        ],
      },
      { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: 'missing', internal: false, partitions: [] },
      { error: ErrorCode.INVALID_TOPIC_EXCEPTION, name: 'bad name!', internal: false, partitions: [] },
    ]);
    assert.deepEqual(broker.topics(), ['known'], 'allow_auto_topic_creation=false was honoured');
  });
});

test('writer: values written across a buffer growth land in the new buffer', async () => {
  const { Writer } = await import('./kafka-broker/protocol/writer.ts');
  const writer = new Writer(4);
  writer.int32(1).int32(2).int64(3).string('abcdefgh').int16(4);
  const reader = await import('./kafka-broker/protocol/reader.ts');
  const r = new reader.Reader(writer.toBuffer());
  assert.deepEqual([r.int32(), r.int32(), Number(r.int64()), r.string(), r.int16()], [1, 2, 3, 'abcdefgh', 4]);
});
