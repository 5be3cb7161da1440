import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { loadRouterConfig } from '../../src/app.ts';
import type { ConfigIssue } from '../../src/config/issues.ts';
import type { RouterConfig } from '../../src/config/load.ts';

/** Config files written by one test file, in a temp folder removed after it. */
export const dir = mkdtempSync(join(tmpdir(), 'wa-router-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Write a config to the temp dir (a leading newline is dropped, so line 1 is the first line written). */
export function write(yaml: string): string {
  const file = join(dir, `config-${counter++}.yaml`);
  writeFileSync(file, yaml.replace(/^\n/, ''));
  return file;
}

export async function loadOk(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<RouterConfig> {
  const result = await loadRouterConfig(write(yaml), env);
  if (!result.ok) assert.fail(`expected the config to load, got:\n${result.issues.map(show).join('\n')}`);
  return result.config;
}

/** The issues of a config that must fail, as `line:col path: message` (what `validate` prints after the file name). */
export async function problems(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const file = write(yaml);
  const result = await loadRouterConfig(file, env);
  assert.equal(result.ok, false, 'the config should have been rejected');
  if (result.ok) throw new Error('unreachable');
  for (const issue of result.issues) assert.equal(issue.file, file);
  return result.issues.map(show);
}

export function show(issue: ConfigIssue): string {
  return `${issue.line}:${issue.col} ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}
