import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { startKafkaBroker } from '../../test/testkit/kafka-broker/index.ts';
import type { KafkaClientOptions } from './producer.ts';
import { createThreadedKafkaClient } from './threaded-client.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function optionsFor(brokers: string[], log: KafkaClientOptions['log'] = silent): KafkaClientOptions {
  return {
    brokers,
    clientId: 'thread-test',
    ssl: false,
    compression: 'none',
    acks: -1,
    allowAutoTopicCreation: false,
    connectionTimeoutMs: 500,
    requestTimeoutMs: 2_000,
    retries: 1,
    metadataMaxAgeMs: 60_000,
    log,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the client on its own thread: results with exact offsets, errors with their type, and a new thread after close', async (t) => {
  const broker = await startKafkaBroker({ topics: { t: 2 }, autoCreateTopics: false });
  t.after(() => broker.close());
  const client = createThreadedKafkaClient(optionsFor(broker.brokers));
  t.after(() => client.close());
  const records = [1, 2, 3].map((n) => ({ topic: 't', key: `k${n}`, value: `v${n}`, headers: { n: String(n) } }));
  const results = await client.send(records);
  assert.equal(results.length, 3);
  for (const [n, result] of results.entries()) {
    assert.ok(result.ok, JSON.stringify(result));
    const stored = broker.records('t', result.partition).find((r) => String(r.offset) === result.offset);
    assert.equal(String(stored?.value), `v${n + 1}`);
  }
  const [missing] = await client.send([{ topic: 'nope', key: null, value: 'x', headers: {} }]);
  assert.ok(missing && !missing.ok);
  assert.equal(missing.error.type, 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(missing.error.name, 'KafkaClientError', 'errors are rebuilt on this side of the thread');

  await client.close();
  await client.close(); // twice is fine
  const [again] = await client.send([records[0]!]);
  assert.ok(again?.ok, 'a send after close starts a new thread');
  assert.equal(broker.records('t').length, 4);
});

test("the thread's kafkajs log lines reach the connector log; a broker that is not there fails calls with a retriable error", async (t) => {
  const warnings: string[] = [];
  const log = { ...silent, warn: (_fields: object, message?: string) => void warnings.push(message ?? '') };
  const client = createThreadedKafkaClient(optionsFor([`127.0.0.1:${await closedPort()}`], log));
  t.after(() => client.close());
  const [result] = await client.send([{ topic: 't', key: null, value: 'x', headers: {} }]);
  assert.ok(result && !result.ok);
  assert.equal(result.error.retriable, true);
  assert.match(result.error.type, /KafkaJS/);
  await assert.rejects(
    client.ping([]),
    (error: Error & { type?: string }) => error.name === 'KafkaClientError' && /KafkaJS/.test(error.type ?? ''),
  );
  assert.ok(
    warnings.some((line) => line.startsWith('kafkajs: ')),
    `kafkajs warnings forwarded: ${JSON.stringify(warnings)}`,
  );
});
