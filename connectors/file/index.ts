import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  defineConnector,
  delivered,
  failed,
  retry,
  templateScope,
  templateTree,
  withExchange,
  z,
  type Delivery,
  type Outcome,
  type TemplateTree,
} from '../../src/sdk/index.ts';

/** Errors that no retry can fix. */
const PERMANENT = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS']);

const FileConfig = z
  .object({
    path: z
      .string()
      .min(1)
      .describe('File to append to, relative to the working directory (e.g. ./data/events.jsonl).'),
    line: templateTree()
      .optional()
      .describe('What each line holds, as a YAML tree of templates; default: the normalized event.'),
    fsync: z.boolean().default(true).describe('fsync after each batch, so a delivered line survives a power loss.'),
  })
  .strict();

/** Where an earlier failed append must be cut back to, when cutting it failed at the time. */
interface Cut {
  readonly size: number;
  readonly ino: number;
}

/**
 * Append every byte of `data` or throw. A write may be short (a nearly full disk writes what fits,
 * and only the next write says ENOSPC), so it loops; on any failure, fsync included, the file is
 * cut back to its size before the write, so no fragment stays behind for the next line to be
 * glued onto. When even that cut fails, `pending` remembers it and it is done before any new write.
 */
async function appendAll(handle: FileHandle, data: Buffer, fsync: boolean, pending: { cut?: Cut }): Promise<void> {
  let stat = await handle.stat();
  if (pending.cut) {
    // Only the same file, and only shorter: a rotated or truncated file is left as it is.
    if (pending.cut.ino === stat.ino && stat.size > pending.cut.size) await handle.truncate(pending.cut.size);
    pending.cut = undefined;
    stat = await handle.stat();
  }
  try {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' });
      offset += bytesWritten;
    }
    if (fsync) await handle.sync();
  } catch (error) {
    try {
      await handle.truncate(stat.size);
    } catch {
      pending.cut = { size: stat.size, ino: stat.ino };
    }
    throw error;
  }
}

function renderLine(line: TemplateTree | undefined, delivery: Delivery): string {
  const value = line ? line.render(templateScope(delivery)) : delivery.event;
  return JSON.stringify(value ?? null);
}

/** Append each event as one JSON line to a local file. */
export default defineConnector({
  sdkVersion: 1,
  type: 'file',
  summary: 'Append each event as a JSON line to a local file (JSON Lines).',
  config: FileConfig,
  examples: [
    { title: 'Every event, as normalized', config: { path: './data/events.jsonl' } },
    {
      title: 'Selected fields',
      config: {
        path: './data/inbound.jsonl',
        line: { at: '{{ receivedAt }}', from: '{{ contact.phone }}', text: '{{ message.body }}' },
      },
    },
  ],
  // One writer keeps lines in delivery order; batches make one write and one fsync.
  delivery: { maxBatch: 200, maxInFlight: 1, timeoutMs: 10_000 },
  create(config) {
    const path = resolve(config.path);
    let ready: Promise<unknown> | undefined;
    const pending: { cut?: Cut } = {};
    return {
      preview: (delivery) => ({ path, line: renderLine(config.line, delivery) }),
      async deliver(batch) {
        let rendered: string[];
        try {
          rendered = batch.map((delivery) => renderLine(config.line, delivery));
        } catch (error) {
          return batch.map(() => failed(`cannot render the line: ${(error as Error).message}`));
        }
        const lines = Buffer.from(`${rendered.join('\n')}\n`);
        // What each attempt records: its own line, appended to the path as the config writes it.
        const recorded = (outcome: Outcome, index: number, answer: string): Outcome =>
          withExchange(outcome, {
            request: { method: 'APPEND', url: `file:${config.path}`, body: rendered[index] },
            response: { headers: { 'batch-bytes': String(lines.length) }, body: answer },
          });
        try {
          ready ??= mkdir(dirname(path), { recursive: true });
          await ready;
          const handle = await open(path, 'a');
          try {
            await appendAll(handle, lines, config.fsync, pending);
          } finally {
            await handle.close();
          }
          return batch.map((_, index) =>
            recorded(delivered(), index, config.fsync ? 'appended and synced' : 'appended'),
          );
        } catch (error) {
          ready = undefined;
          const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
          const reason = `cannot append to ${config.path}: ${code}`;
          return batch.map((_, index) =>
            recorded(PERMANENT.has(code) ? failed(reason) : retry(reason), index, `not appended: ${code}`),
          );
        }
      },
    };
  },
});
