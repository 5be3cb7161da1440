/**
 * Every fenced ```yaml block in README.md and docs/*.md is checked:
 * - a whole config (`server:`, `connectors:` or `routes:` at the top level) is loaded with the real
 *   loader and the built-in connectors, with every ${VAR} it uses set to a plausible value and a
 *   minimal `server: { secret }` added when it has none;
 * - a fragment made only of other top-level config sections (`alerts:`, `media:`, `store:`, …) is
 *   loaded merged into that minimal config;
 * - anything else (a single route, a docker-compose file, …), and a block whose first line is
 *   `# fragment`, must parse as YAML.
 * Failures name the file and the line of the problem inside the document.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LineCounter, parseDocument } from 'yaml';
import { builtinRegistry } from '../../src/app.ts';
import { protectReferences } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { REPO_ROOT } from '../testkit/process.ts';

interface Block {
  /** Repository-relative file. */
  readonly file: string;
  /** 1-based line of the block's first content line. */
  readonly line: number;
  readonly text: string;
}

const SECTIONS = new Set(Object.keys(ConfigSchema.shape));
const WHOLE = ['server', 'connectors', 'routes'];
const SECRET = 'docs-example-secret-0123456789';

function documents(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The ```yaml blocks of a Markdown file (indented fences, as in lists, included). */
export function yamlBlocks(file: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*ya?ml\b/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) {
      body.push(lines[j]!.slice(Math.min(indent, lines[j]!.length - lines[j]!.trimStart().length)));
      j++;
    }
    blocks.push({ file, line: i + 2, text: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** A plausible value for each ${VAR} without a default: URLs, numbers, paths, long secrets. */
function envFor(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) {
    const name = match[1]!;
    if (match[2] !== undefined && env[name] === undefined) continue;
    if (/URL$/.test(name)) env[name] = 'https://hooks.example.com/services/T000/B000/xyz';
    else if (/PORT$/.test(name)) env[name] = '8080';
    else if (/LANES|COUNT|MAX/.test(name)) env[name] = '4';
    else if (/FSYNC|ENABLED/.test(name)) env[name] = 'true';
    else if (/BROKERS?$/.test(name)) env[name] = 'kafka-1:9092';
    else if (/CREDENTIALS|FILE$|PATH$/.test(name)) env[name] = './secrets/service-account.json';
    else env[name] = `${name.toLowerCase().replace(/_/g, '-')}-0123456789abcdef`;
  }
  return env;
}

type Verdict = { kind: 'parsed' | 'loaded'; problems: string[] };

/**
 * The examples of a block that holds several, each introduced by a `# title` line at column 0
 * after a blank line (as the generated docs/connectors.md writes them); a block holding one
 * example is returned whole.
 */
function examples(block: Block): Block[] {
  const lines = block.text.split('\n');
  const starts = [0];
  for (let i = 1; i < lines.length; i++) if (/^# /.test(lines[i]!) && lines[i - 1]!.trim() === '') starts.push(i);
  if (starts.length === 1) return [block];
  return starts.map((start, index) => ({
    file: block.file,
    line: block.line + start,
    text: lines.slice(start, starts[index + 1] ?? lines.length).join('\n'),
  }));
}

async function check(block: Block): Promise<Verdict> {
  const at = (line: number) => `${block.file}:${block.line + line - 1}`;
  const lines = new LineCounter();
  const doc = parseDocument(protectReferences(block.text).text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.some((error) => error.code === 'DUPLICATE_KEY') && examples(block).length > 1) {
    const verdicts = await Promise.all(examples(block).map(check));
    return {
      kind: verdicts.some((verdict) => verdict.kind === 'loaded') ? 'loaded' : 'parsed',
      problems: verdicts.flatMap((verdict) => verdict.problems),
    };
  }
  if (doc.errors.length > 0) {
    return {
      kind: 'parsed',
      problems: doc.errors.map(
        (error) =>
          `${at(error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line)} YAML: ${error.message.split('\n')[0]}`,
      ),
    };
  }
  if (/^\s*#\s*fragment\b/.test(block.text.split('\n')[0] ?? '')) return { kind: 'parsed', problems: [] };
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'parsed', problems: [] };
  const keys = Object.keys(value);
  const whole = keys.some((key) => WHOLE.includes(key));
  if (!whole && !keys.every((key) => SECTIONS.has(key))) return { kind: 'parsed', problems: [] };

  // The minimal server section goes after the block, so the block's own line numbers hold.
  const text = keys.includes('server') ? block.text : `${block.text}\nserver:\n  secret: ${SECRET}\n`;
  const result = await loadConfig(join(REPO_ROOT, 'config', 'docs-example.yaml'), {
    registry: builtinRegistry(),
    env: envFor(block.text),
    text,
  });
  if (result.ok) return { kind: 'loaded', problems: [] };
  return {
    kind: 'loaded',
    problems: result.issues.map((issue) => `${at(issue.line)} ${issue.path ? `${issue.path}: ` : ''}${issue.message}`),
  };
}

test('the block extractor finds fences, their lines and indented bodies', () => {
  const blocks = yamlBlocks(
    'x.md',
    ['# t', '```yaml', 'a: 1', '```', '- item', '  ```yaml', '  b: 2', '  ```'].join('\n'),
  );
  assert.deepEqual(blocks, [
    { file: 'x.md', line: 3, text: 'a: 1' },
    { file: 'x.md', line: 7, text: 'b: 2' },
  ]);
});

test('every ```yaml block in README.md and docs/*.md parses, and every config in them validates', async () => {
  const problems: string[] = [];
  let loaded = 0;
  let total = 0;
  for (const file of documents()) {
    for (const block of yamlBlocks(file, readFileSync(join(REPO_ROOT, file), 'utf8'))) {
      total++;
      const verdict = await check(block);
      if (verdict.kind === 'loaded') loaded++;
      problems.push(...verdict.problems);
    }
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  assert.ok(total > 0 && loaded > 0, `${total} blocks, ${loaded} loaded as configs`);
});
