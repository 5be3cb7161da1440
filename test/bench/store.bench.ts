// `npm run bench:store`: the router on SQLite (one instance) beside PostgreSQL with one and two
// instances, in one run, with the same load: ingest throughput (32 connections spread over the
// instances, the 4.2 KB sample with a unique id per request) and end-to-end latency (POST → sink)
// at a fixed 500 events/s. Runs the production build. BENCH_SECONDS sets each run (default 10).
import autocannon from 'autocannon';
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshSchema } from '../testkit/postgres.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const root = fileURLToPath(new URL('../..', import.meta.url));
const sample = readFileSync(new URL('../fixtures/wassenger/message-in-new.json', import.meta.url), 'utf8');
const SECRET = 'bench-secret-0123456789';
const ID = '"id": "D94B1A12EC4E83F5F4CC71EC2B1E"';

let counter = 0;
function body(): string {
  counter++;
  return sample.replace(ID, `"id": "STORE${process.pid}X${counter}"`).replace('"body": "Hello"', `"body": "${Date.now()}"`);
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /PORT (\d+)/.exec(out) ?? /"port":(\d+).*Router listening/.exec(out);
      if (port) resolve(Number(port[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

const stop = (child: ChildProcess): Promise<void> => new Promise((resolve) => {
  if (child.exitCode !== null) return resolve();
  child.once('exit', () => resolve());
  child.kill('SIGTERM');
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function loadAll(ports: number[], connections: number, duration: number, overallRate?: number) {
  const runs = await Promise.all(ports.map((port) => autocannon({
    url: `http://127.0.0.1:${port}/webhooks/wassenger?key=${SECRET}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: Math.max(1, Math.round(connections / ports.length)),
    duration,
    ...(overallRate ? { overallRate: overallRate / ports.length } : {}),
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
  })));
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
  writeFileSync(config, `server: { port: 0, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}" }
store: ${store.replace('{{DIR}}', dir)}
connectors:
  sink:
    type: http
    url: http://127.0.0.1:${sinkPort}/in
    body: { id: "{{ id }}", sentAt: "{{ message.body }}" }
    delivery: { maxInFlight: 32 }
routes:
  - name: all
    to: [sink]
`);
  const routers: ChildProcess[] = [];
  const ports: number[] = [];
  for (let n = 0; n < instances; n++) {
    const router = spawn(process.execPath, ['dist/src/cli.js', 'serve', '--config', config], {
      cwd: root, env: { ...process.env, WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    routers.push(router);
    ports.push(await portOf(router));
  }
  const report = () => new Promise<{ received: number; latencies: number[] }>((resolve) => {
    sink.once('message', (message) => resolve(message as { received: number; latencies: number[] }));
    sink.send('report');
  });
  await loadAll(ports, 32, 2);
  const throughput = await loadAll(ports, 32, seconds);
  for (let drained = -1, waited = 0; waited < 120; waited++) {
    const { received } = await report();
    if (received === drained) break;
    drained = received;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  sink.send('reset');
  const fixed = await loadAll(ports, 32, seconds, 500);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const { latencies, received } = await report();
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
      await scenario(`PostgreSQL, ${instances} instance${instances > 1 ? 's' : ''}`, schema.url, instances, sink, sinkPort);
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
