// The test kit's Kafka broker as a process of its own for the Kafka benchmark: prints its port,
// answers "count" on IPC with the number of records of the topic.
import { startKafkaBroker } from '../testkit/kafka-broker/index.ts';

const broker = await startKafkaBroker({ topics: { 'wa.events': 6 }, autoCreateTopics: false, ...(process.env.BENCH_DEBUG ? { debug: (message: string) => process.stderr.write(`broker: ${message}\n`) } : {}) });
process.stdout.write(`PORT ${broker.port}\n`);
process.on('message', (message) => {
  if (message !== 'count') return;
  const produces = broker.requests.filter((request) => request.apiName === 'Produce').length;
  process.send?.({ records: broker.records('wa.events').length, produces });
});
process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
