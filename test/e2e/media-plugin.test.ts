import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeWassengerFiles } from '../testkit/fake-wassenger/index.ts';
import { DEVICE, MEDIA_ENV, MEDIA_TOKEN, imageMessage, mediaYaml, someBytes } from '../testkit/media/events.ts';
import { SERVER_YAML, startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

// A custom connector that reads the stored bytes through ctx.media, as a plugin pushing files
// elsewhere (a bucket, a ticketing system) would, without the Wassenger API key.
const PLUGIN = `export default ({ defineConnector, z, delivered, retry }) =>
  defineConnector({
    sdkVersion: 1,
    type: 'file_tap',
    summary: 'Test plugin: reads media files through ctx.media.',
    config: z.object({}).strict(),
    create: (_config, ctx) => ({
      async deliver(batch) {
        const out = [];
        for (const delivery of batch) {
          const media = delivery.event.message?.media;
          const file = media && ctx.media ? await ctx.media.open(media) : undefined;
          if (!file) { out.push(delivered('no file')); continue; }
          const chunks = [];
          for await (const chunk of file.stream) chunks.push(chunk);
          (globalThis.__mediaTap ??= []).push({ mime: file.mime, filename: file.filename, size: file.size, bytes: Buffer.concat(chunks) });
          out.push(delivered(file.key));
        }
        return out;
      },
    }),
  });
`;

test('ctx.media opens the stored bytes, with their metadata, for a custom connector', async () => {
  const pluginDir = mkdtempSync(join(tmpdir(), 'wa-router-plugin-'));
  writeFileSync(join(pluginDir, 'file-tap.js'), PLUGIN);
  const files = await FakeWassengerFiles.start({ token: MEDIA_TOKEN });
  const t = await startTestRouter(
    `${SERVER_YAML}
plugins: [${JSON.stringify(join(pluginDir, 'file-tap.js'))}]
${mediaYaml(files.url)}
connectors:
  tap: { type: file_tap }
routes:
  - name: all
    to: [tap]
`,
    MEDIA_ENV,
  );
  try {
    const bytes = someBytes(33_000, 21);
    files.add(DEVICE, 'FILE-P1', { bytes, mime: 'video/mp4' });
    await t.post(imageMessage('MSG-P1', 'FILE-P1', { size: bytes.length, mime: 'video/mp4', filename: 'clip.mp4' }));
    const tapped = await waitFor(
      () =>
        (globalThis as { __mediaTap?: { mime: string; filename: string; size: number; bytes: Buffer }[] })
          .__mediaTap?.[0],
      'the plugin to read the file',
      20_000,
    );
    assert.deepEqual([tapped.mime, tapped.filename, tapped.size], ['video/mp4', 'clip.mp4', bytes.length]);
    assert.deepEqual(tapped.bytes, bytes);
  } finally {
    await t.close();
    await files.close();
    rmSync(pluginDir, { recursive: true, force: true });
  }
});
