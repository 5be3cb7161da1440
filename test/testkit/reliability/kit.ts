/**
 * Helpers of the reliability and security suite (test/reliability): the profile, a programmable
 * recording sink that counts deliveries per Idempotency-Key, a router child process with its
 * /proc numbers (CPU ticks, RSS), webhook bodies with unique ids, and a load loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../process.ts';
import { SECRET, fixture } from '../router.ts';

export { SECRET };

/** `RELIABILITY_PROFILE=long` (npm run test:reliability) picks the long profile; CI runs the short one. */
export const LONG = process.env.RELIABILITY_PROFILE === 'long';
export const profile = <T>(short: T, long: T): T => (LONG ? long : short);

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `wa-router-rel-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Webhook bodies

const BASE = JSON.parse(fixture('message-in-new')) as { data: Record<string, unknown> } & Record<string, unknown>;

/** A valid `message:in:new` webhook whose message id (and so event id) is `id`. */
export function webhook(id: string, body = 'Hello'): string {
  return JSON.stringify({ ...BASE, data: { ...BASE.data, id, body } });
}

// ---------------------------------------------------------------------------------------------
// A recording sink: answers by a function, records every request, counts per Idempotency-Key.

export interface SinkCall {
  readonly key: string;
  readonly url: string;
  readonly host: string | undefined;
  readonly body: string;
  readonly at: number;
}

export type SinkAnswer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

export class RecordingSink {
  readonly calls: SinkCall[] = [];
  /** Times each key was "applied" by an idempotent receiver: 1 per key, whatever the redeliveries. */
  readonly applied = new Map<string, number>();
  private readonly hanging = new Set<ServerResponse>();
  answer: (call: SinkCall, attemptOfKey: number) => SinkAnswer = () => ({ status: 200 });

  private constructor(private readonly server: Server) {}

  static async start(): Promise<RecordingSink> {
    const server = createServer();
    const sink = new RecordingSink(server);
    server.keepAliveTimeout = 60_000;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const key = String(req.headers['idempotency-key'] ?? '');
        const call: SinkCall = {
          key,
          url: req.url ?? '',
          host: req.headers.host,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        sink.calls.push(call);
        const attempt = sink.calls.filter((c) => c.key === key).length;
        const answer = sink.answer(call, attempt);
        if (answer === 'hang') {
          sink.hanging.add(res);
          res.on('close', () => sink.hanging.delete(res));
          return;
        }
        const reply = (): void => {
          // An idempotent receiver: the first successful call of a key does the work, later ones do not.
          if (answer.status >= 200 && answer.status < 300 && !sink.applied.has(key)) sink.applied.set(key, 1);
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body ?? '{"ok":true}');
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Distinct keys that got at least one 2xx. */
  deliveredKeys(): Set<string> {
    return new Set(this.applied.keys());
  }

  /** Message ids (from the default body, the normalized event) of the successful calls. */
  messageIdOf(call: SinkCall): string | undefined {
    try {
      return (JSON.parse(call.body) as { message?: { id?: string } }).message?.id;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// The router as a child process

export interface RouterChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
  /** POST a webhook body (with the secret unless `key: null`). */
  post(
    body: string,
    options?: { key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; json: unknown }>;
}

/** Every byte every router child of this test file wrote: the secret must never be in it. */
export const allRouterOutput: string[] = [];

/** Write a config file; `{{SINK}}` and `{{DIR}}` are replaced. */
export function writeConfig(dir: string, yaml: string, vars: Record<string, string> = {}): string {
  let text = yaml.replaceAll('{{DIR}}', dir);
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{{${name}}}`, value);
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(file, text);
  return file;
}

/** Run `wa-router serve` and wait until it listens. LOG_LEVEL debug by default: the most output to grep for the secret. */
export async function startRouterChild(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<RouterChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', configFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const index = allRouterOutput.push('') - 1;
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    allRouterOutput[index] = output;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`router did not start:\n${output}`)), 20_000);
    const check = (): void => {
      const match = /"port":(\d+).*"msg":"Router listening\."/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`router exited with ${code}:\n${output}`));
    };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    pid: child.pid!,
    port,
    url,
    output: () => output,
    post: (body, options = {}) => postWebhook(url, body, options),
  };
}

export async function postWebhook(
  url: string,
  body: string,
  options: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: unknown }> {
  const key = options.key === undefined ? SECRET : options.key;
  const query = key === null ? '' : `?key=${encodeURIComponent(key)}`;
  const response = await fetch(`${url}/webhooks/wassenger${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** Resolves with the exit code (or signal name) once the process is gone. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

export async function stopChild(router: RouterChild | undefined): Promise<void> {
  if (!router || router.child.exitCode !== null || router.child.signalCode !== null) return;
  router.child.kill('SIGTERM');
  const timer = setTimeout(() => router.child.kill('SIGKILL'), 15_000);
  await exited(router.child);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// /proc numbers of a process (Linux)

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** User + system CPU time of a process, in ms (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process, in MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll until `check` is truthy, or fail with `what` after `timeoutMs`. */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A raw HTTP request through node:http (no fetch niceties), for timeouts and odd requests. */
export function rawRequest(
  url: string,
  init: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${init.path}`,
      { method: init.method ?? 'POST', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
