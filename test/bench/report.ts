// The one summary table and results file of the benches (`bench`, `bench:store`,
// `bench:http-client`), so that every run prints and records its figures alike and runs of
// different days can be put side by side. Rates move with the machine's load; ratios measured in
// the same run are what compare, so each row says which target (if any) it is held to.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type Op = '≤' | '≥' | '<';

/** One measure of a summary. `met` is absent for a figure shown only to read the others by. */
export interface Row {
  readonly measure: string;
  readonly value: number | string;
  readonly unit: string;
  /** E.g. `≤ 2×`, `< 10 ms`. */
  readonly target?: string;
  readonly met?: boolean;
}

/** A row held to a target; a value that could not be measured (NaN) does not meet it. */
export function row(measure: string, value: number, unit: string, op: Op, limit: number): Row {
  const met = op === '≤' ? value <= limit : op === '≥' ? value >= limit : value < limit;
  return { measure, value: round(value), unit, target: shown(`${op} ${limit}`, unit), met };
}

/** A figure with no target, shown to read the ratios by; several are shown as `a / b / c`. */
export function info(measure: string, value: number | string | readonly number[], unit = ''): Row {
  if (typeof value === 'string') return { measure, value, unit };
  if (typeof value === 'number') return { measure, value: round(value), unit };
  return { measure, value: value.map((v) => shown(round(v), '')).join(' / '), unit };
}

function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return Number(value.toFixed(digits));
}

function shown(value: number | string, unit: string): string {
  const text = typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : value;
  return unit === '×' ? `${text}×` : unit ? `${text} ${unit}` : text;
}

/** A Markdown table (padded, so it reads in a terminal and pastes into docs/performance.md as is). */
export function markdownTable(headers: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...lines.map((line) => (line[i] ?? '').length)));
  const format = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [format(headers), format(widths.map((width) => '-'.repeat(width))), ...lines.map(format)].join('\n');
}

export function printSummary(title: string, rows: readonly Row[]): void {
  const lines = rows.map((r) => [
    r.measure,
    shown(r.value, r.unit),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'no',
  ]);
  console.log(`\n${title}\n\n${markdownTable(['measure (same run)', 'value', 'target', 'met'], lines)}\n`);
}

/** The title of a run's summary: when it started and how loaded the machine was then. */
export function heading(name: string, started: Date, machine: Machine): string {
  const load = machine.loadAverage.join(', ');
  return `${name}, ${started.toISOString()} (load average at start ${load}, ${machine.cpus} CPUs)`;
}

/** What the figures depend on, taken when a run starts (the load average most of all). */
export interface Machine {
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string | undefined;
  readonly loadAverage: readonly number[];
  readonly commit: string | undefined;
  readonly uncommittedChanges: boolean | undefined;
}

export function machineFacts(): Machine {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const status = git('status', '--porcelain', '--untracked-files=no');
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim(),
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedChanges: status === undefined ? undefined : status !== '',
  };
}

/** The BENCH_* settings of a run (a profile directory is a local path: only whether it was set). */
export function benchOptions(): Record<string, string | boolean> {
  const options: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('BENCH_') || value === undefined || name === 'BENCH_PARTS_DIR') continue;
    options[name] = name === 'BENCH_PROFILE_DIR' ? true : value;
  }
  return options;
}

/**
 * Write a run to bench/results/<date>T<hhmm>[-suffix].json (UTC, the time the run started) and
 * return that path, relative to the repository.
 */
export function writeResults(suffix: string, started: Date, machine: Machine, content: object): string {
  const name = `${started.toISOString().slice(0, 16).replace(':', '')}${suffix ? `-${suffix}` : ''}.json`;
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const record = { at: started.toISOString(), machine, options: benchOptions(), ...content };
  writeFileSync(join(ROOT, 'bench/results', name), `${JSON.stringify(record, null, 2)}\n`);
  return `bench/results/${name}`;
}

/** What one part of `npm run bench` hands to the summary: its rows and its detailed figures. */
export interface Part {
  readonly rows: readonly Row[];
  readonly details: object;
}

/**
 * Hand a part's results over: to the summary of `npm run bench` when it runs the part
 * (BENCH_PARTS_DIR set), else print them as a table of their own.
 */
export function reportPart(name: string, part: Part): void {
  const dir = process.env.BENCH_PARTS_DIR;
  if (dir) writeFileSync(join(dir, `${name}.json`), JSON.stringify(part));
  else printSummary(`Summary (${name})`, part.rows);
}

export function readParts(dir: string): Record<string, Part> {
  const parts: Record<string, Part> = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    parts[file.slice(0, -'.json'.length)] = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Part;
  }
  return parts;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
