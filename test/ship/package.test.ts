/**
 * The npm package: `npm pack` of the package as published (package.json `files`, the build output),
 * installed globally into a temporary prefix (the `wa-router` bin runs `validate`), and installed
 * as a dependency of a connector written in TypeScript, which type-checks against `wa-router/sdk`
 * with the repository's tsc.
 *
 * Installs use `--ignore-scripts --prefer-offline`: the registry tarballs come from npm's cache and
 * better-sqlite3 is not compiled (neither `validate` nor type-checking opens a database; the
 * container test runs the server on a real production install).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, buildInto, run } from './helpers.ts';

const NPM_INSTALL = ['--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

let root: string;
let tarball: string;
let files: string[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'wa-router-pack-'));
  // What `npm pack` in the repository packs after its `prepack` build, without touching the repository's dist/.
  const stage = join(root, 'stage');
  mkdirSync(stage);
  for (const entry of ['package.json', 'README.md', 'bin', 'config', 'docs']) {
    cpSync(join(REPO_ROOT, entry), join(stage, entry), { recursive: true });
  }
  await buildInto(join(stage, 'dist'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], {
    cwd: stage,
  });
  const [packed] = JSON.parse(stdout) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  assert.ok(packed);
  tarball = join(root, packed.filename);
  files = packed.files.map((file) => file.path);
  // Both installs at once (about 7 s each from the cache).
  const project = join(root, 'my-connector');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      { name: 'my-connector', private: true, type: 'module', dependencies: { 'wa-router': `file:${tarball}` } },
      null,
      2,
    ),
  );
  await Promise.all([
    run('npm', ['install', '--global', '--prefix', join(root, 'global'), ...NPM_INSTALL, tarball], { cwd: root }),
    run('npm', ['install', ...NPM_INSTALL], { cwd: project }),
  ]);
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the package holds what runs (build output, example config, schema) and no tests or sources', () => {
  for (const file of [
    'package.json',
    'dist/src/cli.js',
    'dist/src/sdk/index.js',
    'dist/src/sdk/index.d.ts',
    'dist/src/sdk/testing.js',
    'dist/src/sdk/testing.d.ts',
    'dist/connectors/index.js',
    'config/wa-router.yaml',
    'config/wa-router.schema.json',
    'config/plugins/chat-webhook.js',
    'dist/src/admin/console/static/index.html',
    'dist/src/admin/console/static/console.css',
  ]) {
    assert.ok(files.includes(file), `${file} is in the package`);
  }
  const unwanted = files.filter(
    (file) => /(^|\/)test\/|\.test\.|^src\/|^connectors\/|\.ts$/.test(file) && !file.endsWith('.d.ts'),
  );
  assert.deepEqual(unwanted, []);
});

test('installed globally, the wa-router bin runs validate and init', async () => {
  const prefix = join(root, 'global');
  const bin = join(prefix, 'bin', 'wa-router');
  const help = await run(bin, ['--help']);
  assert.match(help.stdout, /wa-router serve/);

  const work = join(root, 'work');
  mkdirSync(work);
  const init = await run(bin, ['init', 'config'], { cwd: work });
  assert.match(init.stdout, /wrote .*wa-router\.yaml/);
  const schema = JSON.parse(readFileSync(join(work, 'config', 'wa-router.schema.json'), 'utf8')) as { title: string };
  assert.equal(schema.title, 'wa-router config');
  const validate = await run(bin, ['validate', '--config', 'config/wa-router.yaml'], {
    cwd: work,
    env: { ...process.env, WA_ROUTER_SECRET: 'a-secret-of-some-length' },
  });
  assert.match(validate.stdout, /OK/);
  // The example config shipped in the package validates with the installed bin too.
  const shipped = join(prefix, 'lib', 'node_modules', 'wa-router', 'config', 'wa-router.yaml');
  const example = await run(bin, ['validate', '--config', shipped], {
    cwd: work,
    env: { ...process.env, WA_ROUTER_SECRET: 'a-secret-of-some-length' },
  });
  assert.match(example.stdout, /OK/);
});

test('a connector written in TypeScript in another project type-checks against wa-router/sdk', async () => {
  const project = join(root, 'my-connector');
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['connector.ts'],
    }),
  );
  writeFileSync(
    join(project, 'connector.ts'),
    `import { defineConnector, delivered, skipped, template, templateScope, z, type Delivery, type RoutedEvent } from 'wa-router/sdk';
import { checkConnector } from 'wa-router/sdk/testing';

const Config = z.object({ prefix: z.string().default('>'), text: template().prefault('{{ message.body }}') }).strict();

const definition = defineConnector({
  sdkVersion: 1,
  type: 'console_log',
  summary: 'Print each event.',
  config: Config,
  examples: [{ title: 'Prefixed', config: { prefix: '#' } }],
  create(config) {
    const prefix: string = config.prefix;
    return {
      async deliver(batch: readonly Delivery[]) {
        return batch.map((d) => {
          const event: RoutedEvent = d.event;
          return event.message?.body ? delivered(prefix + config.text.renderString(templateScope(d))) : skipped('no body');
        });
      },
    };
  },
});
export default definition;
export const check: typeof checkConnector = checkConnector;

// @ts-expect-error sdkVersion must be 1: fails if the declarations were missing and everything were any.
defineConnector({ sdkVersion: 2, type: 'x', summary: 'x', config: Config, create: () => ({ deliver: async () => [] }) });
`,
  );
  const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  const result = await run(tsc, ['-p', 'tsconfig.json'], { cwd: project }).then(
    () => '',
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
  assert.equal(result, '', 'tsc reports no errors');
});
