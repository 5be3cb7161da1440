// The test kit's Kafka broker as a process of its own for the Kafka benchmark: prints its port,
// answers "count" on IPC with the number of records of the router's topic and of the baseline's.
import { startKafkaBroker } from '../testkit/kafka-broker/index.ts';

const broker = await startKafkaBroker({
  topics: { 'wa.events': 6, 'wa.baseline': 6 },
  autoCreateTopics: false,
  ...(process.env.BENCH_DEBUG ? { debug: (message: string) => process.stderr.write(`broker: ${message}\n`) } : {}),
});
process.stdout.write(`PORT ${broker.port}\n`);
process.on('message', (message) => {
  if (message !== 'count') return;
  let produces = 0;
  for (const request of broker.requests) if (request.apiName === 'Produce') produces++;
  // Counted, not listed: the bench polls every 50 ms, and copying 50,000 records each time took a core.
  process.send?.({ records: broker.recordCount('wa.events'), baseline: broker.recordCount('wa.baseline'), produces });
});
process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
