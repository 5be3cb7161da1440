/**
 * Config authoring: the committed JSON Schema and connector docs are what the generator makes now
 * (run `npm run generate` when this fails), every example config in the repository validates (the
 * config/*.yaml files, each connector's `examples`, the `init` starter), and the JSON Schema agrees
 * with the loader on them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { builtinConnectors } from '../../connectors/index.ts';
import { STARTER_CONFIG, initConfig } from '../../src/cli/init.ts';
import { loadConfig } from '../../src/config/load.ts';
import { generatedFiles, SCHEMA_FILE } from '../../src/docs/generate.ts';
import { loadPlugin } from '../../src/registry/plugins.ts';
import { ConnectorRegistry } from '../../src/registry/registry.ts';
import { configJsonSchema } from '../../src/schema/config-schema.ts';
import type { ConnectorDefinition } from '../../src/sdk/index.ts';
import { REPO_ROOT } from './helpers.ts';

/** Every ${VAR} a text uses, set to a value long enough for any secret field. */
function envFor(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g))
    env[match[1]!] = `value-of-${match[1]!.toLowerCase()}`;
  return env;
}

async function registryWithExamplePlugins(): Promise<ConnectorRegistry> {
  const registry = new ConnectorRegistry(builtinConnectors);
  const dir = join(REPO_ROOT, 'config', 'plugins');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.js'))) await loadPlugin(registry, file, dir);
  return registry;
}

test('the committed schema and connector docs are up to date (npm run generate)', () => {
  const stale: string[] = [];
  for (const [file, expected] of generatedFiles(REPO_ROOT, builtinConnectors)) {
    const path = join(REPO_ROOT, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== expected) stale.push(file);
  }
  assert.deepEqual(stale, [], 'stale generated files: run `npm run generate` and commit the result');
  for (const definition of builtinConnectors) {
    const readme = join(REPO_ROOT, 'connectors', definition.type, 'README.md');
    if (existsSync(readme))
      assert.match(readFileSync(readme, 'utf8'), /<!-- generated:start -->[\s\S]*<!-- generated:end -->/);
  }
});

test('the schema covers every connector type, the when filter, and the example configs point at it', () => {
  const schema = configJsonSchema(builtinConnectors) as { definitions: Record<string, { oneOf?: unknown[] }> };
  for (const definition of builtinConnectors) {
    assert.ok(schema.definitions[`connector.${definition.type}`], definition.type);
  }
  assert.equal(schema.definitions.connector!.oneOf!.length, builtinConnectors.length + 1);
  assert.ok(schema.definitions.when);
  for (const file of readdirSync(join(REPO_ROOT, 'config')).filter((name) => /\.ya?ml$/.test(name))) {
    assert.match(
      readFileSync(join(REPO_ROOT, 'config', file), 'utf8'),
      /^# yaml-language-server: \$schema=\.\/wa-router\.schema\.json$/m,
      file,
    );
  }
  assert.match(STARTER_CONFIG, /^# yaml-language-server: \$schema=\.\/wa-router\.schema\.json$/m);
  assert.ok(existsSync(join(REPO_ROOT, SCHEMA_FILE)));
});

/** Every example in the repository, as config text. */
async function examples(registry: ConnectorRegistry): Promise<{ name: string; text: string; file: string }[]> {
  const out: { name: string; text: string; file: string }[] = [];
  for (const file of readdirSync(join(REPO_ROOT, 'config')).filter((name) => /\.ya?ml$/.test(name))) {
    const path = join(REPO_ROOT, 'config', file);
    out.push({ name: `config/${file}`, text: readFileSync(path, 'utf8'), file: path });
  }
  out.push({ name: 'wa-router init', text: STARTER_CONFIG, file: join(REPO_ROOT, 'config', 'starter.yaml') });
  for (const type of registry.types()) {
    const definition = registry.get(type)!.definition as ConnectorDefinition;
    const source = registry.get(type)!.source;
    const plugins = source.startsWith('plugin ') ? [`./plugins/${source.slice('plugin '.length)}`] : [];
    for (const [index, example] of (definition.examples ?? []).entries()) {
      const text = stringify({
        server: { secret: '${WA_ROUTER_SECRET}' },
        ...(plugins.length > 0 ? { plugins } : {}),
        connectors: { example: { type, ...(example.config as object) } },
        routes: [{ name: 'all', to: ['example'] }],
      });
      out.push({
        name: `${type} example ${index + 1} (${example.title})`,
        text,
        file: join(REPO_ROOT, 'config', `${type}-example.yaml`),
      });
    }
  }
  return out;
}

test("every example config validates: config/*.yaml, the init starter, each connector's examples", async () => {
  const registry = await registryWithExamplePlugins();
  const all = await examples(registry);
  assert.ok(all.length > builtinConnectors.length);
  const failures: string[] = [];
  for (const example of all) {
    // The built-ins only: a plugin's example lists its plugin, as a user's config would.
    const result = await loadConfig(example.file, {
      registry: new ConnectorRegistry(builtinConnectors),
      text: example.text,
      env: { WA_ROUTER_SECRET: 'an-example-secret', ...envFor(example.text) },
    });
    if (!result.ok)
      failures.push(
        `${example.name}:\n  ${result.issues.map((issue) => `${issue.line}:${issue.col} ${issue.path} ${issue.message}`).join('\n  ')}`,
      );
  }
  assert.deepEqual(failures, []);
});

test('the JSON Schema accepts every example and rejects typos', async () => {
  const registry = await registryWithExamplePlugins();
  const validator = z.fromJSONSchema(configJsonSchema(builtinConnectors) as Parameters<typeof z.fromJSONSchema>[0]);
  const rejected: string[] = [];
  for (const example of await examples(registry)) {
    const result = validator.safeParse(parse(example.text));
    if (!result.success) rejected.push(`${example.name}: ${result.error.message.slice(0, 400)}`);
  }
  assert.deepEqual(rejected, []);
  const base = { server: { secret: '${WA_ROUTER_SECRET}' }, routes: [{ name: 'r', to: ['k'] }] };
  const bad = [
    { ...base, connectors: { k: { type: 'kafka', brokers: ['b:9092'], topic: 't', topik: 'x' } } },
    { ...base, connectors: { k: { type: 'file' } } },
    { ...base, server: { secret: '${WA_ROUTER_SECRET}', prot: 8080 } },
    {
      ...base,
      connectors: { k: { type: 'file', path: './x' } },
      routes: [{ name: 'r', when: { 'message.body': { $regexp: 'x' } }, to: ['k'] }],
    },
  ];
  for (const config of bad) assert.equal(validator.safeParse(config).success, false, JSON.stringify(config));
});

test('wa-router init writes a starter config and its schema, and never overwrites', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-init-'));
  try {
    const first = await initConfig(join(dir, 'conf'));
    assert.equal(first.ok, true, first.messages.join('\n'));
    assert.equal(readFileSync(join(dir, 'conf', 'wa-router.yaml'), 'utf8'), STARTER_CONFIG);
    assert.ok(existsSync(join(dir, 'conf', 'wa-router.schema.json')));
    const second = await initConfig(join(dir, 'conf', 'wa-router.yaml'));
    assert.equal(second.ok, false);
    assert.match(second.messages.join('\n'), /exists already/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
