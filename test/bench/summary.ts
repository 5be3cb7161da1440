// `npm run bench`: builds once, runs the ingest part and then the Kafka part, each in a process of
// its own as before (so one part's heap and JIT state do not weigh on the other), then prints ONE
// table of every ratio against its target and writes the run to bench/results/<date>T<hhmm>.json
// with the machine facts taken before anything ran (the load average most of all). Each part
// hands its rows over in a JSON file of a temporary directory (BENCH_PARTS_DIR); run alone, a part
// prints its own table instead. A part that fails leaves its rows out, and the run exits non-zero.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, heading, machineFacts, printSummary, readParts, writeResults } from './report.ts';

const PARTS = ['ingest', 'kafka'] as const;

function main(): number {
  const started = new Date();
  const machine = machineFacts();
  if (!process.env.BENCH_SKIP_BUILD) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-bench-parts-'));
  const failed: string[] = [];
  try {
    for (const part of PARTS) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', `test/bench/${part}.bench.ts`], {
        cwd: ROOT,
        env: { ...process.env, BENCH_SKIP_BUILD: '1', BENCH_PARTS_DIR: dir },
        stdio: 'inherit',
      });
      if (run.status !== 0) failed.push(`${part} (exit ${run.status ?? run.signal})`);
    }
    const parts = readParts(dir);
    const rows = PARTS.flatMap((part) => parts[part]?.rows ?? []);
    printSummary(heading('wa-router bench', started, machine), rows);
    const details = Object.fromEntries(Object.entries(parts).map(([name, part]) => [name, part.details]));
    const file = writeResults('', started, machine, { failed, summary: rows, parts: details });
    console.log(`Written to ${file}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed.length > 0) console.error(`failed: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main();
