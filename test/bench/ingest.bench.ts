// Ingest part of `npm run bench` (test/bench/summary.ts runs it): throughput of the router against a
// bare Koa baseline and a forwarder (bare Koa that also forwards each webhook to the sink: the
// floor for any router here), in one run, with the same load generator (autocannon, 32
// connections, the 4.2 KB message:in:new sample with a unique message id per request); then the
// acknowledged and end-to-end latency at a fixed rate of 40% of the forwarder's measured throughput
// (own generator, send time taken as each body is written), and the router's peak RSS during that
// run. The rate follows the forwarder so that the latency is read at the same share of this
// machine's capacity whatever its speed or load. The router runs from the production build
// (npm run build, node dist/...), as it ships. Prints numbers; asserts nothing. BENCH_SECONDS sets
// the length (default 10); for diagnosis, BENCH_RATE=n fixes the rate, BENCH_SYNC=normal uses
// synchronous=NORMAL, BENCH_NO_ROUTE=1 measures ingest alone and BENCH_PROFILE_DIR=dir writes the
// router's CPU profile there.
import autocannon from 'autocannon';
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SECRET,
  cpuMsOf,
  drain,
  fixedRate,
  percentile,
  portOf,
  sampleBody,
  sinkReport,
  sinkRouterConfig,
  stop,
} from './kit.ts';
import { ROOT, info, reportPart, row } from './report.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
/** Share of the forwarder's throughput the latency run is held at. */
const LOAD_SHARE = 0.4;
const rateNote = process.env.BENCH_RATE ? 'set by BENCH_RATE' : `${LOAD_SHARE * 100}% of the forwarder`;

function load(url: string, duration: number) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: 32,
    duration,
    requests: [{ setupRequest: (request) => ({ ...request, body: sampleBody() }) }],
  });
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Reset a process's peak RSS to its current RSS (Linux), so the next peak is that of one run. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface Throughput {
  readonly perSec: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Events that reached the sink (acknowledged ones for bare Koa, which forwards nothing). */
  readonly delivered: number;
  /** CPU time of the process per delivered event, until the sink drained (µs, all threads). */
  readonly cpuUsPerEvent: number;
}

/** A warm-up run, then the measured one; with a sink, each ends when the sink stops receiving. */
async function throughput(url: string, pid: number, sink?: ChildProcess): Promise<Throughput> {
  await load(url, 2);
  if (sink) {
    await drain(sink);
    sink.send('reset');
  }
  const cpuBefore = cpuMsOf(pid);
  const result = await load(url, seconds);
  if (sink) await drain(sink);
  const cpuMs = cpuMsOf(pid) - cpuBefore;
  const delivered = sink ? (await sinkReport(sink)).received : result['2xx'];
  return {
    perSec: Math.round(result.requests.average),
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    delivered,
    cpuUsPerEvent: Math.round((cpuMs * 1000) / Math.max(1, delivered)),
  };
}

function start(args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function baselines(sink: ChildProcess, sinkPort: number) {
  const bare = start(['test/bench/bare-koa.mjs']);
  const a = await throughput(`http://127.0.0.1:${await portOf(bare)}/`, bare.pid!);
  await stop(bare);
  const forwarder = start(['test/bench/forward-koa.mjs', String(sinkPort)]);
  const f = await throughput(`http://127.0.0.1:${await portOf(forwarder)}/`, forwarder.pid!, sink);
  await stop(forwarder);
  return { a, f };
}

/** The router, SQLite (synchronous=FULL) and one http route to the sink: throughput, then the fixed rate. */
async function router(sink: ChildProcess, sinkPort: number, rate: number) {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-bench-'));
  const config = join(dir, 'wa-router.yaml');
  const store = `sqlite:${join(dir, 'bench.db')}${process.env.BENCH_SYNC ? `?synchronous=${process.env.BENCH_SYNC}` : ''}`;
  writeFileSync(config, sinkRouterConfig(store, sinkPort, { noRoute: Boolean(process.env.BENCH_NO_ROUTE) }));
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = start([...profile, 'dist/src/cli.js', 'serve', '--config', config], {
    ...process.env,
    WA_ROUTER_SECRET: SECRET,
    LOG_LEVEL: 'info',
  });
  const url = `http://127.0.0.1:${await portOf(child)}/webhooks/wassenger?key=${SECRET}`;
  const b = await throughput(url, child.pid!, sink);
  const peakUnderLoadMb = Math.round(peakRssMb(child.pid!));
  const latency = {
    ...(await latencyRun(child, url, sink, rate)),
    rateIsShareOfForwarder: process.env.BENCH_RATE ? null : LOAD_SHARE,
  };
  // The same at 40% of the router's own capacity: latency below saturation, whatever the forwarder does.
  const ownRate = Math.max(1, Math.round(LOAD_SHARE * b.perSec));
  const ownLatency = { ...(await latencyRun(child, url, sink, ownRate)), rateIsShareOfRouter: LOAD_SHARE };
  await stop(child);
  rmSync(dir, { recursive: true, force: true });
  return { b, peakUnderLoadMb, latency, ownLatency };
}

/** One fixed-rate run against the running router: acknowledgement and end-to-end latency, peak RSS. */
async function latencyRun(child: ChildProcess, url: string, sink: ChildProcess, rate: number) {
  const rssReset = resetPeakRss(child.pid!);
  sink.send('reset');
  const fixed = await fixedRate(url, rate, seconds);
  await drain(sink, 30);
  const { received, latencies } = await sinkReport(sink);
  return {
    rate,
    sent: fixed.sent,
    acknowledged: fixed.acknowledged,
    delivered: received,
    ackP50Ms: percentile(fixed.ackLatencies, 50),
    ackP99Ms: percentile(fixed.ackLatencies, 99),
    endToEndP50Ms: percentile(latencies, 50),
    endToEndP99Ms: percentile(latencies, 99),
    // Without clear_refs, the peak is that of the router's whole life, throughput run included.
    peakRssMb: Math.round(peakRssMb(child.pid!)),
    peakRssOfThisRunOnly: rssReset,
  };
}

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const sink = fork(join(ROOT, 'test/bench/sink-server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const sinkPort = await portOf(sink);
  const { a, f } = await baselines(sink, sinkPort);
  const rate = Number(process.env.BENCH_RATE) || Math.round(LOAD_SHARE * f.perSec);
  const { b, peakUnderLoadMb, latency, ownLatency } = await router(sink, sinkPort, rate);
  sink.kill('SIGTERM');

  const line = (name: string, r: Throughput) =>
    `${name.padEnd(38)} ${String(r.perSec).padStart(6)} req/s   p99 ${String(r.p99Ms).padStart(4)} ms   non-2xx ${r.non2xx}   CPU ${String(r.cpuUsPerEvent).padStart(5)} µs per delivered event (${r.delivered})`;
  console.log(`\nwa-router ingest benchmark (${seconds} s per run, 32 connections, 4.2 KB message:in:new)\n`);
  console.log(line('(a) bare Koa: read, JSON.parse, 200', a));
  console.log(line('(a2) forwarder: bare Koa + POST to sink', f));
  console.log(line('(b) router: SQLite FULL + http route', b));
  console.log(`\nat a fixed ${rate} events/s for ${seconds} s (${rateNote}):`);
  console.log(
    `    acknowledged (POST → 200): p50 ${latency.ackP50Ms.toFixed(1)} ms, p99 ${latency.ackP99Ms.toFixed(1)} ms, ${latency.acknowledged}/${latency.sent} acknowledged`,
  );
  console.log(
    `    end to end (POST → sink): p50 ${latency.endToEndP50Ms} ms, p99 ${latency.endToEndP99Ms} ms, delivered ${latency.delivered}/${latency.sent}`,
  );
  console.log(`router peak RSS: ${latency.peakRssMb} MB at the fixed rate, ${peakUnderLoadMb} MB under 32 connections`);
  console.log(
    `at ${ownLatency.rate} events/s (40% of the router): acknowledged p99 ${ownLatency.ackP99Ms.toFixed(1)} ms, end to end p99 ${ownLatency.endToEndP99Ms} ms, delivered ${ownLatency.delivered}/${ownLatency.sent}, peak RSS ${ownLatency.peakRssMb} MB`,
  );

  const at = `at ${rate}/s`;
  reportPart('ingest', {
    rows: [
      info('forwarder throughput (32 connections)', f.perSec, 'req/s'),
      info(
        'CPU per delivered event: bare Koa / forwarder / router',
        [a.cpuUsPerEvent, f.cpuUsPerEvent, b.cpuUsPerEvent],
        'µs',
      ),
      row('router CPU per delivered event / forwarder’s', b.cpuUsPerEvent / f.cpuUsPerEvent, '×', '≤', 2),
      row('router throughput / forwarder’s', b.perSec / f.perSec, '', '≥', 0.6),
      row(`${at} (${rateNote}): acknowledged p99`, latency.ackP99Ms, 'ms', '<', 10),
      row(`${at}: end-to-end p99`, latency.endToEndP99Ms, 'ms', '<', 50),
      // Above 1, the router is past its capacity and these latencies are those of a queue.
      info(`${at}: rate / router throughput`, rate / b.perSec, '×'),
      row(`${at}: router peak RSS`, latency.peakRssMb, 'MB', '<', 150),
      info('router peak RSS under 32 connections', peakUnderLoadMb, 'MB'),
      // Proposed in place of the rows above (issue 22's closing note): below saturation.
      info(
        `at ${ownLatency.rate}/s (40% of the router): ack / end-to-end p99`,
        [Math.round(ownLatency.ackP99Ms), ownLatency.endToEndP99Ms],
        'ms',
      ),
      info(`at ${ownLatency.rate}/s: router peak RSS`, ownLatency.peakRssMb, 'MB'),
    ],
    details: {
      seconds,
      bareKoa: a,
      forwarder: f,
      router: b,
      routerPeakRssUnderLoadMb: peakUnderLoadMb,
      fixedRate: latency,
      fixedRateOfRouter: ownLatency,
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
