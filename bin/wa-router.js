#!/usr/bin/env node
// The `wa-router` command. An installed package runs its build (dist/); a clone of the repository
// has no dist/ until `npm run build`, so it runs the TypeScript sources through tsx (a dev
// dependency, there after `npm ci`). Either way the same CLI, with the same arguments.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
