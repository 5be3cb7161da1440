// `npm run bench:http-client`: what an outgoing request costs with each HTTP client the router could
// use, against the same sink (test/bench/sink-server.mjs, a process of its own): the small JSON body
// of the benches' http route POSTed N times, 32 at a time, with (a) node:http and a keep-alive Agent
// set as src/sdk/http-request.ts sets it today, (b) undici's Pool.request() and (c) the global fetch.
// Each client runs in a fresh process (its CPU, from process.cpuUsage, is then its own), after a
// warm-up; 3 rounds, interleaved in a rotating order so that a drift of the shared machine falls on
// every client alike; the medians are printed and written to bench/results/<date>T<hhmm>-http-client.json.
// Every request gets its own AbortSignal and its response body is read, as a delivery's would be.
// BENCH_HTTP_REQUESTS sets N (default 20,000). Prints numbers; asserts nothing.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { portOf, sinkReport } from './kit.ts';
import { ROOT, heading, machineFacts, markdownTable, median, writeResults } from './report.ts';

const CONCURRENCY = 32;
const WARM_UP = 2_000;
const ROUNDS = 3;
/** As src/sdk/http-request.ts: as many idle keep-alive sockets as may be busy. */
const MAX_SOCKETS = 64;
/** As the http connector reads responses (maxResponseBytes). */
const MAX_RESPONSE_BYTES = 4096;

type Post = (url: string, body: string, signal: AbortSignal) => Promise<number>;

/** The start of a response body as text, the rest read and dropped (what httpRequest does). */
function collect(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (size < MAX_RESPONSE_BYTES) chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
      size += chunk.length;
    });
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

const HEADERS = { 'content-type': 'application/json' };

const CLIENTS: Record<string, () => Post> = {
  'node:http + keep-alive Agent': () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS });
    return (url, body, signal) =>
      new Promise((resolve, reject) => {
        const headers = { ...HEADERS, 'content-length': String(Buffer.byteLength(body)) };
        const request = http.request(new URL(url), { method: 'POST', headers, agent, signal }, (response) => {
          collect(response).then(() => resolve(response.statusCode ?? 0), reject);
        });
        request.on('error', reject);
        request.end(body);
      });
  },
  'undici Pool.request()': () => {
    // One pool per origin, as a router would keep them.
    const pools = new Map<string, Pool>();
    return async (url, body, signal) => {
      const target = new URL(url);
      let pool = pools.get(target.origin);
      if (!pool) pools.set(target.origin, (pool = new Pool(target.origin, { connections: MAX_SOCKETS })));
      const response = await pool.request({
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: HEADERS,
        body,
        signal,
      });
      await collect(response.body);
      return response.statusCode;
    };
  },
  'global fetch': () => async (url, body, signal) => {
    const response = await fetch(url, { method: 'POST', headers: HEADERS, body, signal });
    await response.text();
    return response.status;
  },
};

/** In the child: `count` requests, CONCURRENCY at a time; what failed (an error or not a 200). */
async function requests(post: Post, url: string, count: number): Promise<number> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const body = JSON.stringify({ id: `evt_bench_${n}`, sentAt: String(Date.now()) });
      try {
        if ((await post(url, body, new AbortController().signal)) !== 200) failures++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

async function child(name: string, url: string, count: number): Promise<void> {
  const post = CLIENTS[name]!();
  await requests(post, url, WARM_UP);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const failures = await requests(post, url, count);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ ms, cpuUs: used.user + used.system, failures })}\n`);
  process.exit(0); // keep-alive sockets and pools would hold the process open
}

interface Round {
  readonly perSec: number;
  readonly cpuUsPerRequest: number;
  readonly failures: number;
  readonly delivered: number;
}

function measure(sink: ChildProcess, name: string, url: string, count: number): Promise<Round> {
  sink.send('reset');
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'test/bench/http-client.bench.ts', name, url, String(count)],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const { ms, cpuUs, failures } = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  return sinkReport(sink).then(({ received }) => ({
    perSec: Math.round((count * 1000) / ms!),
    cpuUsPerRequest: Number((cpuUs! / count).toFixed(1)),
    failures: failures!,
    delivered: received - WARM_UP,
  }));
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = machineFacts();
  const count = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000);
  const sink = fork(join(ROOT, 'test/bench/sink-server.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const url = `http://127.0.0.1:${await portOf(sink)}/in`;
  const names = Object.keys(CLIENTS);
  const rounds = new Map<string, Round[]>(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      const result = await measure(sink, name, url, count);
      rounds.get(name)!.push(result);
      console.log(
        `round ${round + 1}  ${name.padEnd(30)} ${String(result.perSec).padStart(6)} req/s  ${result.cpuUsPerRequest} µs CPU per request  failures ${result.failures}, sink got ${result.delivered}/${count}`,
      );
    }
  }
  sink.kill('SIGTERM');
  const summary = names.map((name) => {
    const results = rounds.get(name)!;
    return {
      client: name,
      requestsPerSec: median(results.map((r) => r.perSec)),
      cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest)),
      rounds: results,
    };
  });
  const base = summary[0]!;
  const lines = summary.map((s) => [
    s.client,
    s.requestsPerSec.toLocaleString('en-US'),
    String(s.cpuUsPerRequest),
    `${(s.cpuUsPerRequest / base.cpuUsPerRequest).toFixed(2)}×`,
  ]);
  const title = heading(
    `HTTP clients, ${count} POSTs, ${CONCURRENCY} at a time, median of ${ROUNDS}`,
    started,
    machine,
  );
  const headers = ['client', 'requests/s', 'CPU µs per request', `CPU / ${base.client}`];
  console.log(`\n${title}\n\n${markdownTable(headers, lines)}\n`);
  const undici = (await import('undici/package.json', { with: { type: 'json' } })).default.version;
  const versions = { undici, fetchUndici: process.versions.undici };
  console.log(`Written to ${writeResults('http-client', started, machine, { count, versions, summary })}`);
}

const [name, url, count] = process.argv.slice(2);
if (name && url && count) await child(name, url, Number(count));
else await main();
