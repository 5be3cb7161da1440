/**
 * Graceful shutdown under load: SIGTERM while requests are in flight. The router stops accepting
 * connections, finishes the requests in flight with their 200s, exits 0, and nothing it
 * acknowledged is lost (a restart on the same store delivers the rest).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import {
  LONG,
  RecordingSink,
  SECRET,
  allRouterOutput,
  exited,
  postWebhook,
  profile,
  sleep,
  startRouterChild,
  stopChild,
  tempDir,
  until,
  webhook,
  writeConfig,
  type RouterChild,
} from '../testkit/reliability/kit.ts';

const CLIENTS = profile(4, 8);
const SLOW = profile(3, 10);

/** A request whose headers and first half of body are sent now; `finish()` sends the rest and resolves with the answer. */
function halfSent(port: number, id: string): Promise<{ socket: Socket; finish(): Promise<string> }> {
  const body = webhook(id);
  const half = Math.floor(body.length / 2);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const closed = new Promise<string>((done) => socket.on('close', () => done(answer)));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `POST /webhooks/wassenger?key=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      );
      resolve({
        socket,
        finish: async () => {
          socket.write(body.slice(half));
          await until(() => answer.includes('\r\n\r\n') && answer.includes('}'), `the answer to ${id}`, 10_000, 10);
          socket.end();
          await Promise.race([closed, sleep(1_000)]);
          return answer;
        },
      });
    });
  });
}

test('SIGTERM under load: stops accepting, finishes in-flight requests with 200, exits 0, loses nothing', {
  timeout: LONG ? 120_000 : 60_000,
}, async () => {
  const tmp = tempDir('shutdown');
  const sink = await RecordingSink.start();
  sink.answer = () => ({ status: 200, delayMs: 20 });
  const file = writeConfig(
    tmp.dir,
    `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET}, shutdownGrace: 5s }
store: sqlite:{{DIR}}/router.db
connectors:
  sink:
    type: http
    url: {{SINK}}/in
    delivery: { maxInFlight: 2 }
routes:
  - name: all
    to: [sink]
`,
    { SINK: sink.url },
  );
  let router: RouterChild | undefined = await startRouterChild(file, { LOG_LEVEL: 'info' });
  const port = router.port;
  const acknowledged = new Set<string>();
  let refusedAfterTerm = 0;
  let otherStatus = 0;
  let loading = true;
  let next = 0;
  const client = async (): Promise<void> => {
    while (loading) {
      const id = `TERM${next++}`;
      try {
        const { status } = await postWebhook(`http://127.0.0.1:${port}`, webhook(id));
        if (status === 200) acknowledged.add(id);
        else otherStatus++;
      } catch {
        refusedAfterTerm++;
        await sleep(20);
      }
    }
  };
  try {
    const clients = Array.from({ length: CLIENTS }, client);
    await sleep(profile(800, 3_000));
    const slow = await Promise.all(Array.from({ length: SLOW }, (_, n) => halfSent(port, `SLOW${n}`)));
    await sleep(100);
    router.child.kill('SIGTERM');
    const exit = exited(router.child);
    await until(() => router!.output().includes('Shutting down.'), 'the router saw SIGTERM', 5_000, 10);
    await sleep(200);
    // New connections are refused once it stops listening.
    const fresh = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('accepted');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    // The requests in flight are finished and answered 200 (their events are durable).
    const answers = await Promise.all(slow.map((request) => request.finish()));
    const slowStatuses = answers.map((answer) => answer.split('\r\n')[0]);
    loading = false;
    await Promise.all(clients);
    const code = await exit;
    for (let n = 0; n < SLOW; n++) if (answers[n]!.startsWith('HTTP/1.1 200')) acknowledged.add(`SLOW${n}`);
    const deliveredBeforeRestart = sink.applied.size;

    router = await startRouterChild(file, { LOG_LEVEL: 'info' });
    const deliveredIds = (): Set<string> =>
      new Set(sink.calls.filter((call) => sink.applied.has(call.key)).map((call) => sink.messageIdOf(call) ?? ''));
    // One set per poll: building it parses every call's body, and the sink shares this event loop.
    await until(
      () => {
        const delivered = deliveredIds();
        return [...acknowledged].every((id) => delivered.has(id));
      },
      'every acknowledged event delivered after the restart',
      30_000,
      100,
    );
    console.log(
      `acknowledged ${acknowledged.size} (incl. ${SLOW} requests in flight at SIGTERM: ${JSON.stringify(slowStatuses)}); new connection after SIGTERM: ${fresh}; ` +
        `client requests cut or refused after SIGTERM ${refusedAfterTerm}, other statuses ${otherStatus}; exit code ${code}; ` +
        `delivered before the restart ${deliveredBeforeRestart}, after ${deliveredIds().size}, lost 0`,
    );
    assert.equal(code, 0);
    assert.equal(fresh, 'ECONNREFUSED');
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal(otherStatus, 0);
  } finally {
    loading = false;
    await stopChild(router);
    await sink.close();
    tmp.remove();
  }
  assert.ok(!allRouterOutput.join('').includes(SECRET), 'the secret is never in the router output');
});
