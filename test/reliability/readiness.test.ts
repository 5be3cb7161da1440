/**
 * Readiness follows the store's writes: while the store cannot write (disk full: the router
 * process's RLIMIT_FSIZE lowered with prlimit(1), as in store-faults.test.ts), /readyz answers 503,
 * so a load balancer stops sending webhooks that would all get 503; once writes succeed again it
 * answers 200, without a webhook having to come first (the probe writes).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  startRouterChild,
  stopChild,
  tempDir,
  until,
  webhook,
  writeConfig,
  type RouterChild,
} from '../testkit/reliability/kit.ts';

const CONFIG = `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET} }
store: sqlite:{{DIR}}/router.db?busyTimeoutMs=100
connectors:
  archive: { type: file, path: {{DIR}}/events.jsonl }
routes:
  - name: all
    to: [archive]
`;

async function readyz(router: RouterChild): Promise<{ status: number; body: { ok: boolean; message?: string } }> {
  const response = await fetch(`${router.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { ok: boolean; message?: string } };
}

test('/readyz is 503 while the store cannot write, and 200 again once it can', { timeout: 60_000 }, async () => {
  const tmp = tempDir('readiness');
  let router: RouterChild | undefined;
  try {
    const r = await startRouterChild(writeConfig(tmp.dir, CONFIG));
    router = r;
    assert.equal((await r.post(webhook('ready-before'))).status, 200);
    assert.equal((await readyz(r)).status, 200);
    execFileSync('prlimit', [`--pid=${r.pid}`, '--fsize=512:unlimited']);
    assert.equal((await r.post(webhook('ready-during'))).status, 503);
    const during = await readyz(r);
    assert.equal(during.status, 503, 'not ready while webhooks get 503');
    assert.equal(during.body.ok, false);
    assert.match(during.body.message ?? '', /cannot write/);
    execFileSync('prlimit', [`--pid=${r.pid}`, '--fsize=unlimited:unlimited']);
    await until(async () => (await readyz(r)).status === 200, '/readyz 200 once the store can write', 20_000, 200);
    assert.equal((await r.post(webhook('ready-after'))).status, 200);
  } finally {
    await stopChild(router);
    tmp.remove();
  }
});
