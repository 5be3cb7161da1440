// `npm run bench:store`: the router on SQLite (one instance) beside PostgreSQL with one and two
// instances, in one run, with the same load: ingest throughput (32 connections spread over the
// instances, the 4.2 KB sample with a unique id per request), the CPU each delivered event cost
// the routers and PostgreSQL, and end-to-end latency (POST → sink) at a fixed 500 events/s. Runs
// the production build. BENCH_SECONDS sets each run (default 10). Prints a summary table of the
// ratios against their targets and writes everything to bench/results/<date>T<hhmm>-store.json,
// in the format of `npm run bench` (test/bench/report.ts).
import autocannon from 'autocannon';
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_URL, freshSchema } from '../testkit/postgres.ts';
import { SECRET, cpuMsOf, drain, percentile, portOf, sampleBody, sinkReport, sinkRouterConfig, stop } from './kit.ts';
import { ROOT as root, type Row, heading, info, machineFacts, printSummary, row, writeResults } from './report.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);

interface ScenarioResult {
  readonly name: string;
  readonly instances: number;
  /** Acknowledged webhooks per second under 32 connections. */
  readonly ingestPerSec: number;
  readonly ingestP99Ms: number;
  /** CPU time per event delivered, from the start of the throughput run until the sink drained (µs). */
  readonly routerCpuUsPerEvent: number;
  /** The same for the PostgreSQL backends serving the routers (0 for SQLite; see BackendCpu). */
  readonly postgresCpuUsPerEvent: number;
  readonly fixedRate: {
    readonly ackP50Ms: number;
    readonly ackP99Ms: number;
    readonly endToEndP50Ms: number;
    readonly endToEndP99Ms: number;
  };
  readonly delivered: number;
  readonly acknowledged: number;
  readonly non2xx: number;
}

async function loadAll(ports: number[], connections: number, duration: number, overallRate?: number) {
  const runs = await Promise.all(
    ports.map((port) =>
      autocannon({
        url: `http://127.0.0.1:${port}/webhooks/wassenger?key=${SECRET}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        connections: Math.max(1, Math.round(connections / ports.length)),
        duration,
        ...(overallRate ? { overallRate: overallRate / ports.length } : {}),
        requests: [{ setupRequest: (request) => ({ ...request, body: sampleBody() }) }],
      }),
    ),
  );
  return {
    rps: runs.reduce((sum, run) => sum + run.requests.average, 0),
    p50: Math.max(...runs.map((run) => run.latency.p50)),
    p99: Math.max(...runs.map((run) => run.latency.p99)),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    total: runs.reduce((sum, run) => sum + run.requests.total, 0),
  };
}

/** The routers' PostgreSQL connections name themselves so, and only their backends are counted. */
const APPLICATION = 'wa_router_bench';

/**
 * CPU used by the PostgreSQL backends serving the routers (found by application_name), sampled
 * twice a second so backends that come and go are counted too. Other databases' work on this
 * shared machine is left out; PostgreSQL's own background processes (WAL writer, checkpointer) too.
 */
class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly client = new pg.Client({ connectionString: POSTGRES_URL });
  private timer: NodeJS.Timeout | undefined;

  async start(): Promise<void> {
    await this.client.connect();
    await this.sample();
    this.timer = setInterval(() => void this.sample().catch(() => {}), 500);
  }

  private async sample(): Promise<void> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [APPLICATION],
    );
    for (const { pid } of rows) {
      try {
        const cpu = cpuMsOf(pid);
        if (!this.first.has(pid)) this.first.set(pid, cpu);
        this.last.set(pid, cpu);
      } catch {
        // Ended meanwhile: its last sample stands.
      }
    }
  }

  /** CPU ms the backends used since start. */
  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.sample();
    await this.client.end();
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - this.first.get(pid)!;
    return total;
  }
}

/**
 * Wait until the sink has every acknowledged event and receives no more (the routers drained their
 * backlog); a pause in deliveries alone is not the end when the routers fall far behind.
 */
async function drainAll(sink: ChildProcess, acknowledged: number, maxSeconds = 180): Promise<void> {
  for (let last = -1, waited = 0; waited < maxSeconds; waited++) {
    const { received } = await sinkReport(sink);
    if (received >= acknowledged && received === last) return;
    last = received;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function scenario(
  name: string,
  store: string,
  instances: number,
  sink: ChildProcess,
  sinkPort: number,
): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-store-bench-'));
  const config = join(dir, 'wa-router.yaml');
  const url = store.startsWith('postgres') ? `${store}&application_name=${APPLICATION}` : store.replace('{{DIR}}', dir);
  writeFileSync(config, sinkRouterConfig(url, sinkPort));
  const routers: ChildProcess[] = [];
  const ports: number[] = [];
  for (let n = 0; n < instances; n++) {
    const router = spawn(process.execPath, ['dist/src/cli.js', 'serve', '--config', config], {
      cwd: root,
      env: { ...process.env, WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    routers.push(router);
    ports.push(await portOf(router));
  }
  const routerCpu = () => routers.reduce((sum, router) => sum + cpuMsOf(router.pid!), 0);
  await loadAll(ports, 32, 2);
  await drain(sink);
  sink.send('reset');
  const backends = store.startsWith('postgres') ? new BackendCpu() : undefined;
  await backends?.start();
  const routerBefore = routerCpu();
  const throughput = await loadAll(ports, 32, seconds);
  await drainAll(sink, throughput.total - throughput.non2xx);
  const routerMs = routerCpu() - routerBefore;
  const postgresMs = (await backends?.stop()) ?? 0;
  const { received: delivered } = await sinkReport(sink);
  sink.send('reset');
  const fixed = await loadAll(ports, 32, seconds, 500);
  await drain(sink, 30);
  const { latencies } = await sinkReport(sink);
  await Promise.all(routers.map(stop));
  rmSync(dir, { recursive: true, force: true });
  const perEvent = (ms: number) => Math.round((ms * 1000) / Math.max(1, delivered));
  const result: ScenarioResult = {
    name,
    instances,
    ingestPerSec: Math.round(throughput.rps),
    ingestP99Ms: throughput.p99,
    routerCpuUsPerEvent: perEvent(routerMs),
    postgresCpuUsPerEvent: perEvent(postgresMs),
    fixedRate: {
      ackP50Ms: fixed.p50,
      ackP99Ms: fixed.p99,
      endToEndP50Ms: percentile(latencies, 50),
      endToEndP99Ms: percentile(latencies, 99),
    },
    delivered,
    acknowledged: throughput.total - throughput.non2xx,
    non2xx: throughput.non2xx + fixed.non2xx,
  };
  console.log(
    `${name.padEnd(24)} ingest ${String(result.ingestPerSec).padStart(6)} req/s (p99 ${result.ingestP99Ms} ms), ` +
      `CPU/event router ${result.routerCpuUsPerEvent} µs, PostgreSQL ${result.postgresCpuUsPerEvent} µs` +
      `   at 500/s: ack p50 ${fixed.p50} ms p99 ${fixed.p99} ms, end to end p50 ${result.fixedRate.endToEndP50Ms} ms p99 ${result.fixedRate.endToEndP99Ms} ms` +
      `, delivered ${delivered}/${result.acknowledged}, non-2xx ${result.non2xx}`,
  );
  return result;
}

function summary(results: readonly ScenarioResult[]): Row[] {
  const [sqlite, pg1, pg2] = results as [ScenarioResult, ScenarioResult, ScenarioResult];
  return [
    info(
      'ingest throughput: SQLite / PostgreSQL 1 / 2 instances',
      [sqlite.ingestPerSec, pg1.ingestPerSec, pg2.ingestPerSec],
      'req/s',
    ),
    row('PostgreSQL / SQLite throughput (1 instance each)', pg1.ingestPerSec / sqlite.ingestPerSec, '', '≥', 0.8),
    row('two PostgreSQL instances / one (throughput)', pg2.ingestPerSec / pg1.ingestPerSec, '', '≥', 1),
    info(
      'router CPU per event (SQLite / PostgreSQL 1 / 2)',
      [sqlite.routerCpuUsPerEvent, pg1.routerCpuUsPerEvent, pg2.routerCpuUsPerEvent],
      'µs',
    ),
    info('PostgreSQL CPU per event (1 / 2 instances)', [pg1.postgresCpuUsPerEvent, pg2.postgresCpuUsPerEvent], 'µs'),
    info(
      'router + PostgreSQL CPU per event / SQLite router’s',
      (pg1.routerCpuUsPerEvent + pg1.postgresCpuUsPerEvent) / sqlite.routerCpuUsPerEvent,
      '×',
    ),
  ];
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = machineFacts();
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const sink = fork(join(root, 'test/bench/sink-server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const sinkPort = await portOf(sink);
  console.log(`\nwa-router store benchmark (${seconds} s per run)\n`);
  const results: ScenarioResult[] = [];
  results.push(await scenario('SQLite, 1 instance', 'sqlite:{{DIR}}/bench.db', 1, sink, sinkPort));
  for (const instances of [1, 2]) {
    const schema = freshSchema();
    try {
      const name = `PostgreSQL, ${instances} instance${instances > 1 ? 's' : ''}`;
      results.push(await scenario(name, schema.url, instances, sink, sinkPort));
    } finally {
      await schema.drop();
    }
  }
  sink.kill('SIGTERM');
  const rows = summary(results);
  printSummary(heading('wa-router store bench', started, machine), rows);
  console.log(`Written to ${writeResults('store', started, machine, { seconds, summary: rows, results })}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
