/**
 * The container path, without a container engine: image.ts performs the Dockerfile's steps in a
 * temporary folder; these tests run the result the way the image runs: the user's
 * `-v ./config:/app/config:ro` replaced by a read-only config folder holding a custom connector
 * module in plugins/, as the README tells container users; HEALTHCHECK run as written (its port
 * mapped) and passing; SIGTERM answered before docker's stop timeout, also with a delivery in
 * flight that would outlast it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { ServerSchema } from '../../src/config/schema.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { exited } from '../testkit/process.ts';
import { REPO_ROOT, execForm, freePort, run } from './helpers.ts';
import { buildImage, type Image, imageEnv, one, runImage, runtime } from './image.ts';

/** docker stop's default grace before SIGKILL. */
const DOCKER_STOP_TIMEOUT_MS = 10_000;
const SECRET = 'container-test-secret';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  name: string;
};

let image: Image;
let app: string;

before(async () => {
  image = await buildImage();
  app = image.app;
});

after(() => {
  if (image) rmSync(image.root, { recursive: true, force: true });
});

/** The user's config folder, mounted read-only over /app/config: `config` and plugin files. */
function mountConfig(t: { after(fn: () => void): void }, config: string, plugins: Record<string, string> = {}): void {
  const configPath = imageEnv(image).WA_ROUTER_CONFIG;
  assert.ok(configPath, 'ENV WA_ROUTER_CONFIG says where the image reads its config');
  const configDir = dirname(configPath);
  execFileSync('chmod', ['-R', 'u+w', configDir]);
  rmSync(configDir, { recursive: true, force: true });
  mkdirSync(join(configDir, 'plugins'), { recursive: true });
  for (const [name, text] of Object.entries(plugins)) writeFileSync(join(configDir, 'plugins', name), text);
  writeFileSync(configPath, config);
  execFileSync('chmod', ['-R', 'a-w', configDir]); // :ro
  t.after(() => execFileSync('chmod', ['-R', 'u+w', configDir]));
}

/** `docker run` of the image, waiting for /readyz; killed at the end of the test if still up. */
async function startContainer(t: { after(fn: () => void): void; diagnostic(message: string): void }, port: number) {
  const started = Date.now();
  const container = runImage(image, { WA_ROUTER_SECRET: SECRET });
  const { child, output } = container;
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  while (!ready && Date.now() - started < 15_000) {
    if (child.exitCode !== null) assert.fail(`the router exited with ${child.exitCode}:\n${output()}`);
    ready = await fetch(`${base}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(ready, `not ready within 15 s:\n${output()}`);
  t.diagnostic(`cold start to /readyz as ${image.user}: ${Date.now() - started} ms`);
  return { ...container, base };
}

const postWebhook = (base: string) =>
  fetch(`${base}/webhooks/wassenger?key=${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: readFileSync(join(REPO_ROOT, 'test/fixtures/wassenger/message-in-new.json'), 'utf8'),
  });

test('nothing in the build output imports a devDependency, and every package it imports is a dependency', () => {
  const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
  const allowed = new Set([...Object.keys(pkg.dependencies), pkg.name]);
  const problems: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(
          /(?:(?:^|[\s;}])from\s*|\bimport\s*\(\s*|(?:^|[\s;])import\s+|\brequire\s*\(\s*)['"]([^'"\s]+)['"]/gm,
        )) {
          const specifier = match[1]!;
          if (specifier.startsWith('.') || builtins.has(specifier) || specifier.startsWith('node:')) continue;
          const name = specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : specifier.split('/')[0]!;
          if (!allowed.has(name))
            problems.push(
              `${relative(app, path)} imports "${specifier}"${name in pkg.devDependencies ? ' (a devDependency)' : ''}`,
            );
        }
        if (/(?:\sfrom|import\()\s*['"]\.[^'"\s]*\.ts['"]/.test(text)) {
          problems.push(`${relative(app, path)} imports a .ts file`);
        }
      }
    }
  };
  walk(join(app, 'dist'));
  assert.deepEqual(problems, []);
  // Every package the lock file marks dev-only is gone (a devDependency that a dependency also
  // needs, such as @types/node for @slack/web-api, stays).
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages)
    .filter(([path, entry]) => path && entry.dev)
    .map(([path]) => path);
  assert.ok(devOnly.length > 0);
  assert.deepEqual(
    devOnly.filter((path) => existsSync(join(app, path))),
    [],
    'dev-only packages in the image',
  );
});

const SINK_POST_PLUGIN = `// A custom connector as a container user writes it: a plain .js factory that receives the SDK.
export default ({ defineConnector, z, delivered, retry }) => defineConnector({
  sdkVersion: 1,
  type: 'sink_post',
  summary: 'POST the event id to a URL.',
  config: z.object({ url: z.string().url() }).strict(),
  create: (config) => ({
    async deliver(batch, signal) {
      return Promise.all(batch.map(async (d) => {
        const res = await fetch(config.url, { method: 'POST', signal, headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: d.event.id, body: d.event.message?.body, key: d.idempotencyKey }) });
        await res.body?.cancel();
        return res.ok ? delivered(String(res.status)) : retry('status ' + res.status);
      }));
    },
  }),
});
`;
const SDK_IMPORT_PLUGIN = `// The other form: import the SDK by name (resolved inside the image through the package's own exports).
import { defineConnector, z, delivered } from 'wa-router/sdk';
export default defineConnector({
  sdkVersion: 1, type: 'count_only', summary: 'Counts.', config: z.object({}).strict(),
  create: () => ({ deliver: async (batch) => batch.map(() => delivered()) }),
});
`;

test('the image runs: non-root, image paths, plugin from the mounted config, HEALTHCHECK, SIGTERM', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const expose = Number(one(runtime, 'EXPOSE').split('/')[0]);
  const port = await freePort();
  mountConfig(
    t,
    `server:
  port: ${port}
  secret: \${WA_ROUTER_SECRET}
  shutdownGrace: 5s
store: sqlite:./data/wa-router.db
plugins: [./plugins/sink-post.js, ./plugins/sdk-import.js]
connectors:
  sink: { type: sink_post, url: "${sink.url}/hook" }
  counter: { type: count_only }
  archive: { type: file, path: ./data/events.jsonl }
routes:
  - name: all
    to: [sink, counter, archive]
`,
    { 'sink-post.js': SINK_POST_PLUGIN, 'sdk-import.js': SDK_IMPORT_PLUGIN },
  );
  const { child, output, base } = await startContainer(t, port);

  // A webhook goes in and reaches the custom connector.
  const response = await postWebhook(base);
  assert.equal(response.status, 200, await response.text());
  const deadline = Date.now() + 10_000;
  while (sink.requests.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(sink.requests.length, 1, `the plugin connector delivered:\n${output()}`);
  assert.match(JSON.parse(sink.requests[0]!.body).key as string, /^evt_.+:sink$/);

  // The store lives in the data volume, written by the non-root user.
  const db = image.host('./data/wa-router.db');
  assert.ok(existsSync(db), 'the SQLite store is in /app/data');
  assert.equal(statSync(db).uid, image.uid);

  // HEALTHCHECK as written, with the port mapped, run as the image user.
  const healthcheck = one(runtime, 'HEALTHCHECK');
  const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck)?.[1];
  assert.ok(cmd, 'HEALTHCHECK uses the exec form');
  const probe = execForm(cmd);
  assert.ok(
    probe.join(' ').includes(`127.0.0.1:${expose}/readyz`),
    'the HEALTHCHECK probes /readyz on the EXPOSEd port',
  );
  const probeArgs = probe.slice(1).map((arg) => arg.replace(`127.0.0.1:${expose}`, `127.0.0.1:${port}`));
  const timeout = Number(/--timeout=(\d+)s/.exec(healthcheck)?.[1] ?? 30) * 1000;
  const health = () =>
    run(process.execPath, probeArgs, { cwd: app, uid: image.uid, gid: image.gid, timeout }).then(
      () => 0,
      (error: { code?: number }) => error.code ?? 1,
    );
  assert.equal(await health(), 0, 'HEALTHCHECK passes while the router runs');

  // SIGTERM (the STOPSIGNAL) ends it cleanly before docker would SIGKILL it.
  assert.equal(one(runtime, 'STOPSIGNAL'), 'SIGTERM');
  const stopAt = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([
    exited(child),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), DOCKER_STOP_TIMEOUT_MS)),
  ]);
  assert.equal(code, 0, `exit after SIGTERM:\n${output()}`);
  t.diagnostic(`SIGTERM to exit: ${Date.now() - stopAt} ms`);
  assert.match(output(), /Shutting down/);
  assert.notEqual(await health(), 0, 'HEALTHCHECK fails once the router is gone');
});

test('SIGTERM with a delivery in flight (connector timeoutMs 30000): stopped within the default shutdownGrace, before docker stop kills it, the delivery kept', async (t) => {
  const grace = ServerSchema.parse({ secret: SECRET }).shutdownGrace;
  assert.ok(
    grace <= DOCKER_STOP_TIMEOUT_MS - 1_500,
    `default shutdownGrace ${grace} ms leaves docker stop room to exit`,
  );
  const sink = await HttpSink.start({ hang: true }); // the destination never answers
  t.after(() => sink.close());
  const port = await freePort();
  // A store of its own: the one of the test above already holds this webhook (a duplicate here).
  mountConfig(
    t,
    `server: { port: ${port}, secret: \${WA_ROUTER_SECRET} }
store: sqlite:./data/in-flight.db
connectors:
  slow: { type: http, url: "${sink.url}/hook", delivery: { timeoutMs: 30000 } }
routes:
  - name: all
    to: [slow]
`,
  );
  const { child, output, base } = await startContainer(t, port);
  const accepted = await postWebhook(base);
  assert.equal(accepted.status, 200);
  assert.equal(((await accepted.json()) as { accepted: number }).accepted, 1, 'a new event, not a duplicate');
  const deadline = Date.now() + 30_000;
  while (sink.requests.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(sink.requests.length, 1, `the delivery is in flight:\n${output()}`);

  const stopAt = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([
    exited(child),
    new Promise((resolve) => setTimeout(() => resolve('SIGKILL by docker stop'), DOCKER_STOP_TIMEOUT_MS)),
  ]);
  t.diagnostic(`SIGTERM to exit with a delivery in flight: ${Date.now() - stopAt} ms (shutdownGrace ${grace} ms)`);
  assert.equal(code, 0, `exit after SIGTERM:\n${output()}`);
  // The router's own clock: from "Shutting down." to "Router stopped." it waited at most the grace
  // (plus closing the store), whatever the machine's load did to the test's view of it.
  const logTime = (msg: string) => {
    const line = output()
      .split('\n')
      .find((l) => l.includes(`"msg":"${msg}"`));
    assert.ok(line, `"${msg}" logged:\n${output()}`);
    const { time } = JSON.parse(line) as { time: number | string };
    return typeof time === 'number' ? time : Date.parse(time);
  };
  const waited = logTime('Router stopped.') - logTime('Shutting down.');
  assert.ok(waited >= grace - 100, `it waited for the delivery in flight (${waited} ms)`);
  assert.ok(waited <= grace + 1_000, `stopped ${waited} ms after SIGTERM, within shutdownGrace ${grace} ms`);
  // Acknowledged, not delivered: still pending in the store, for the next start to deliver.
  const db = new Database(image.host('./data/in-flight.db'), { readonly: true });
  t.after(() => db.close());
  const rows = db.prepare('SELECT status FROM deliveries').all() as { status: string }[];
  assert.deepEqual(
    rows.map((row) => row.status),
    ['pending'],
  );
});
