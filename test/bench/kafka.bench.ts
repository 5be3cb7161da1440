// Kafka part of `npm run bench` (test/bench/summary.ts runs it): 50,000 events stored first with a
// pending delivery each, then a router (production build) starts and delivers them all to one topic
// on the test broker (a process of its own). Prints the drain rate (events/s) from the first to the
// last record and the batch sizes used, against a baseline run first in the same process tree:
// kafkajs alone producing the same records, values built in advance. Target: the drain at >= 0.9
// of the baseline. BENCH_KAFKA_EVENTS sets the count; BENCH_KAFKA_BATCH (and BENCH_KAFKA_INFLIGHT)
// override maxBatch (and maxInFlight) to compare.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { SECRET, cpuMsOf, portOf, sampleBody, stop } from './kit.ts';
import { info, reportPart, row } from './report.ts';

const EVENTS = Number(process.env.BENCH_KAFKA_EVENTS ?? 50_000);
const CHATS = 1_000;
const batchSize = Number(process.env.BENCH_KAFKA_BATCH ?? 100);
const root = fileURLToPath(new URL('../..', import.meta.url));

interface BrokerCount {
  records: number;
  baseline: number;
  produces: number;
}

function brokerCount(broker: ChildProcess): Promise<BrokerCount> {
  return new Promise((resolve) => {
    broker.once('message', (message) => resolve(message as BrokerCount));
    broker.send('count');
  });
}

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-kafka-bench-'));
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const broker = fork(join(root, 'test/bench/kafka-broker-server.ts'), [], {
    execArgv: [...profile, '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const brokerPort = await portOf(broker);
  if (process.env.BENCH_DEBUG) console.error('broker', brokerPort);

  // (a) Baseline: kafkajs alone producing the same records to the same broker, in its own process.
  const brokerCpuBefore = cpuMsOf(broker.pid!);
  const baselineOut = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/bench/kafka-baseline.ts',
      String(brokerPort),
      String(EVENTS),
      String(batchSize),
      'wa.baseline',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  const baseline = JSON.parse(baselineOut.trim().split('\n').pop()!) as { records: number; ms: number; cpuMs: number };
  const baselineBrokerCpuMs = cpuMsOf(broker.pid!) - brokerCpuBefore;
  const baselineProduces = (await brokerCount(broker)).produces;

  // Store the events first, as ingest does while the connector cannot keep up or is down.
  const store = new SqliteStore({ path: join(dir, 'bench.db') });
  const now = Date.now();
  for (let start = 0; start < EVENTS; start += 1_000) {
    await store.appendWebhooks(
      Array.from({ length: Math.min(1_000, EVENTS - start) }, (_, i) => {
        const n = start + i;
        const chat = `${n % CHATS}@c.us`;
        // As ingest stores them when the connector has no room: routed, one pending delivery each.
        const plan = [{ connector: 'events', route: 'all', chatKey: chat }];
        return {
          body: sampleBody(chat),
          receivedAt: now,
          events: [{ id: `evt_kafka_${n}`, event: 'message:in:new', itemIndex: 0, chatId: chat, plan }],
        };
      }),
    );
  }
  await store.close();
  if (process.env.BENCH_DEBUG) console.error('stored');

  const overrides = [
    process.env.BENCH_KAFKA_BATCH ? `maxBatch: ${process.env.BENCH_KAFKA_BATCH}` : '',
    process.env.BENCH_KAFKA_INFLIGHT ? `maxInFlight: ${process.env.BENCH_KAFKA_INFLIGHT}` : '',
  ].filter(Boolean);
  const deliveryOverride = overrides.length > 0 ? `    delivery: { ${overrides.join(', ')} }\n` : '';
  writeFileSync(
    join(dir, 'wa-router.yaml'),
    `server: { port: 0, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}" }
store: sqlite:${join(dir, 'bench.db')}
connectors:
  events:
    type: kafka
    brokers: [127.0.0.1:${brokerPort}]
    topic: wa.events
${deliveryOverride}routes:
  - name: all
    to: [events]
`,
  );
  const started = Date.now();
  const router = spawn(
    process.execPath,
    [...profile, 'dist/src/cli.js', 'serve', '--config', join(dir, 'wa-router.yaml')],
    {
      cwd: root,
      env: { ...process.env, WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await portOf(router);
  if (process.env.BENCH_DEBUG) router.stdout!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  if (process.env.BENCH_DEBUG) console.error('router up');
  let first = 0;
  let count: BrokerCount = { records: 0, baseline: 0, produces: 0 };
  const brokerCpuStart = cpuMsOf(broker.pid!);
  while (count.records < EVENTS && Date.now() - started < 300_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    count = await brokerCount(broker);
    if (!first && count.records > 0) first = Date.now();
    if (process.env.BENCH_DEBUG) console.error(count);
  }
  const last = Date.now();
  const routerCpuMs = cpuMsOf(router.pid!);
  const brokerCpuMs = cpuMsOf(broker.pid!) - brokerCpuStart;
  await stop(router);
  await stop(broker);
  rmSync(dir, { recursive: true, force: true });
  const rate = count.records / ((last - first) / 1000);
  const baseRate = baseline.records / (baseline.ms / 1000);
  const perRecord = (ms: number, records: number) => Math.round((ms * 1000) / Math.max(1, records));
  const produces = count.produces - baselineProduces;
  const figures = {
    events: EVENTS,
    drained: count.records,
    baseline: {
      recordsPerSec: Math.round(baseRate),
      clientCpuUsPerRecord: perRecord(baseline.cpuMs, baseline.records),
      brokerCpuUsPerRecord: perRecord(baselineBrokerCpuMs, baseline.records),
    },
    router: {
      eventsPerSec: Math.round(rate),
      secondsFromStart: Number(((last - started) / 1000).toFixed(1)),
      routerCpuUsPerEvent: perRecord(routerCpuMs, count.records),
      brokerCpuUsPerEvent: perRecord(brokerCpuMs, count.records),
      produceRequests: produces,
      recordsPerBatch: Number((count.records / Math.max(1, produces)).toFixed(1)),
    },
  };
  console.log(`\nKafka: ${count.records}/${EVENTS} stored events drained to one topic (6 partitions, ${CHATS} chats)`);
  console.log(
    `  (a) kafkajs alone, same records, values built in advance: ${figures.baseline.recordsPerSec} records/s; CPU per record: client ${figures.baseline.clientCpuUsPerRecord} µs, broker ${figures.baseline.brokerCpuUsPerRecord} µs`,
  );
  console.log(
    `  (b) router, from the store: ${figures.router.eventsPerSec} events/s (first to last record, ±50 ms), ${figures.router.secondsFromStart} s from router start; CPU per event: router ${figures.router.routerCpuUsPerEvent} µs (start-up included), broker ${figures.router.brokerCpuUsPerEvent} µs`,
  );
  console.log(
    `  ratio b/a ${(rate / baseRate).toFixed(2)}; ${produces} produce requests, ${figures.router.recordsPerBatch} records per batch on average`,
  );
  // A drain that did not finish (5 minutes) has no rate to hold to the target.
  const ratio = count.records < EVENTS ? Number.NaN : rate / baseRate;
  reportPart('kafka', {
    rows: [
      info(
        'Kafka: kafkajs alone / router drain',
        [figures.baseline.recordsPerSec, figures.router.eventsPerSec],
        'records/s',
      ),
      row('Kafka drain / kafkajs alone (values built in advance)', ratio, '', '≥', 0.9),
    ],
    details: figures,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
