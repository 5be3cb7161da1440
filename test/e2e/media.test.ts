import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signLink } from '../../src/media/link.ts';
import { keyOf } from '../../src/media/naming.ts';
import { FakeWassengerFiles } from '../testkit/fake-wassenger/index.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import {
  DEVICE,
  LINK_SECRET,
  MEDIA_ENV,
  MEDIA_TOKEN,
  imageMessage,
  mediaYaml,
  someBytes,
} from '../testkit/media/events.ts';
import { SERVER_YAML, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

interface SinkBody {
  text: string;
  media: { url?: string; mime?: string; filename?: string; size?: number; error?: string };
}

describe('media through the whole router, to an http sink', () => {
  let files: FakeWassengerFiles;
  let sink: HttpSink;
  let t: TestRouter;
  before(async () => {
    files = await FakeWassengerFiles.start({ token: MEDIA_TOKEN });
    sink = await HttpSink.start();
    t = await startTestRouter(
      `${SERVER_YAML}
${mediaYaml(files.url, '  maxBytes: 200kb\n  retryBudget: 3s')}
connectors:
  sink:
    type: http
    url: ${sink.url}/in
    body:
      text: "{{ message.body }}"
      media: { url: "{{ message.media.url }}", mime: "{{ message.media.mime }}", filename: "{{ message.media.filename }}", size: "{{ message.media.size }}", error: "{{ message.media.error }}" }
    delivery: { backoffBaseMs: 50, maxBackoffMs: 300, maxAttempts: 100 }
routes:
  - name: all
    to: [sink]
`,
      MEDIA_ENV,
    );
  });
  after(async () => {
    await t.close();
    await sink.close();
    await files.close();
  });

  const bodyFor = async (text: string) =>
    (
      await waitFor(
        () => sink.bodies<SinkBody>().find((body) => body.text === text),
        `the sink to get "${text}"`,
        20_000,
      )
    ).media;

  test('the sink gets a link that returns the same bytes, with safe headers', async () => {
    const bytes = someBytes(150_000);
    files.add(DEVICE, 'FILE-OK', { bytes, mime: 'image/jpeg' });
    const response = await t.post(imageMessage('MSG-OK', 'FILE-OK', { size: bytes.length, filename: 'receipt 1.jpg' }));
    assert.equal(response.status, 200);
    const media = await bodyFor('Invoice photo, please check the total');
    const url = media.url ?? '';
    assert.ok(url.startsWith(`${t.url}/media/`), `a link to the router: ${url}`);
    assert.ok(!url.includes(MEDIA_TOKEN), 'the link never carries the Wassenger token');
    assert.deepEqual(
      [media.mime, media.filename, String(media.size), media.error],
      ['image/jpeg', 'receipt 1.jpg', '150000', undefined],
    );
    const got = await fetch(url);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
    assert.equal(got.headers.get('content-type'), 'image/jpeg');
    assert.equal(got.headers.get('content-length'), '150000');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.match(got.headers.get('content-disposition') ?? '', /^inline; filename="receipt 1.jpg"/);
    // Tampered and expired links are refused; an id never stored is unknown.
    const tampered = url.replace(/s=.(.*)$/, (_m, rest: string) =>
      `s=${rest.startsWith('A') ? 'B' : 'A'}${rest}`.slice(0, -1),
    );
    assert.equal((await fetch(tampered)).status, 403);
    const otherId = url.replace(/\/media\/[0-9a-f]+/, `/media/${keyOf('FILE-OTHER')}`);
    assert.equal((await fetch(otherId)).status, 403, 'a signature is for one file only');
    const key = keyOf('FILE-OK');
    const expired = await fetch(signLink(t.url, LINK_SECRET, key, Date.now() - 1_000));
    assert.equal(expired.status, 403);
    assert.equal(((await expired.json()) as { error: string }).error, 'link_expired');
    assert.equal((await fetch(signLink(t.url, LINK_SECRET, keyOf('NEVER-STORED'), Date.now() + 60_000))).status, 404);
    assert.equal((await fetch(`${t.url}/media/`)).status, 404, 'no listing');
  });

  test('a redelivered webhook finds the file stored: one download', async () => {
    const before = files.completed('FILE-OK').length;
    sink.requests.length = 0;
    // The same file in another message (a forward), then the first message again.
    await t.post(imageMessage('MSG-OK-2', 'FILE-OK', { size: 150_000 }));
    await waitFor(() => sink.requests.length === 1, 'the second message delivered', 20_000);
    assert.equal(files.completed('FILE-OK').length, before, 'the stored file was not downloaded again');
  });

  test('an expired file still delivers the text, with media.error and no url', async () => {
    files.fail('FILE-GONE', { status: 410 });
    await t.post({
      ...(imageMessage('MSG-GONE', 'FILE-GONE') as object),
      data: { ...(imageMessage('MSG-GONE', 'FILE-GONE') as { data: object }).data, body: 'gone file' },
    });
    const media = await bodyFor('gone file');
    assert.deepEqual([media.url, media.error], [undefined, 'expired']);
  });

  test('a file over maxBytes is never stored: too_large, even when its size was not announced', async () => {
    files.add(DEVICE, 'FILE-BIG', { bytes: someBytes(1_000), mime: 'image/jpeg', oversize: 300_000 });
    const event = imageMessage('MSG-BIG', 'FILE-BIG', { size: 1_000 }) as { data: object };
    await t.post({ ...event, data: { ...event.data, body: 'big file' } });
    const media = await bodyFor('big file');
    assert.deepEqual([media.url, media.error], [undefined, 'too_large']);
  });

  test('429 with Retry-After and a 503 hold the delivery back, then it goes out with the file', async () => {
    files.add(DEVICE, 'FILE-LIMITED', { bytes: someBytes(2_000, 7), mime: 'application/pdf' });
    files.fail('FILE-LIMITED', { status: 429, retryAfter: '1' }, { status: 503 });
    const event = imageMessage('MSG-LIMITED', 'FILE-LIMITED', {
      size: 2_000,
      mime: 'application/pdf',
      filename: 'a.pdf',
    }) as { data: object };
    await t.post({ ...event, data: { ...event.data, body: 'limited file' } });
    const media = await bodyFor('limited file');
    assert.ok(media.url, 'delivered with its link once the download went through');
    const attempts = files.downloads.filter((d) => d.fileId === 'FILE-LIMITED');
    assert.deepEqual(
      attempts.map((d) => d.status),
      [429, 503, 200],
    );
    assert.ok(attempts.every((d) => d.token === MEDIA_TOKEN));
  });

  test('a file that keeps failing goes out as unavailable once the retry budget is spent', async () => {
    files.fail('FILE-DOWN', ...Array.from({ length: 200 }, () => ({ status: 500 })));
    const event = imageMessage('MSG-DOWN', 'FILE-DOWN') as { data: object };
    await t.post({ ...event, data: { ...event.data, body: 'down file' } });
    const media = await bodyFor('down file');
    assert.deepEqual([media.url, media.error], [undefined, 'unavailable']);
  });

  test('an HTML file is served only as an attachment', async () => {
    files.add(DEVICE, 'FILE-HTML', { bytes: Buffer.from('<script>alert(1)</script>'), mime: 'text/html' });
    const event = imageMessage('MSG-HTML', 'FILE-HTML', { size: 25, mime: 'text/html', filename: 'x.html' }) as {
      data: object;
    };
    await t.post({ ...event, data: { ...event.data, body: 'html file' } });
    const media = await bodyFor('html file');
    const got = await fetch(media.url!);
    assert.match(got.headers.get('content-disposition') ?? '', /^attachment;/);
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  });

  test('a redirect to another host is not followed: the token never leaves the API host', async () => {
    const elsewhere = await HttpSink.start();
    try {
      files.fail('FILE-REDIRECT', { redirect: `${elsewhere.url}/steal` });
      const event = imageMessage('MSG-REDIRECT', 'FILE-REDIRECT') as { data: object };
      await t.post({ ...event, data: { ...event.data, body: 'redirected file' } });
      const media = await bodyFor('redirected file');
      assert.deepEqual([media.url, media.error], [undefined, 'unavailable']);
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  test('metrics count downloads, bytes and failures by reason', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const value = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1]);
    assert.ok(value('wa_router_media_downloads_total') >= 3, text);
    assert.ok(value('wa_router_media_downloaded_bytes_total') >= 150_000);
    assert.ok(value('wa_router_media_download_failures_total{reason="expired"}') >= 1);
    assert.ok(value('wa_router_media_download_failures_total{reason="too_large"}') >= 1);
    assert.ok(value('wa_router_media_download_failures_total{reason="transient"}') >= 2);
  });

  test('the media route is rate-limited per client', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 80 }, () => fetch(`${t.url}/media/${keyOf('X')}?e=1&s=x`).then((r) => r.status)),
    );
    assert.ok(statuses.includes(429), 'some requests are refused with 429');
  });
});
