/**
 * The import rules of docs/architecture.md, checked on every source file: each folder imports only
 * the folders its row allows, connectors only the public SDK, and the pure core no I/O at all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Which modules of src/ each module may import (a module is a folder of src/, or src/app.ts).
 * `type:` entries may be imported for types only (`import type`). Keep in step with docs/architecture.md.
 */
const ALLOWED: Record<string, readonly string[]> = {
  domain: ['type:sdk'],
  util: [],
  wassenger: ['domain', 'util'],
  rules: ['domain', 'util'],
  routing: ['domain', 'rules', 'wassenger', 'sdk', 'util'],
  sdk: ['domain', 'util'],
  registry: ['sdk', 'domain', 'util'],
  config: ['domain', 'rules', 'registry', 'sdk', 'util', 'media'],
  schema: ['config', 'rules', 'registry', 'sdk', 'domain', 'util', 'connectors'],
  docs: ['schema', 'rules', 'registry', 'sdk', 'domain', 'util', 'connectors'],
  store: ['domain', 'util'],
  observability: ['domain', 'util', 'type:store'],
  ingest: ['domain', 'wassenger', 'routing', 'store', 'observability', 'util'],
  dispatch: ['domain', 'sdk', 'store', 'wassenger', 'observability', 'util'],
  media: ['domain', 'sdk', 'store', 'observability', 'util', 'config', 'http'],
  http: ['domain', 'observability', 'util', 'type:ingest'],
  admin: ['domain', 'store', 'routing', 'wassenger', 'observability', 'util', 'sdk', 'http', 'type:config', 'dispatch'],
  cli: ['*'],
  'app.ts': ['*'],
};

/** The pure core: no I/O of any kind, so it can be read and tested without a socket or a disk. */
const PURE = [
  'src/domain/',
  'src/util/',
  'src/wassenger/',
  'src/rules/',
  'src/routing/plan.ts',
  'src/dispatch/backoff.ts',
  'src/dispatch/outage.ts',
  'src/dispatch/inbox.ts',
  'src/dispatch/token-bucket.ts',
  'src/sdk/template.ts',
  'src/sdk/outcome.ts',
];
const IO_MODULES =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster|dns|tls)$|^(better-sqlite3|pg|koa|@koa\/router|kafkajs|undici|@slack\/web-api|@googleapis\/sheets|@aws-sdk\/.*|pino|prom-client)$/;

interface Import {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

function importsOf(text: string): Import[] {
  const found: Import[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(statement)) found.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) });
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ specifier: match[1]!, typeOnly: false });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|js)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** `src/<module>/…` → module; `src/app.ts` → app.ts; `src/cli.ts` → cli; connectors → connectors. */
function moduleOf(file: string): string {
  const parts = relative(ROOT, file).split('/');
  if (parts[0] === 'connectors') return 'connectors';
  if (parts.length === 2) return parts[1] === 'cli.ts' ? 'cli' : parts[1]!;
  return parts[1]!;
}

function violations(): string[] {
  const found: string[] = [];
  const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'connectors'))];
  for (const file of files) {
    const from = relative(ROOT, file);
    const module = moduleOf(file);
    for (const { specifier, typeOnly } of importsOf(readFileSync(file, 'utf8'))) {
      if (PURE.some((prefix) => from.startsWith(prefix)) && IO_MODULES.test(specifier))
        found.push(`${from}: the pure core imports ${specifier}`);
      if (!specifier.startsWith('.')) continue;
      const target = relative(ROOT, resolve(dirname(file), specifier));
      const targetModule = moduleOf(join(ROOT, target));
      if (module === 'connectors') {
        const ownFolder = from.split('/').slice(0, 2).join('/');
        const allowed =
          target.startsWith('src/sdk/') ||
          target.startsWith(`${ownFolder}/`) ||
          (from === 'connectors/index.ts' && target.startsWith('connectors/'));
        if (!allowed) found.push(`${from}: a connector imports ${target} (only src/sdk and its own folder)`);
        continue;
      }
      if (targetModule === module) continue;
      const rules = ALLOWED[module];
      if (!rules) {
        found.push(`${from}: module "${module}" has no row in ALLOWED (add it to docs/architecture.md too)`);
        continue;
      }
      const ok =
        rules.includes('*') || rules.includes(targetModule) || (typeOnly && rules.includes(`type:${targetModule}`));
      if (!ok) found.push(`${from}: ${module} may not import ${target}${typeOnly ? ' (even for types)' : ''}`);
    }
  }
  return found;
}

test('every import follows the rules of docs/architecture.md', () => {
  assert.deepEqual(violations(), []);
});

test('the import checker sees what it checks: statements, type-only imports and dynamic imports', () => {
  const found = importsOf(
    "import { a } from './a.ts';\nimport type { B } from '../b.ts';\nexport { c } from './c.ts';\nconst d = await import('pg');",
  );
  assert.deepEqual(found, [
    { specifier: './a.ts', typeOnly: false },
    { specifier: '../b.ts', typeOnly: true },
    { specifier: './c.ts', typeOnly: false },
    { specifier: 'pg', typeOnly: false },
  ]);
});

test('docs/architecture.md lists every module of the rules table', () => {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  for (const module of Object.keys(ALLOWED)) assert.ok(doc.includes(`\`${module}\``), `${module} is documented`);
});
