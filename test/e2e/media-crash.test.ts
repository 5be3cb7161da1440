import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeWassengerFiles } from '../testkit/fake-wassenger/index.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { DEVICE, MEDIA_ENV, MEDIA_TOKEN, imageMessage, someBytes } from '../testkit/media/events.ts';
import { exited, spawnRouter } from '../testkit/process.ts';
import { SECRET } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

test('kill -9 during a download: after the restart the file arrives once, whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-media-crash-'));
  const files = await FakeWassengerFiles.start({ token: MEDIA_TOKEN });
  const sink = await HttpSink.start();
  const bytes = someBytes(300_000, 13);
  files.add(DEVICE, 'FILE-K', { bytes, mime: 'image/jpeg' });
  // The first download trickles, so the router is killed in the middle of it.
  files.fail('FILE-K', { slow: { chunkBytes: 8_000, everyMs: 100 } });
  const file = join(dir, 'wa-router.yaml');
  writeFileSync(
    file,
    `server: { port: 0, host: 127.0.0.1, secret: \${WA_ROUTER_SECRET} }
store: sqlite:${join(dir, 'router.db')}
media:
  token: \${MEDIA_TOKEN}
  apiUrl: ${files.url}
  dir: ${join(dir, 'media')}
  linkSecret: \${MEDIA_SECRET}
connectors:
  sink:
    type: http
    url: ${sink.url}/in
    body: { text: "{{ message.body }}", url: "{{ message.media.url }}" }
    delivery: { backoffBaseMs: 100, maxBackoffMs: 500, maxAttempts: 100 }
routes:
  - name: all
    to: [sink]
`,
  );
  const env = { WA_ROUTER_SECRET: SECRET, LOG_LEVEL: 'info', ...MEDIA_ENV };
  try {
    const first = await spawnRouter(file, env);
    const response = await fetch(`http://127.0.0.1:${first.port}/webhooks/wassenger?key=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(imageMessage('MSG-K', 'FILE-K', { size: bytes.length })),
    });
    assert.equal(response.status, 200);
    const tmp = join(dir, 'media', 'tmp');
    await waitFor(
      () => readdirSync(tmp).some((name) => statSync(join(tmp, name)).size > 0),
      'part of the file on disk',
      20_000,
    );
    first.child.kill('SIGKILL');
    assert.equal(await exited(first.child), 'SIGKILL');
    assert.equal(sink.requests.length, 0, 'nothing was delivered before the file was whole');
    assert.equal(files.completed('FILE-K').length, 0);

    const second = await spawnRouter(file, env);
    try {
      const body = await waitFor(() => sink.bodies<{ url: string }>()[0], 'the delivery after the restart', 30_000);
      const got = await fetch(body.url);
      assert.equal(got.status, 200);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
      assert.equal(files.completed('FILE-K').length, 1, 'one whole download');
      assert.equal(sink.requests.length, 1, 'delivered once');
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  } finally {
    await sink.close();
    await files.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
