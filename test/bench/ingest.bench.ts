// `npm run bench`: ingest throughput of the router against a bare Koa baseline (and a second one
// that also forwards each webhook to the sink: the floor for any router here), in one run, with
// the same load generator (autocannon, 32 connections, the 4.2 KB message:in:new sample with a
// unique message id per request), then end-to-end latency at a fixed 1,000 events/s (own
// generator, send time taken as each body is written), and the
// router's peak RSS. The router runs from the production build (npm run build, node dist/...),
// as it ships. Prints numbers; asserts nothing. BENCH_SECONDS sets the length (default 10);
// for diagnosis, BENCH_SYNC=normal uses synchronous=NORMAL, BENCH_NO_ROUTE=1 measures ingest alone and
// BENCH_PROFILE_DIR=dir writes the router's CPU profile there.
import autocannon from 'autocannon';
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function load(url: string, options: { connections: number; duration: number; overallRate?: number }) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: options.connections,
    duration: options.duration,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [{ setupRequest: (request) => ({ ...request, body: sampleBody() }) }],
  });
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  // (a) baseline
  const bare = spawn(process.execPath, ['test/bench/bare-koa.mjs'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const barePort = await portOf(bare);
  await load(`http://127.0.0.1:${barePort}/`, { connections: 32, duration: 2 });
  const bareCpuBefore = cpuMsOf(bare.pid!);
  const a = await load(`http://127.0.0.1:${barePort}/`, { connections: 32, duration: seconds });
  const bareCpuMs = cpuMsOf(bare.pid!) - bareCpuBefore;
  await stop(bare);

  const sink = fork(join(root, 'test/bench/sink-server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const sinkPort = await portOf(sink);

  // (a2) the floor: bare Koa that also forwards each webhook to the sink, with nothing in between
  const forward = spawn(process.execPath, ['test/bench/forward-koa.mjs', String(sinkPort)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const forwardPort = await portOf(forward);
  await load(`http://127.0.0.1:${forwardPort}/`, { connections: 32, duration: 2 });
  const forwardCpuBefore = cpuMsOf(forward.pid!);
  const f = await load(`http://127.0.0.1:${forwardPort}/`, { connections: 32, duration: seconds });
  await drain(sink);
  const forwardCpuMs = cpuMsOf(forward.pid!) - forwardCpuBefore;
  await stop(forward);
  sink.send('reset');

  // (b) the router: SQLite (synchronous=FULL) and one http route to the same sink
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-bench-'));
  const config = join(dir, 'wa-router.yaml');
  const store = `sqlite:${join(dir, 'bench.db')}${process.env.BENCH_SYNC ? `?synchronous=${process.env.BENCH_SYNC}` : ''}`;
  writeFileSync(config, sinkRouterConfig(store, sinkPort, { noRoute: Boolean(process.env.BENCH_NO_ROUTE) }));
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const router = spawn(process.execPath, [...profile, 'dist/src/cli.js', 'serve', '--config', config], {
    cwd: root,
    env: { ...process.env, WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const routerPort = await portOf(router);
  const url = `http://127.0.0.1:${routerPort}/webhooks/wassenger?key=${SECRET}`;
  await load(url, { connections: 32, duration: 2 });
  const routerCpuBefore = cpuMsOf(router.pid!);
  const b = await load(url, { connections: 32, duration: seconds });
  // Let the dispatcher drain the backlog of the throughput run, so the fixed-rate run starts empty.
  await drain(sink);
  const routerCpuMs = cpuMsOf(router.pid!) - routerCpuBefore; // storing and delivering what (b) sent

  sink.send('reset');
  const fixed = await fixedRate(url, 1_000, seconds);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const report = await sinkReport(sink);
  const rss = peakRssMb(router.pid!);
  await stop(router);
  sink.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });

  const row = (name: string, r: autocannon.Result) =>
    `${name.padEnd(38)} ${String(Math.round(r.requests.average)).padStart(8)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}`;
  console.log(`\nwa-router ingest benchmark (${seconds} s per run, 32 connections, 4.2 KB message:in:new)\n`);
  console.log(row('(a) bare Koa: read, JSON.parse, 200', a));
  console.log(row('(a2) bare Koa + forward to the sink', f));
  console.log(row('(b) router: SQLite FULL + http route', b));
  console.log(
    `ratio b/a: ${(b.requests.average / a.requests.average).toFixed(2)}   (target >= 0.6; the floor a2/a is ${(f.requests.average / a.requests.average).toFixed(2)}, b/a2 ${(b.requests.average / f.requests.average).toFixed(2)})`,
  );
  const perRequest = (ms: number, r: autocannon.Result) => (ms * 1000) / Math.max(1, r.requests.total);
  const [bareCpu, forwardCpu, routerCpu] = [
    perRequest(bareCpuMs, a),
    perRequest(forwardCpuMs, f),
    perRequest(routerCpuMs, b),
  ];
  console.log(
    `CPU per request (until delivered, all threads): bare Koa ${bareCpu.toFixed(0)} µs, + forward ${forwardCpu.toFixed(0)} µs, router ${routerCpu.toFixed(0)} µs (${(routerCpu / bareCpu).toFixed(1)}× bare, ${(routerCpu / forwardCpu).toFixed(1)}× forward)`,
  );
  console.log(`\nat a fixed 1,000 events/s for ${seconds} s:`);
  console.log(
    `    acknowledged (POST → 200): p50 ${percentile(fixed.ackLatencies, 50).toFixed(1)} ms, p99 ${percentile(fixed.ackLatencies, 99).toFixed(1)} ms, ${fixed.acknowledged}/${fixed.sent} acknowledged`,
  );
  console.log(
    `    end to end (POST → sink): p50 ${percentile(report.latencies, 50)} ms, p99 ${percentile(report.latencies, 99)} ms, delivered ${report.received}/${fixed.sent}`,
  );
  console.log(`router peak RSS: ${rss.toFixed(0)} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
