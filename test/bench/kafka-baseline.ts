// Baseline of the Kafka bench: kafkajs alone, in a process of its own, producing the records the
// router would produce (the normalized sample event as JSON, key device:chat, the four default
// headers) to the same test broker, with the producer settings the connector uses (idempotent,
// one request in flight, acks all, batches of BATCH). Values are built before the clock starts, so
// this is the cost of the client library and the broker alone: the ceiling for the router.
// Prints one JSON line: { records, ms, cpuMs }.
import { Kafka, logLevel } from 'kafkajs';
import { rehydrate } from '../../src/wassenger/rehydrate.ts';
import { sampleBody } from './kit.ts';

const [port, count, batch, topic] = [
  Number(process.argv[2]),
  Number(process.argv[3]),
  Number(process.argv[4]),
  process.argv[5]!,
];
const CHATS = 1_000;
const events = Array.from({ length: CHATS }, (_, n) =>
  rehydrate({ id: `evt_base_${n}`, body: sampleBody(`${n}@c.us`), itemIndex: 0, receivedAt: Date.now() }),
);
const values = events.map((event) => JSON.stringify(event));

const kafka = new Kafka({ clientId: 'bench-baseline', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const started = Date.now();
const cpu = process.cpuUsage();
for (let start = 0; start < count; start += batch) {
  const messages = Array.from({ length: Math.min(batch, count - start) }, (_, i) => {
    const n = start + i;
    const event = events[n % CHATS]!;
    return {
      key: `${event.device.id}:${event.chat?.id ?? ''}`,
      value: values[n % CHATS]!,
      headers: {
        'wa-event': event.event,
        'wa-event-id': `evt_base_${n}`,
        'wa-idempotency-key': `evt_base_${n}:events`,
        'content-type': 'application/json',
      },
    };
  });
  await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
}
const ms = Date.now() - started;
const used = process.cpuUsage(cpu);
await producer.disconnect();
process.stdout.write(`${JSON.stringify({ records: count, ms, cpuMs: (used.user + used.system) / 1000 })}\n`);
