import { execFile } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../testkit/process.ts';

export { REPO_ROOT };
export const run = promisify(execFile);

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** The stages of a Dockerfile (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined: string[] = [];
  let current = '';
  for (const line of lines) {
    if (/\\\s*$/.test(line)) {
      current += `${line.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += line;
    if (current.trim()) joined.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of joined) {
    const match = /^(\S+)\s+(.*)$/s.exec(line);
    if (!match) continue;
    const op = match[1]!.toUpperCase();
    const args = match[2]!.replace(/\s+/g, ' ').trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op, args });
    }
  }
  return stages;
}

export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
}

/** `ENV A=1 B=2` (the key=value form). */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    env[match[1]!] = match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!;
  }
  return env;
}

/** An exec-form argument list: `["node", "dist/src/cli.js"]`. */
export function execForm(args: string): string[] {
  const value: unknown = JSON.parse(args);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new Error(`not an exec form: ${args}`);
  return value as string[];
}

/** Compile src/ and connectors/ with tsconfig.build.json into `outDir` (what `npm run build` emits into dist/). */
export async function buildInto(outDir: string): Promise<void> {
  await run(
    join(REPO_ROOT, 'node_modules/.bin/tsc'),
    ['-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', outDir],
    {
      cwd: REPO_ROOT,
    },
  );
  // As `npm run build` does: tsc copies no HTML, CSS or JS, so the console's files are copied.
  cpSync(join(REPO_ROOT, 'src/admin/console/static'), join(outDir, 'src/admin/console/static'), { recursive: true });
}

/** A free TCP port on 127.0.0.1 (released before returning). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
