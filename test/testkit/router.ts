import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadRouterConfig, startRouter, type RunningRouter } from '../../src/app.ts';
import { formatIssues } from '../../src/config/issues.ts';
import { createLogger } from '../../src/observability/logger.ts';

export const SECRET = 'test-secret-0123456789';
export const FIXTURES = new URL('../fixtures/wassenger/', import.meta.url);

/** A fixture's raw text (as Wassenger would send it). */
export function fixture(name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
}

export interface TestRouter {
  readonly router: RunningRouter;
  readonly url: string;
  readonly dir: string;
  /** Every log line written, parsed. */
  readonly logs: Record<string, unknown>[];
  readonly rawLogs: string[];
  post(body: string | object, options?: { key?: string | null; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Start a whole router in this process on a free port, with a config written to a temp folder
 * (its `store:` defaults to a fresh SQLite file there). `{{DIR}}` in the YAML is that folder.
 */
export async function startTestRouter(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<TestRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-test-'));
  const text = yaml.replaceAll('{{DIR}}', dir);
  const withStore = /^store:/m.test(text) ? text : `${text}\nstore: sqlite:${join(dir, 'router.db')}\n`;
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(file, withStore);
  const loaded = await loadRouterConfig(file, { WA_ROUTER_SECRET: SECRET, ...env });
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const log = createLogger({ level: 'debug', secrets: () => loaded.config.secrets, destination });
  const router = await startRouter(loaded.config, log, { WA_ROUTER_SECRET: SECRET, ...env });
  return {
    router,
    url: router.url,
    dir,
    logs,
    rawLogs,
    post(body, options = {}) {
      const key = options.key === undefined ? SECRET : options.key;
      const query = key === null ? '' : `?key=${encodeURIComponent(key)}`;
      return fetch(`${router.url}${loaded.config.server.path}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    async close() {
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server block every test config starts with (port 0: any free port). */
export const SERVER_YAML = `
server:
  port: 0
  host: 127.0.0.1
  secret: \${WA_ROUTER_SECRET}
  shutdownGrace: 2s
`;
