/**
 * The console is plain files, not TypeScript: tsc copies none of them, so the build does. This
 * builds the way `npm run build` and the package test do and loads the console from the compiled
 * module, which finds its files by the same relative path as the sources.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, buildInto } from '../ship/helpers.ts';

test('the built router serves the console files from beside its compiled module', { timeout: 120_000 }, async (t) => {
  // Inside the repository (under the git-ignored .tmp/) so the compiled modules resolve node_modules.
  const out = join(REPO_ROOT, '.tmp', `console-build-${process.pid}`);
  mkdirSync(out, { recursive: true });
  t.after(() => rmSync(out, { recursive: true, force: true }));
  await buildInto(out);
  const built = (await import(
    pathToFileURL(join(out, 'src/admin/console.js')).href
  )) as typeof import('../../src/admin/console.ts');
  assert.ok(built.CONSOLE_STATIC_DIR.startsWith(out), 'the compiled module looks beside itself, not in the sources');
  const assets = built.loadConsoleAssets();
  const source = join(REPO_ROOT, 'src/admin/console/static');
  assert.equal(assets.get('/console')?.body.toString(), readFileSync(join(source, 'index.html'), 'utf8'));
  assert.equal(assets.get('/console/console.css')?.type, 'text/css; charset=utf-8');
  const scripts = [...assets.entries()].filter(([path]) => path.endsWith('.js'));
  assert.ok(scripts.length >= 1);
  for (const [, file] of scripts) assert.equal(file.type, 'text/javascript; charset=utf-8');
});
