/**
 * What a new user does first: run `npx wa-router` in a fresh clone (no dist/ yet), start the
 * example config, and pick the port from the environment as container platforms do.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { loadRouterConfig } from '../../src/app.ts';
import { formatIssues } from '../../src/config/issues.ts';
import { waitFor } from '../testkit/wait.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'getting-started-secret';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const {
    NODE_TEST_CONTEXT: _runner,
    WA_ROUTER_CONFIG: _config,
    PORT: _port,
    WA_ROUTER_PORT: _p,
    ...inherited
  } = process.env;
  const child = spawn(command, args, { cwd, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}

test('`npx wa-router --version` works in a copy of the repository without dist/ (a fresh clone after npm ci)', async () => {
  const clone = mkdtempSync(join(tmpdir(), 'wa-router-clone-'));
  dirs.push(clone);
  for (const entry of ['package.json', 'package-lock.json', 'bin', 'src', 'connectors', 'config', 'tsconfig.json'])
    cpSync(join(REPO_ROOT, entry), join(clone, entry), { recursive: true });
  // What `npm ci` installs: the same modules (linked, not copied, to keep the test quick).
  symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(clone, 'node_modules'));
  assert.equal(existsSync(join(clone, 'dist')), false);
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const result = await run('npx', ['--offline', 'wa-router', '--version'], clone).done;
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, `wa-router ${version}\n`);
  assert.equal(result.code, 0);
});

test('the example config validates, and the plugin it suggests exists and validates when enabled', async () => {
  const file = join(REPO_ROOT, 'config', 'wa-router.yaml');
  const text = readFileSync(file, 'utf8');
  const suggested = [...text.matchAll(/^# plugins: \[(\S+)\]/gm)].map((match) => match[1]!);
  assert.deepEqual(suggested, ['./plugins/chat-webhook.js']);
  for (const plugin of suggested) assert.ok(existsSync(join(REPO_ROOT, 'config', plugin)), `${plugin} exists`);
  const asIs = await loadRouterConfig(file, { WA_ROUTER_SECRET: SECRET });
  assert.ok(asIs.ok, asIs.ok ? '' : formatIssues(asIs.issues));
  const enabled = text.replace(/^# plugins: (\[\S+\]).*$/m, 'plugins: $1');
  const { loadConfig } = await import('../../src/config/load.ts');
  const { builtinRegistry } = await import('../../src/app.ts');
  const withPlugin = await loadConfig(file, {
    registry: builtinRegistry(),
    env: { WA_ROUTER_SECRET: SECRET },
    text: enabled,
  });
  assert.ok(withPlugin.ok, withPlugin.ok ? '' : formatIssues(withPlugin.issues));
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('PORT (or WA_ROUTER_PORT, which wins) overrides server.port; a bad value is a config error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-port-'));
  dirs.push(dir);
  const config = join(dir, 'wa-router.yaml');
  writeFileSync(
    config,
    `server: { port: 8080, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET}, shutdownGrace: 1s }\nstore: sqlite:${join(dir, 'router.db')}\n`,
  );
  const port = await freePort();
  const env = { WA_ROUTER_SECRET: SECRET, PORT: '1', WA_ROUTER_PORT: String(port) };
  const serve = run(process.execPath, ['bin/wa-router.js', 'serve', '--config', config], REPO_ROOT, env);
  try {
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok,
      'the router on WA_ROUTER_PORT',
      120_000,
      200,
    );
    assert.match(serve.output(), new RegExp(`"port":${port}`));
  } finally {
    serve.child.kill('SIGTERM');
    await serve.done;
  }
  const bad = await run(process.execPath, ['bin/wa-router.js', 'validate', '--config', config], REPO_ROOT, {
    WA_ROUTER_SECRET: SECRET,
    PORT: 'eighty',
  }).done;
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /server\.port: environment variable PORT must be a port number from 0 to 65535 \(got "eighty"\)/,
  );
});
