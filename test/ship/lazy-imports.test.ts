/**
 * Heavy client libraries are loaded only when a connector or store that needs them is created, not
 * when the router starts: each costs 5–15 MB of resident memory. They are CommonJS packages, so once
 * loaded (even through `import`) their files are in the CommonJS module cache, which a child process
 * reports after importing the app.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './helpers.ts';

const LIBRARIES = ['kafkajs', '@slack/web-api', '@googleapis/sheets', 'pg'] as const;
type Loaded = Record<(typeof LIBRARIES)[number], boolean>;

/** A module script for the child: `loaded()` lists which of LIBRARIES are in the module cache. */
const PRELUDE = `
import Module from 'node:module';
const LIBRARIES = ${JSON.stringify(LIBRARIES)};
const loaded = () => {
  const files = Object.keys(Module._cache);
  return Object.fromEntries(LIBRARIES.map((name) => [name, files.some((file) => file.includes('/node_modules/' + name + '/'))]));
};
await import('./src/app.ts');
const { builtinConnectors } = await import('./connectors/index.ts');
`;

async function runChild(script: string): Promise<Loaded> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', PRELUDE + script],
    {
      cwd: REPO_ROOT,
      timeout: 10_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Loaded;
}

test('importing the app and the connector list loads none of the heavy client libraries', async () => {
  const loaded = await runChild(`
    if (builtinConnectors.length === 0) throw new Error('no connectors');
    console.log(JSON.stringify(loaded()));
  `);
  assert.deepEqual(loaded, { kafkajs: false, '@slack/web-api': false, '@googleapis/sheets': false, pg: false });
});

test('a kafka connector loads kafkajs on its client thread, started by the first send, never in the main thread', async () => {
  const loaded = await runChild(`
    const kafka = builtinConnectors.find((definition) => definition.type === 'kafka');
    const config = kafka.config.parse({ brokers: ['127.0.0.1:1'], topic: 'wa.events', connectionTimeoutMs: 200, retries: 1 });
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const connector = await kafka.create(config, { name: 'k', log, configDir: '.', state: { get: async () => undefined, set: async () => {}, delete: async () => {} } });
    const event = { id: 'evt_1', event: 'message:in:new', receivedAt: new Date(0).toISOString(), device: { id: 'd' }, data: {} };
    // Nothing listens on port 1: the thread loads kafkajs, fails to connect and says so.
    const [outcome] = await connector.deliver([{ id: '1', idempotencyKey: 'evt_1:k', attempt: 1, route: 'r', event, params: undefined }], AbortSignal.timeout(5_000));
    if (outcome.status !== 'retry' || !/KafkaJS/.test(outcome.reason)) throw new Error('unexpected outcome ' + JSON.stringify(outcome));
    const result = loaded();
    await connector.close();
    console.log(JSON.stringify(result));
  `);
  assert.deepEqual(loaded, { kafkajs: false, '@slack/web-api': false, '@googleapis/sheets': false, pg: false });
});
