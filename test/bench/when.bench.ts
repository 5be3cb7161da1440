// Micro-benchmark of the `when` language, run by hand (never by `npm test`):
//   node --expose-gc --import tsx test/bench/when.bench.ts
// Compiles a set of realistic route filters and matches them against every Wassenger fixture,
// with the compiler of BASELINE_REF (default cebd700, the last commit where the language was
// listed three times; its compile.ts is read with `git show`) and with the current one, in
// alternating rounds so both see the same machine load. Checks first that both give the same
// answer on every (filter, event). Prints CPU ns per compile of the whole set and per match of one
// filter against one event (median and best of ROUNDS rounds: the machine may be shared), and
// the ratios new/old.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RoutedEvent } from '../../src/domain/event.ts';
import { compileWhen, type WhenDocument } from '../../src/rules/index.ts';
import { fixtureEvents } from '../unit/rules/fixtures.ts';

type Compile = (when: WhenDocument | undefined) => (event: RoutedEvent) => boolean;

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const MATCH_PASSES = Number(process.env.MATCH_PASSES ?? 2_000);
const COMPILE_PASSES = Number(process.env.COMPILE_PASSES ?? 300);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Route filters as people write them (DESIGN's example first). */
const WHENS: readonly WhenDocument[] = [
  {
    event: { $in: ['message:in:new'] },
    'contact.metadata.TIER': 'vip',
    'message.body': { $regex: '(?i)refund|urgent' },
  },
  { event: 'message:in:new' },
  { event: 'message:in:new', 'chat.type': 'user' },
  { event: { $in: ['message:in:new', 'message:out:new'] }, 'message.fromMe': false },
  { 'chat.labels': { $in: ['vip', 'ops'] }, 'message.type': { $nin: ['reaction', 'revoked'] } },
  { $or: [{ 'chat.type': 'group' }, { 'contact.metadata.CRM_CUSTOMER_ID': { $exists: true } }] },
  { $not: { $or: [{ event: { $regex: '^message:out' } }, { 'message.fromMe': true }] } },
  { 'message.body': { $contains: 'order', $not: { $startsWith: 'New' } } },
  { receivedAt: { $gte: '2024-01-01', $lt: '2025-01-01' }, 'data.timestamp': { $gt: 0 } },
  { device: { alias: 'Support' }, contact: { phone: { $startsWith: '+34' } } },
  { 'message.media': { $exists: true }, 'message.media.size': { $lte: 10_000_000 } },
  { $and: [{ event: 'message:update' }, { 'chat.labels': { $contains: 'vip' } }] },
];

async function baseline(): Promise<Compile> {
  const ref = process.env.BASELINE_REF ?? 'cebd700';
  const source = execFileSync('git', ['show', `${ref}:src/rules/compile.ts`], { cwd: root, encoding: 'utf8' });
  const dir = mkdtempSync(join(tmpdir(), 'when-bench-'));
  const file = join(dir, 'compile.ts');
  writeFileSync(file, source);
  try {
    return ((await import(pathToFileURL(file).href)) as { compileWhen: Compile }).compileWhen;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Collects garbage before a timed section (with --expose-gc), so one side's garbage is not timed on the other's. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * CPU time of this process in ns: other processes on a shared machine stretch the wall clock of
 * a round much more than its CPU time.
 */
function cpuNs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function timeCompile(compile: Compile): number {
  collect();
  const started = cpuNs();
  for (let pass = 0; pass < COMPILE_PASSES; pass++) for (const when of WHENS) compile(when);
  return (cpuNs() - started) / COMPILE_PASSES;
}

function timeMatch(predicates: readonly ((event: RoutedEvent) => boolean)[], events: readonly RoutedEvent[]) {
  let hits = 0;
  collect();
  const started = cpuNs();
  for (let pass = 0; pass < MATCH_PASSES; pass++) {
    for (const match of predicates) for (const event of events) if (match(event)) hits++;
  }
  const ns = (cpuNs() - started) / (MATCH_PASSES * predicates.length * events.length);
  return { ns, hits };
}

const events = [...fixtureEvents().values()].flat();
const compilers: Record<'old' | 'new', Compile> = { old: await baseline(), new: compileWhen };
const predicates = { old: WHENS.map(compilers.old), new: WHENS.map(compilers.new) };
for (const [index] of WHENS.entries()) {
  for (const event of events) {
    if (predicates.old[index]!(event) !== predicates.new[index]!(event)) {
      throw new Error(`old and new disagree on filter #${index} and event ${event.id}`);
    }
  }
}

const samples = { old: { compile: [] as number[], match: [] as number[] }, new: { compile: [], match: [] } } as Record<
  'old' | 'new',
  { compile: number[]; match: number[] }
>;
for (let round = 0; round < ROUNDS + 2; round++) {
  for (const side of round % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const)) {
    const compile = timeCompile(compilers[side]);
    const match = timeMatch(predicates[side], events).ns;
    if (round < 2) continue; // warm-up
    samples[side].compile.push(compile);
    samples[side].match.push(match);
  }
}
const row = (what: 'compile' | 'match', unit: string) => {
  const [old, now] = [median(samples.old[what]), median(samples.new[what])];
  const [oldMin, nowMin] = [Math.min(...samples.old[what]), Math.min(...samples.new[what])];
  return (
    `${what.padEnd(8)} median old ${old.toFixed(1)} ns, new ${now.toFixed(1)} ns, new/old ${(now / old).toFixed(2)}; ` +
    `best round old ${oldMin.toFixed(1)} ns, new ${nowMin.toFixed(1)} ns, new/old ${(nowMin / oldMin).toFixed(2)} (${unit})`
  );
};
process.stdout.write(
  `${WHENS.length} filters x ${events.length} fixture events, median of ${ROUNDS} rounds${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for steadier numbers)'}\n` +
    `${row('compile', `all ${WHENS.length} filters`)}\n${row('match', 'one filter against one event')}\n`,
);
