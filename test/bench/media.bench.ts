// `npm run bench:media`: (1) download throughput of the media module from a local file server
// (a child process, so the CPU measured is the downloader's own): MB/s and CPU ms per MB, one at a
// time and four at once; (2) ingest throughput of the router with image webhooks, without and
// with a `media:` section, the files served by the same local server: downloads happen at
// delivery time, so the acknowledgement rate must not change. Prints numbers; asserts nothing.
// BENCH_SECONDS sets the length of each ingest run (default 5); BENCH_MB the file size (default 4).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { download } from '../../src/media/download.ts';
import { SECRET, portOf, stop } from './kit.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const fileMb = Number(process.env.BENCH_MB ?? 4);
const TOKEN = 'bench-media-token';
const DEVICE = '65f1c0ffee0123456789abcd';

/** A file server answering every download path with `size` bytes (after checking the token). */
const FILE_SERVER = `
const http = require('node:http');
const body = Buffer.alloc(Number(process.argv[1]), 7);
http.createServer((req, res) => {
  if (req.headers.token !== '${TOKEN}') { res.writeHead(401); return res.end(); }
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
  res.end(body);
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

async function downloads(port: number, dir: string, count: number, parallel: number) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const n = next++;
        const result = await download({
          url: `http://127.0.0.1:${port}/v1/chat/${DEVICE}/files/F${n}/download`,
          token: TOKEN,
          maxBytes: 64 * 1024 * 1024,
          toPath: join(dir, `f${n}.part`),
        });
        if (!result.ok) throw new Error(result.reason);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const mb = count * fileMb;
  return { mbPerSec: mb / seconds, cpuMsPerMb: (used.user + used.system) / 1000 / mb };
}

const IMAGE = readFileSync(new URL('../fixtures/wassenger/message-in-new-image.json', import.meta.url), 'utf8');

function imageBody(n: number): string {
  const base = JSON.parse(IMAGE);
  const fileId = `BENCHFILE${n % 50}`;
  base.data.id = `BENCH${process.pid}M${n}`;
  base.data.media.id = fileId;
  base.data.media.size = 1024;
  base.data.media.expiresAt = new Date(Date.now() + 86_400_000).toISOString();
  base.data.media.links.download = `/v1/chat/${DEVICE}/files/${fileId}/download`;
  return JSON.stringify(base);
}

let runs = 0;

async function ingest(dir: string, sinkPort: number, media: string): Promise<number> {
  runs++;
  const config = join(dir, `router-${runs}.yaml`);
  writeFileSync(
    config,
    `server: { port: 0, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}" }
store: sqlite:${join(dir, `run-${runs}.db`)}
${media}
connectors:
  sink: { type: http, url: "http://127.0.0.1:${sinkPort}/in", body: { id: "{{ id }}", url: "{{ message.media.url }}" }, delivery: { maxInFlight: 32 } }
routes:
  - { name: all, to: [sink] }
`,
  );
  const router = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', config], {
    cwd: root,
    env: { ...process.env, WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await portOf(router);
  let n = 0;
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}/webhooks/wassenger?key=${SECRET}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      connections: 32,
      duration,
      requests: [{ setupRequest: (request) => ({ ...request, body: imageBody(n++) }) }],
    });
  await run(1);
  const result = await run(seconds);
  await stop(router);
  return result.requests.average;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-bench-media-'));
  const big = spawn(process.execPath, ['-e', FILE_SERVER, String(fileMb * 1024 * 1024)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const small = spawn(process.execPath, ['-e', FILE_SERVER, '1024'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sink = spawn(process.execPath, ['-e', FILE_SERVER.replace(`req.headers.token !== '${TOKEN}'`, 'false'), '2'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const bigPort = await portOf(big);
    await downloads(bigPort, dir, 4, 1); // warm-up
    const one = await downloads(bigPort, dir, 25, 1);
    const four = await downloads(bigPort, dir, 25, 4);
    console.log(`download of ${fileMb} MB files from a local server (node ${process.version}):`);
    console.log(`  one at a time : ${one.mbPerSec.toFixed(0)} MB/s, ${one.cpuMsPerMb.toFixed(2)} ms CPU per MB`);
    console.log(`  four at once  : ${four.mbPerSec.toFixed(0)} MB/s, ${four.cpuMsPerMb.toFixed(2)} ms CPU per MB`);

    const smallPort = await portOf(small);
    const sinkPort = await portOf(sink);
    const mediaYaml = `media: { token: ${TOKEN}, apiUrl: "http://127.0.0.1:${smallPort}", dir: "${join(dir, 'media')}", linkSecret: "bench-link-secret-0123456789" }`;
    // Alternated, twice each: on a shared machine the load changes between runs.
    const plain: number[] = [];
    const withMedia: number[] = [];
    for (let round = 0; round < 2; round++) {
      plain.push(await ingest(dir, sinkPort, ''));
      withMedia.push(await ingest(dir, sinkPort, mediaYaml));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    console.log(`ingest of image webhooks, 32 connections, ${seconds} s per run, alternated (router via tsx):`);
    console.log(`  without media: ${plain.map((v) => v.toFixed(0)).join(', ')} req/s`);
    console.log(
      `  with media:    ${withMedia.map((v) => v.toFixed(0)).join(', ')} req/s (${((mean(withMedia) / mean(plain) - 1) * 100).toFixed(1)} % on the mean)`,
    );
  } finally {
    await Promise.all([stop(big), stop(small), stop(sink)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
