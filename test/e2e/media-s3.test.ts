import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keyOf } from '../../src/media/naming.ts';
import { FakeS3 } from '../testkit/fake-s3/index.ts';
import { FakeWassengerFiles } from '../testkit/fake-wassenger/index.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { DEVICE, MEDIA_ENV, MEDIA_TOKEN, imageMessage, mediaYaml, someBytes } from '../testkit/media/events.ts';
import { SERVER_YAML, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const ACCESS_KEY = 'AKIAFAKE0123456789';

describe('media kept in an S3-compatible bucket (the real @aws-sdk/client-s3 against a local server)', () => {
  let files: FakeWassengerFiles;
  let s3: FakeS3;
  let sink: HttpSink;
  const routers: TestRouter[] = [];
  const start = async (): Promise<TestRouter> => {
    const t = await startTestRouter(
      `${SERVER_YAML}
${mediaYaml(
  files.url,
  `  s3:
    endpoint: ${s3.url}
    bucket: wa-media
    region: eu-west-1
    accessKeyId: ${ACCESS_KEY}
    secretAccessKey: \${S3_SECRET}
    forcePathStyle: true`,
)}
connectors:
  sink:
    type: http
    url: ${sink.url}/in
    body: { text: "{{ message.body }}", url: "{{ message.media.url }}" }
    delivery: { backoffBaseMs: 50, maxBackoffMs: 300, maxAttempts: 50 }
routes:
  - name: all
    to: [sink]
`,
      { ...MEDIA_ENV, S3_SECRET: 's3-secret-key-0123456789' },
    );
    routers.push(t);
    return t;
  };
  before(async () => {
    files = await FakeWassengerFiles.start({ token: MEDIA_TOKEN });
    s3 = await FakeS3.start({ accessKeyId: ACCESS_KEY, buckets: ['wa-media'] });
    sink = await HttpSink.start();
  });
  after(async () => {
    for (const t of routers) await t.close();
    await sink.close();
    await s3.close();
    await files.close();
  });

  test('the file lands in the bucket once and every instance serves it', async () => {
    const bytes = someBytes(70_000, 5);
    files.add(DEVICE, 'FILE-S3', { bytes, mime: 'audio/ogg' });
    const first = await start();
    const second = await start();
    await first.post(
      imageMessage('MSG-S3', 'FILE-S3', { size: bytes.length, mime: 'audio/ogg', filename: 'voice.ogg' }),
    );
    const body = await waitFor(() => sink.bodies<{ url: string }>()[0], 'the delivery', 20_000);
    const object = s3.buckets.get('wa-media')!.get(`media/${keyOf('FILE-S3')}`);
    assert.ok(object, 'stored under its content address');
    assert.deepEqual(object.body, bytes);
    assert.equal(object.contentType, 'audio/ogg');
    // The link works on the other instance too: it reads the bucket.
    const elsewhere = body.url.replace(first.url, second.url);
    const got = await fetch(elsewhere);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
    assert.match(got.headers.get('content-disposition') ?? '', /filename="voice.ogg"/);
    // The second instance gets the same file in another event: found in the bucket, not downloaded.
    await second.post(imageMessage('MSG-S3-B', 'FILE-S3', { size: bytes.length, mime: 'audio/ogg' }));
    await waitFor(() => sink.requests.length === 2, 'the second delivery', 20_000);
    assert.equal(files.completed('FILE-S3').length, 1);
  });
});
