/**
 * The container path, without a container engine: this test reads the Dockerfile and performs its
 * steps in a temporary folder, then runs the result the way the image runs:
 *
 *   build stage    `npm ci` (here: a copy of the repository's installed node_modules, which
 *                  `npm ci` produced), `npm run build` (tsc with tsconfig.build.json), `npm prune
 *                  --omit=dev`, then the stage's later RUN lines that trim node_modules, verbatim;
 *   runtime stage  every COPY as written (`--from=build` paths from the build folder, the others
 *                  from the repository), its RUN lines with /app and the `node` user mapped, ENV,
 *                  WORKDIR, USER (the `node` user if it exists here, else `nobody`), ENTRYPOINT+CMD;
 *   the user's `-v ./config:/app/config:ro` replaced by a read-only config folder holding a
 *   custom connector module in plugins/, as the README tells container users;
 *   HEALTHCHECK run as written (its port mapped) and passing; SIGTERM answered before docker's
 *   stop timeout.
 *
 * `npm ci --omit=dev` itself is not run: it compiles better-sqlite3 when no prebuilt binary can be
 * downloaded (90 s here). Pruning a copy gives the same tree from the same lock file in ~2 s.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { exited } from '../testkit/process.ts';
import { REPO_ROOT, buildInto, execForm, freePort, parseEnv, readDockerfile, run, type Stage } from './helpers.ts';

/** docker stop's default grace before SIGKILL. */
const DOCKER_STOP_TIMEOUT_MS = 10_000;
const SECRET = 'container-test-secret';

const stages = readDockerfile();
const runtime = stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((instruction) => instruction.op === op);
const one = (stage: Stage, op: string) => {
  const found = ops(stage, op);
  assert.equal(found.length, 1, `expected one ${op} in the runtime stage`);
  return found[0]!.args;
};

const WORKDIR = one(runtime, 'WORKDIR');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  name: string;
};

let root: string;
let buildApp: string;
let app: string;
let uid: number;
let gid: number;
let user: string;

/** Map a path in the image to the folder standing in for it. */
function host(path: string, base = app): string {
  if (isAbsolute(path)) {
    const inside = relative(WORKDIR, path);
    assert.ok(!inside.startsWith('..'), `path ${path} outside ${WORKDIR}: extend the test`);
    return join(base, inside);
  }
  return join(base, path);
}

function userIds(): { uid: number; gid: number; name: string } {
  const wanted = one(runtime, 'USER');
  if (process.getuid!() !== 0) {
    // Not root: cannot switch users, and already run as a non-root one.
    return { uid: process.getuid!(), gid: process.getgid!(), name: `uid ${process.getuid!()}` };
  }
  for (const name of [wanted, 'nobody']) {
    try {
      const id = Number(
        execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
      );
      const group = Number(
        execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
      );
      return { uid: id, gid: group, name };
    } catch {
      // no such user here; try the next
    }
  }
  throw new Error('no non-root user to run as');
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'wa-router-container-'));
  chmodSync(root, 0o755);
  ({ uid, gid, name: user } = userIds());
  assert.notEqual(uid, 0, 'the image must not run as root');

  // ---- build stage ----
  const buildName = runtime.instructions.map((i) => /--from=(\S+)/.exec(i.args)?.[1]).find(Boolean);
  const build = stages.find((stage) => stage.name === buildName);
  assert.ok(build, `the runtime stage copies from "${buildName}", which is a stage of the Dockerfile`);
  const runs = ops(build, 'RUN').map((instruction) => instruction.args);
  const ci = runs.findIndex((line) => /\bnpm ci\b/.test(line));
  const prune = runs.findIndex((line) => /npm run build && npm prune --omit=dev/.test(line));
  assert.ok(
    ci >= 0 && prune > ci,
    'build stage: `npm ci`, then `npm run build && npm prune --omit=dev` (update this test if that changes)',
  );
  buildApp = join(root, 'build-app');
  mkdirSync(buildApp);
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, file), join(buildApp, file));
  // = npm ci. Hard links (cp -al) make the copy instant; prune and rm only unlink, never write.
  await run('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(buildApp, 'node_modules')]).catch(() =>
    cpSync(join(REPO_ROOT, 'node_modules'), join(buildApp, 'node_modules'), {
      recursive: true,
      verbatimSymlinks: true,
    }),
  );
  // npm rewrites its hidden lock file in place: never let it write through a link into the repository.
  rmSync(join(buildApp, 'node_modules', '.package-lock.json'), { force: true });
  await buildInto(join(buildApp, 'dist')); // = npm run build
  await run('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: buildApp });
  for (const line of runs.slice(prune + 1)) await run('sh', ['-c', line], { cwd: buildApp });

  // ---- runtime stage ----
  app = join(root, 'app');
  mkdirSync(app);
  for (const { args } of ops(runtime, 'COPY')) {
    const parts = args.split(' ');
    const from = parts.find((part) => part.startsWith('--from='));
    const [source, destination] = parts.filter((part) => !part.startsWith('--'));
    assert.ok(source && destination, `COPY ${args}`);
    const sourcePath = from ? host(source, buildApp) : join(REPO_ROOT, source);
    const target = /\/$|^\.$/.test(destination) ? join(host(destination), basename(source)) : host(destination);
    cpSync(sourcePath, target, { recursive: true, verbatimSymlinks: true });
  }
  for (const { args } of ops(runtime, 'RUN')) {
    const line = args.replaceAll(`${WORKDIR}/`, `${app}/`).replace(/\bnode:node\b/g, `${uid}:${gid}`);
    await run('sh', ['-c', line], { cwd: app });
  }
  execFileSync('chmod', ['-R', 'a+rX', app]);
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
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

test('the image runs: non-root, image paths, plugin from the mounted config, HEALTHCHECK, SIGTERM', async (t) => {
  const sink = await HttpSink.start();
  t.after(() => sink.close());
  const env = parseEnv(
    ops(runtime, 'ENV')
      .map((instruction) => instruction.args)
      .join(' '),
  );
  const configPath = env.WA_ROUTER_CONFIG;
  assert.ok(configPath, 'ENV WA_ROUTER_CONFIG says where the image reads its config');
  const expose = Number(one(runtime, 'EXPOSE').split('/')[0]);
  const port = await freePort();

  // The user's config folder, mounted read-only over /app/config: a config of their own and a
  // custom connector module in plugins/, as the README's container section says.
  const configDir = host(dirname(configPath));
  rmSync(configDir, { recursive: true, force: true });
  mkdirSync(join(configDir, 'plugins'), { recursive: true });
  writeFileSync(
    join(configDir, 'plugins', 'sink-post.js'),
    `// A custom connector as a container user writes it: a plain .js factory that receives the SDK.
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
`,
  );
  writeFileSync(
    join(configDir, 'plugins', 'sdk-import.js'),
    `// The other form: import the SDK by name (resolved inside the image through the package's own exports).
import { defineConnector, z, delivered } from 'wa-router/sdk';
export default defineConnector({
  sdkVersion: 1, type: 'count_only', summary: 'Counts.', config: z.object({}).strict(),
  create: () => ({ deliver: async (batch) => batch.map(() => delivered()) }),
});
`,
  );
  writeFileSync(
    configPath === undefined ? '' : host(configPath),
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
  );
  execFileSync('chmod', ['-R', 'a-w', configDir]); // :ro
  t.after(() => execFileSync('chmod', ['-R', 'u+w', configDir]));

  const imageEnv = Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value.startsWith(`${WORKDIR}/`) ? host(value) : value]),
  );
  const [command, ...args] = [...execForm(one(runtime, 'ENTRYPOINT')), ...execForm(one(runtime, 'CMD'))];
  assert.equal(command, 'node');
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: app,
    uid,
    gid,
    // ENV values that are image paths point at the folder standing in for them.
    env: { PATH: process.env.PATH, HOME: '/nonexistent', ...imageEnv, WA_ROUTER_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  while (!ready && Date.now() - started < 15_000) {
    if (child.exitCode !== null) assert.fail(`the router exited with ${child.exitCode}:\n${output}`);
    ready = await fetch(`${base}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(ready, `not ready within 15 s:\n${output}`);
  t.diagnostic(`cold start to /readyz as ${user}: ${Date.now() - started} ms`);

  // A webhook goes in and reaches the custom connector.
  const payload = readFileSync(join(REPO_ROOT, 'test/fixtures/wassenger/message-in-new.json'), 'utf8');
  const response = await fetch(`${base}/webhooks/wassenger?key=${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
  assert.equal(response.status, 200, await response.text());
  const deadline = Date.now() + 10_000;
  while (sink.requests.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(sink.requests.length, 1, `the plugin connector delivered:\n${output}`);
  assert.match(JSON.parse(sink.requests[0]!.body).key as string, /^evt_.+:sink$/);

  // The store lives in the data volume, written by the non-root user.
  const db = host('./data/wa-router.db');
  assert.ok(existsSync(db), 'the SQLite store is in /app/data');
  assert.equal(statSync(db).uid, uid);

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
  const healthy = await run(process.execPath, probeArgs, { cwd: app, uid, gid, timeout }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? 1,
  );
  assert.equal(healthy, 0, 'HEALTHCHECK passes while the router runs');

  // SIGTERM (the STOPSIGNAL) ends it cleanly before docker would SIGKILL it.
  assert.equal(one(runtime, 'STOPSIGNAL'), 'SIGTERM');
  const stopAt = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([
    exited(child),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), DOCKER_STOP_TIMEOUT_MS)),
  ]);
  assert.equal(code, 0, `exit after SIGTERM:\n${output}`);
  t.diagnostic(`SIGTERM to exit: ${Date.now() - stopAt} ms`);
  assert.match(output, /Shutting down/);

  const unhealthy = await run(process.execPath, probeArgs, { cwd: app, uid, gid, timeout }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? 1,
  );
  assert.notEqual(unhealthy, 0, 'HEALTHCHECK fails once the router is gone');
});
