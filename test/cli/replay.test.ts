/** `wa-router replay`: explicit targets (issue 19): what failed is sent again, what was delivered only when asked. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { HttpSink } from '../testkit/http-sink.ts';
import { REPO_ROOT } from '../testkit/process.ts';
import { SECRET, SERVER_YAML, fixture, startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const run = promisify(execFile);

test('replay --since sends again only the failed or dead deliveries; --include-delivered also the delivered ones', async (t) => {
  const ok = await HttpSink.start({ status: 200 });
  const bad = await HttpSink.start({ status: 400 });
  t.after(() => Promise.all([ok.close(), bad.close()]));
  const router = await startTestRouter(`${SERVER_YAML}
connectors:
  ok: { type: http, url: "${ok.url}/in" }
  bad: { type: http, url: "${bad.url}/in" }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [ok, bad]
`);
  t.after(() => router.close());
  assert.equal((await router.post(fixture('message-in-new'))).status, 200);
  const statuses = async () =>
    Object.fromEntries(
      (await router.router.store.listDeliveries({ limit: 10 })).map((d) => [d.connector, [d.status, d.attempts]]),
    );
  await waitFor(async () => {
    const now = await statuses();
    return now.ok?.[0] === 'delivered' && now.bad?.[0] === 'dead';
  }, 'ok delivered and bad dead');
  await router.router.dispatcher.setPaused('bad', true); // keep the replayed delivery pending to see it
  const cli = async (...args: string[]) =>
    (
      await run(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', ...args, '--config', join(router.dir, 'wa-router.yaml')],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, WA_ROUTER_SECRET: SECRET },
        },
      )
    ).stdout;

  const failedOnly = await cli('replay', '--since', '1h');
  assert.match(failedOnly, /^1 failed or dead delivery set to be delivered again/);
  assert.deepEqual(await statuses(), { ok: ['delivered', 1], bad: ['pending', 0] }, 'ok is not sent twice');
  assert.equal(ok.requests.length, 1);

  const everything = await cli('replay', '--since', '1h', '--include-delivered');
  assert.match(everything, /will be routed and delivered again to every connector, delivered ones included/);
  await waitFor(() => ok.requests.length === 2, 'the delivered connector gets it again when asked');
  assert.equal(ok.requests[1]!.headers['idempotency-key'], ok.requests[0]!.headers['idempotency-key']);
});
