import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeWassenger, FakeWassengerFiles } from '../testkit/fake-wassenger/index.ts';
import { DEVICE, MEDIA_ENV, MEDIA_TOKEN, imageMessage, mediaYaml, someBytes } from '../testkit/media/events.ts';
import { SERVER_YAML, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

describe('the wassenger connector sends a stored file on', () => {
  let files: FakeWassengerFiles;
  let wassenger: FakeWassenger;
  let t: TestRouter;
  before(async () => {
    files = await FakeWassengerFiles.start({ token: MEDIA_TOKEN });
    wassenger = await FakeWassenger.start({ token: 'wassenger-api-key-0123' });
    t = await startTestRouter(
      `${SERVER_YAML}
${mediaYaml(files.url)}
connectors:
  wa:
    type: wassenger
    token: \${WASSENGER_TOKEN}
    apiUrl: ${wassenger.url}
    cooldownMs: 0
    delivery: { ratePerSec: 0, backoffBaseMs: 50, maxBackoffMs: 300, maxAttempts: 50 }
routes:
  - name: forward
    to: [{ connector: wa, with: { reply: { text: "Got it: {{ message.media.filename }}", media: true } } }]
`,
      { ...MEDIA_ENV, WASSENGER_TOKEN: 'wassenger-api-key-0123' },
    );
  });
  after(async () => {
    await t.close();
    await wassenger.close();
    await files.close();
  });

  test('reply: { media: true } sends the file by its signed link, with the text', async () => {
    const bytes = someBytes(5_000, 11);
    files.add(DEVICE, 'FILE-W1', { bytes, mime: 'image/jpeg' });
    await t.post(imageMessage('MSG-W1', 'FILE-W1', { size: bytes.length, filename: 'photo.jpg' }));
    const sent = await waitFor(() => wassenger.messages[0], 'the message sent', 20_000);
    assert.equal(sent.message, 'Got it: photo.jpg');
    assert.equal(sent.phone, '+34600111222');
    assert.ok(sent.media?.url.startsWith(`${t.url}/media/`), `a router link: ${sent.media?.url}`);
    const got = await fetch(sent.media!.url);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  });

  test('a file that could not be had: the text goes alone', async () => {
    files.fail('FILE-W2', { status: 404 });
    await t.post(imageMessage('MSG-W2', 'FILE-W2'));
    const sent = await waitFor(() => wassenger.messages[1], 'the second message', 20_000);
    assert.equal(sent.media, undefined);
    assert.match(sent.message, /^Got it: /);
  });
});
