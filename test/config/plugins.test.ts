import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { loadRouterConfig } from '../../src/app.ts';
import type { ConfigIssue } from '../../src/config/issues.ts';
import type { LoadResult, RouterConfig } from '../../src/config/load.ts';
import { SERVER_YAML, fixture, startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { builtinConnectors } from '../../connectors/index.ts';

/** The built-in types, as `validate` lists them. */
const BUILTIN_TYPES = builtinConnectors
  .map((definition) => definition.type)
  .sort()
  .join(', ');

/** The plugin modules kept as files (factory form: no imports, like a module mounted into the container). */
const PLUGIN_FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));
/** The SDK by absolute path, as a plugin outside the package would import it (works under tsx). */
const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A temp folder holding `plugins/` (the fixture plugins plus `files`) and the config `yaml` as
 * wa-router.yaml, so `plugins:` entries are relative to the config file as a user writes them.
 */
async function loadWithPlugins(
  yaml: string,
  files: Record<string, string> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<{ dir: string; result: LoadResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-plugins-'));
  dirs.push(dir);
  cpSync(PLUGIN_FIXTURES, join(dir, 'plugins'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'plugins', name), text);
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(file, yaml.replace(/^\n/, ''));
  return { dir, result: await loadRouterConfig(file, env) };
}

function ok(result: LoadResult): RouterConfig {
  if (!result.ok) assert.fail(`expected the config to load, got:\n${result.issues.map(show).join('\n')}`);
  return result.config;
}

function show(issue: ConfigIssue): string {
  return `${issue.line}:${issue.col} ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

function issuesOf(result: LoadResult): string[] {
  assert.equal(result.ok, false, 'the config should have been rejected');
  return result.ok ? [] : result.issues.map(show);
}

/** A plugin written against the SDK by import, default-exporting the definition object. */
function sdkImportPlugin(type: string, extra = ''): string {
  return `import { defineConnector, delivered, z } from ${JSON.stringify(SDK)};
export default defineConnector({
  sdkVersion: 1,
  type: ${JSON.stringify(type)},
  summary: 'Test plugin importing the SDK by path.',
  config: z.object({ endpoint: z.string().url() }).strict(),
  ${extra}
  create: () => ({ async deliver(batch) { return batch.map(() => delivered()); } }),
});
`;
}

describe('plugins: loading', () => {
  test('a factory-form .js plugin registers its type; instances use it; its schema errors have line numbers', async () => {
    const good = await loadWithPlugins(
      `
server: { secret: abcdefgh12 }
plugins: [./plugins/acme-crm.js]
connectors:
  crm:
    type: acme_crm
    apiUrl: https://crm.example.com/api
    token: \${ACME_TOKEN}
routes:
  - name: notes
    to: [{ connector: crm, with: { note: "{{ message.body }}" } }]
`,
      {},
      { ACME_TOKEN: 'acme-token-123' },
    );
    const config = ok(good.result);
    const crm = config.connectors.get('crm')!;
    assert.equal(crm.type, 'acme_crm');
    assert.equal(crm.definition.summary, 'Test plugin: adds a note to the Acme CRM contact of the chat.');
    assert.deepEqual(crm.config, { apiUrl: 'https://crm.example.com/api', token: 'acme-token-123', retries: 3 });
    assert.deepEqual(config.routes[0]!.targets[0]!.params, { note: '{{ message.body }}' });
    assert.ok(config.secrets.includes('acme-token-123'), "a plugin connector's ${VAR} values are secrets too");

    const bad = await loadWithPlugins(`
server: { secret: abcdefgh12 }
plugins: [./plugins/acme-crm.js]
connectors:
  crm:
    type: acme_crm
    apiUrl: not-a-url
    tokn: abc
routes:
  - name: notes
    to: [{ connector: crm, with: { note: 42, subject: hi } }]
`);
    assert.deepEqual(issuesOf(bad.result), [
      '4:3 connectors.crm.token: missing required field (expected string)',
      '6:13 connectors.crm.apiUrl: Invalid URL',
      '7:5 connectors.crm.tokn: unknown field "tokn" (did you mean "token"?); expected one of: apiUrl, token, retries',
      '10:42 routes[0].to[0].with.note: expected string, received number',
      '10:46 routes[0].to[0].with.subject: unknown field "subject"; expected one of: note',
    ]);
  });

  test('.mjs and .js plugins that import the SDK by path and default-export the definition load', async () => {
    const { result } = await loadWithPlugins(
      `
server: { secret: abcdefgh12 }
plugins:
  - ./plugins/imports-sdk.mjs
  - ./plugins/imports-sdk.js
connectors:
  a: { type: sdk_mjs, endpoint: "https://a.example.com/" }
  b: { type: sdk_js, endpoint: "https://b.example.com/" }
  c: { type: sdk_js, endpont: "https://c.example.com/" }
`,
      { 'imports-sdk.mjs': sdkImportPlugin('sdk_mjs'), 'imports-sdk.js': sdkImportPlugin('sdk_js') },
    );
    // Both types are known: the only problem is the typo in c, found by the plugin's own schema.
    assert.deepEqual(issuesOf(result), [
      '8:3 connectors.c.endpoint: missing required field (expected string)',
      '8:22 connectors.c.endpont: unknown field "endpont" (did you mean "endpoint"?); expected one of: endpoint',
    ]);

    const fixed = await loadWithPlugins(
      `
server: { secret: abcdefgh12 }
plugins: [./plugins/imports-sdk.mjs, ./plugins/imports-sdk.js]
connectors:
  a: { type: sdk_mjs, endpoint: "https://a.example.com/" }
  b: { type: sdk_js, endpoint: "https://b.example.com/" }
`,
      { 'imports-sdk.mjs': sdkImportPlugin('sdk_mjs'), 'imports-sdk.js': sdkImportPlugin('sdk_js') },
    );
    const config = ok(fixed.result);
    assert.deepEqual(
      [...config.connectors.values()].map((c) => [c.name, c.type]),
      [
        ['a', 'sdk_mjs'],
        ['b', 'sdk_js'],
      ],
    );
  });

  test('every broken plugin is reported at once, each naming its file', async () => {
    const { dir, result } = await loadWithPlugins(
      `
server: { secret: abcdefgh12 }
plugins:
  - ./plugins/acme-crm.js
  - ./plugins/missing.js
  - ./plugins/syntax-error.js
  - ./plugins/no-default.js
  - ./plugins/no-create.mjs
  - ./plugins/bad-type.js
  - ./plugins/sdk-v2.js
  - ./plugins/http-clash.js
  - ./plugins/acme-crm-copy.js
  - ./plugins/factory-throws.js
connectors:
  crm: { type: acme_crm, apiUrl: "https://crm.example.com/", token: t }
`,
      {
        'syntax-error.js': "export default {\n  type: 'x',,\n};\n",
        'no-default.js': 'export const connector = {};\n',
        'no-create.mjs': sdkImportPlugin('no_create').replace(/\n {2}create: .*\n/, '\n'),
        'bad-type.js': sdkImportPlugin('Acme-CRM'),
        'sdk-v2.js': sdkImportPlugin('sdk_two').replace('sdkVersion: 1', 'sdkVersion: 2'),
        'http-clash.js': sdkImportPlugin('http'),
        'acme-crm-copy.js': "export { default } from './acme-crm.js';\n",
        'factory-throws.js': "export default () => { throw new Error('ACME_LICENSE is not set'); };\n",
      },
    );
    const issues = issuesOf(result);
    assert.equal(issues.length, 9, issues.join('\n'));
    assert.match(
      issues[1]!,
      /^5:5 plugins\[2\]: cannot load plugin \.\/plugins\/syntax-error\.js: syntax error at 2:\d+: .+/,
    );
    assert.deepEqual(issues.toSpliced(1, 1), [
      `4:5 plugins[1]: cannot load plugin ./plugins/missing.js: file not found (${join(dir, 'plugins', 'missing.js')})`,
      '6:5 plugins[3]: plugin ./plugins/no-default.js has no default export (export default defineConnector({...}))',
      '7:5 plugins[4]: plugin ./plugins/no-create.mjs is not a valid connector: create must be a function (config, ctx) => connector',
      '8:5 plugins[5]: plugin ./plugins/bad-type.js is not a valid connector: type must be a lower snake_case name like "acme_crm" (got "Acme-CRM")',
      '9:5 plugins[6]: plugin ./plugins/sdk-v2.js is not a valid connector: sdkVersion must be 1 (got 2)',
      '10:5 plugins[7]: plugin ./plugins/http-clash.js: connector type "http" is already defined (built-in)',
      '11:5 plugins[8]: plugin ./plugins/acme-crm-copy.js: connector type "acme_crm" is already defined (plugin ./plugins/acme-crm.js)',
      '12:5 plugins[9]: plugin ./plugins/factory-throws.js: its factory threw: ACME_LICENSE is not set',
    ]);
  });

  test("a config's plugins do not leak into the next load", async () => {
    const first = await loadWithPlugins(`
server: { secret: abcdefgh12 }
plugins: [./plugins/acme-crm.js]
connectors:
  crm: { type: acme_crm, apiUrl: "https://crm.example.com/", token: t }
`);
    ok(first.result);
    const second = await loadWithPlugins(`
server: { secret: abcdefgh12 }
connectors:
  crm: { type: acme_crm, apiUrl: "https://crm.example.com/", token: t }
`);
    assert.deepEqual(issuesOf(second.result), [
      `3:16 connectors.crm.type: unknown connector type "acme_crm"; known types: ${BUILTIN_TYPES}`,
    ]);
  });
});

interface Recorded {
  readonly label: string;
  readonly connector: string;
  readonly eventId: string;
  readonly event: string;
  readonly route: string;
  readonly idempotencyKey: string;
  readonly params: unknown;
}

test('end to end: a plugin connector receives the events posted to a running router', async () => {
  const recorder = fileURLToPath(new URL('../fixtures/plugins/recorder.js', import.meta.url));
  const label = `e2e-${process.pid}-${Date.now()}`;
  const recorded = (): Recorded[] =>
    ((globalThis as { __waRouterRecorded?: Recorded[] }).__waRouterRecorded ?? []).filter(
      (entry) => entry.label === label,
    );
  const t = await startTestRouter(`${SERVER_YAML}
plugins: [${JSON.stringify(recorder)}]
connectors:
  audit: { type: recorder, label: ${label} }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [{ connector: audit, with: { tag: vip } }]
  - name: acks
    when: { event: message:out:ack }
    to: [audit]
`);
  try {
    const responses = [];
    for (const name of ['message-in-new', 'message-out-ack', 'message-in-new']) {
      const response = await t.post(fixture(name));
      const { accepted, duplicates } = (await response.json()) as { accepted: number; duplicates: number };
      responses.push([response.status, { accepted, duplicates }]);
    }
    // The third post redelivers the first webhook: stored once, delivered once.
    assert.deepEqual(responses, [
      [200, { accepted: 1, duplicates: 0 }],
      [200, { accepted: 1, duplicates: 0 }],
      [200, { accepted: 0, duplicates: 1 }],
    ]);
    const deliveries = await waitFor(async () => {
      const rows = await t.router.store.listDeliveries({ connector: 'audit', limit: 10 });
      return rows.length === 2 && rows.every((row) => row.status === 'delivered') ? rows : undefined;
    }, 'both deliveries to the plugin connector');

    const byEvent = new Map(deliveries.map((row) => [row.event, row]));
    const inbound = byEvent.get('message:in:new')!;
    const ack = byEvent.get('message:out:ack')!;
    assert.deepEqual(
      recorded().sort((a, b) => a.event.localeCompare(b.event)),
      [
        {
          label,
          connector: 'audit',
          eventId: inbound.eventId,
          event: 'message:in:new',
          route: 'inbound',
          idempotencyKey: `${inbound.eventId}:audit`,
          params: { tag: 'vip' },
        },
        {
          label,
          connector: 'audit',
          eventId: ack.eventId,
          event: 'message:out:ack',
          route: 'acks',
          idempotencyKey: `${ack.eventId}:audit`,
          params: {},
        },
      ],
    );
    // The outcome the plugin returned is what the store records.
    for (const row of deliveries) assert.match(row.ref ?? '', /^recorded-\d+$/);
  } finally {
    await t.close();
  }
});
