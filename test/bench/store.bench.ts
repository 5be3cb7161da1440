// `npm run bench:store`: the router on SQLite (one instance) beside PostgreSQL with one and two
// instances, in one run, with the same load: ingest throughput (32 connections spread over the
// instances, the 4.2 KB sample with a unique id per request) and end-to-end latency (POST → sink)
// at a fixed 500 events/s. Runs the production build. BENCH_SECONDS sets each run (default 10).
import autocannon from 'autocannon';
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRET, drain, percentile, portOf, sampleBody, sinkReport, sinkRouterConfig, stop } from './kit.ts';
import { freshSchema } from '../testkit/postgres.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const root = fileURLToPath(new URL('../..', import.meta.url));

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

async function scenario(name: string, store: string, instances: number, sink: ChildProcess, sinkPort: number) {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-store-bench-'));
  const config = join(dir, 'wa-router.yaml');
  writeFileSync(config, sinkRouterConfig(store.replace('{{DIR}}', dir), sinkPort));
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
  await loadAll(ports, 32, 2);
  const throughput = await loadAll(ports, 32, seconds);
  await drain(sink);
  sink.send('reset');
  const fixed = await loadAll(ports, 32, seconds, 500);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const { latencies, received } = await sinkReport(sink);
  await Promise.all(routers.map(stop));
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${name.padEnd(24)} ingest ${String(Math.round(throughput.rps)).padStart(6)} req/s (p99 ${throughput.p99} ms)` +
      `   at 500/s: ack p50 ${fixed.p50} ms p99 ${fixed.p99} ms, end to end p50 ${percentile(latencies, 50)} ms p99 ${percentile(latencies, 99)} ms` +
      `, delivered ${received}/${fixed.total}, non-2xx ${throughput.non2xx + fixed.non2xx}`,
  );
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const sink = fork(join(root, 'test/bench/sink-server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const sinkPort = await portOf(sink);
  console.log(`\nwa-router store benchmark (${seconds} s per run)\n`);
  await scenario('SQLite, 1 instance', 'sqlite:{{DIR}}/bench.db', 1, sink, sinkPort);
  for (const instances of [1, 2]) {
    const schema = freshSchema();
    try {
      await scenario(
        `PostgreSQL, ${instances} instance${instances > 1 ? 's' : ''}`,
        schema.url,
        instances,
        sink,
        sinkPort,
      );
    } finally {
      await schema.drop();
    }
  }
  sink.kill('SIGTERM');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
