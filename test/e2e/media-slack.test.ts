import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAKE_TOKEN, FakeSlack } from '../testkit/fake-slack/index.ts';
import { FakeWassengerFiles } from '../testkit/fake-wassenger/index.ts';
import { DEVICE, MEDIA_ENV, MEDIA_TOKEN, imageMessage, mediaYaml, someBytes } from '../testkit/media/events.ts';
import { SERVER_YAML, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const CHAT = '34600999000@c.us';

function withBody(event: object, body: string): object {
  const e = event as { data: object };
  return { ...e, data: { ...e.data, body } };
}

describe('media into Slack: uploads in the chat thread', () => {
  let files: FakeWassengerFiles;
  let slack: FakeSlack;
  let t: TestRouter;
  before(async () => {
    files = await FakeWassengerFiles.start({ token: MEDIA_TOKEN });
    slack = await FakeSlack.start();
    t = await startTestRouter(
      `${SERVER_YAML}
${mediaYaml(files.url)}
connectors:
  slack:
    type: slack
    token: \${SLACK_BOT_TOKEN}
    apiUrl: ${slack.apiUrl}
    channel: C0SUPPORT
    text: "{{ message.body }}"
    threadBy: chat
    channelRatePerSec: 0
    delivery: { ratePerSec: 0, backoffBaseMs: 50, maxBackoffMs: 300, maxAttempts: 50 }
  linked:
    type: slack
    token: \${SLACK_BOT_TOKEN}
    apiUrl: ${slack.apiUrl}
    channel: C0SALES
    text: "{{ message.body }}"
    uploadMedia: false
    channelRatePerSec: 0
    delivery: { ratePerSec: 0, backoffBaseMs: 50, maxBackoffMs: 300 }
routes:
  - name: all
    to: [slack, linked]
`,
      { ...MEDIA_ENV, SLACK_BOT_TOKEN: FAKE_TOKEN },
    );
  });
  after(async () => {
    await t.close();
    await slack.close();
    await files.close();
  });

  test('the first image starts the thread with its text, the file follows in it with the right bytes', async () => {
    const photo = someBytes(40_000, 3);
    files.add(DEVICE, 'FILE-S1', { bytes: photo, mime: 'image/jpeg' });
    await t.post(
      withBody(
        imageMessage('MSG-S1', 'FILE-S1', { size: photo.length, chat: CHAT, filename: 'receipt.jpg' }),
        'here is the receipt',
      ),
    );
    const upload = await waitFor(() => slack.uploads[0], 'an upload', 20_000);
    const root = slack.roots('C0SUPPORT').find((m) => m.text === 'here is the receipt');
    assert.ok(root, 'the text started the thread');
    assert.equal(upload.channel, 'C0SUPPORT');
    assert.equal(upload.thread_ts, root.ts);
    assert.equal(upload.filename, 'receipt.jpg');
    assert.deepEqual(upload.bytes, photo);
    assert.equal(upload.initial_comment, undefined, 'the text is not posted twice');
  });

  test('a later image of the chat is uploaded into the same thread, its text as the comment', async () => {
    const doc = someBytes(12_345, 9);
    files.add(DEVICE, 'FILE-S2', { bytes: doc, mime: 'application/pdf' });
    await t.post(
      withBody(
        imageMessage('MSG-S2', 'FILE-S2', {
          size: doc.length,
          chat: CHAT,
          mime: 'application/pdf',
          filename: 'invoice.pdf',
        }),
        'and the invoice',
      ),
    );
    const upload = await waitFor(
      () => slack.uploads.find((u) => u.filename === 'invoice.pdf'),
      'the second upload',
      20_000,
    );
    assert.equal(upload.thread_ts, slack.uploads[0]!.thread_ts);
    assert.equal(upload.initial_comment, 'and the invoice');
    assert.deepEqual(upload.bytes, doc);
  });

  test('a replayed event never uploads the file into the thread again', async () => {
    const [delivery] = await t.router.store
      .listDeliveries({ connector: 'slack', status: 'delivered', limit: 100 })
      .then((rows) => rows.filter((row) => row.ref?.startsWith('F0FAKE')));
    assert.ok(delivery);
    const before = slack.uploads.length;
    const calls = slack.calls.length;
    assert.equal(await t.router.store.replayEvent(delivery.eventId), true);
    t.router.dispatcher.wake();
    await waitFor(
      async () => {
        const rows = await t.router.store.listDeliveries({ eventId: delivery.eventId, connector: 'slack', limit: 1 });
        return rows[0]?.status === 'delivered' && rows[0].ref?.includes('already uploaded');
      },
      'the replayed delivery done',
      20_000,
    );
    assert.equal(slack.uploads.length, before);
    assert.equal(slack.callsOf('files.getUploadURLExternal').filter((c) => slack.calls.indexOf(c) >= calls).length, 0);
  });

  test('with uploadMedia: false the message carries a link to the file', async () => {
    const linked = await waitFor(
      () => slack.messages.find((m) => m.channel === 'C0SALES' && m.text?.startsWith('here is the receipt')),
      'the linked message',
      20_000,
    );
    const match = /<(http:\/\/127\.0\.0\.1:\d+\/media\/[0-9a-f]+\?e=\d+&amp;s=[\w-]+)\|receipt\.jpg>/.exec(
      linked.text ?? '',
    );
    assert.ok(match, `a link in: ${linked.text}`);
    const got = await fetch(match[1]!.replace('&amp;', '&'));
    assert.equal(got.status, 200);
    assert.equal(Buffer.from(await got.arrayBuffer()).length, 40_000);
  });
});
