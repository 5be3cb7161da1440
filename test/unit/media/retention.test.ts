import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MediaSchema } from '../../../src/media/config.ts';
import { LocalMediaStorage } from '../../../src/media/local-storage.ts';
import { keyOf } from '../../../src/media/naming.ts';
import { S3MediaStorage } from '../../../src/media/s3-storage.ts';
import { MediaService } from '../../../src/media/service.ts';
import type { MediaStorage } from '../../../src/media/storage.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { FakeS3 } from '../../testkit/fake-s3/index.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

function serviceOver(storage: MediaStorage, dir: string, extra: object) {
  const config = MediaSchema.parse({ token: 't', linkSecret: 'x'.repeat(16), dir, keepDays: 30, ...extra });
  return new MediaService({
    config,
    storage,
    tmpDir: join(dir, 'tmp'),
    log: createLogger({ level: 'silent' }),
    now: () => NOW,
  });
}

async function putFile(storage: MediaStorage, dir: string, id: string, size: number, storedAt: number) {
  const path = join(dir, `${id}.part`);
  writeFileSync(path, Buffer.alloc(size, 1));
  await storage.put({ key: keyOf(id), mime: 'image/png', filename: `${id}.png`, size, storedAt }, path);
}

describe('media retention', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wa-router-media-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('files older than keepDays go; past maxTotalBytes the oldest go first', async () => {
    const storage = new LocalMediaStorage(join(dir, 'local'));
    await putFile(storage, dir, 'old', 100, NOW - 31 * DAY);
    await putFile(storage, dir, 'a', 400, NOW - 3 * DAY);
    await putFile(storage, dir, 'b', 400, NOW - 2 * DAY);
    await putFile(storage, dir, 'c', 400, NOW - 1 * DAY);
    const media = serviceOver(storage, join(dir, 'local'), { maxTotalBytes: 900 });
    assert.deepEqual(await media.prune(), { deleted: 2, files: 2, bytes: 800 });
    const left = (await storage.list()).map((file) => file.filename).sort();
    assert.deepEqual(left, ['b.png', 'c.png']);
    assert.equal(await storage.head(keyOf('a')), undefined);
    assert.equal(await storage.open(keyOf('old')), undefined);
  });

  test('the same against an S3-compatible bucket', async () => {
    const s3 = await FakeS3.start({ accessKeyId: 'AKIARETENTION', buckets: ['bkt1'] });
    try {
      const storage = new S3MediaStorage(
        MediaSchema.parse({
          token: 't',
          linkSecret: 'x'.repeat(16),
          s3: {
            endpoint: s3.url,
            bucket: 'bkt1',
            accessKeyId: 'AKIARETENTION',
            secretAccessKey: 's',
            forcePathStyle: true,
          },
        }).s3!,
      );
      for (const id of ['s1', 's2', 's3']) await putFile(storage, dir, id, 300, NOW);
      const stored = await storage.head(keyOf('s2'));
      assert.deepEqual(
        { ...stored, storedAt: 0 },
        { key: keyOf('s2'), mime: 'image/png', filename: 's2.png', size: 300, storedAt: 0 },
      );
      const media = serviceOver(storage, join(dir, 's3'), { maxTotalBytes: 600 });
      const pruned = await media.prune();
      assert.deepEqual([pruned.deleted, pruned.files, pruned.bytes], [1, 2, 600]);
      assert.equal((await storage.list()).length, 2);
    } finally {
      await s3.close();
    }
  });
});
