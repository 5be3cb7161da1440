import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isKey } from './naming.ts';
import { decodeMeta, encodeMeta, type MediaStorage, type StoredFile } from './storage.ts';

/**
 * Files in a local folder: `<dir>/<first 2 hex>/<key>` and `<key>.json` beside it. The bytes are
 * renamed into place first and the metadata written (then renamed) last, so a file is visible
 * only when complete, whatever moment a crash comes at. Several instances may share the folder
 * (a shared volume): names are content addresses, so two writers of one file write the same bytes.
 */
export class LocalMediaStorage implements MediaStorage {
  constructor(private readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), key);
  }

  async head(key: string): Promise<StoredFile | undefined> {
    if (!isKey(key)) return undefined;
    let text: string;
    try {
      text = await readFile(`${this.pathOf(key)}.json`, 'utf8');
    } catch {
      return undefined;
    }
    return decodeMeta(key, text);
  }

  async put(file: StoredFile, localPath: string): Promise<void> {
    const path = this.pathOf(file.key);
    await mkdir(join(this.dir, file.key.slice(0, 2)), { recursive: true });
    await rename(localPath, path);
    await writeFile(`${path}.json.tmp`, encodeMeta(file));
    await rename(`${path}.json.tmp`, `${path}.json`);
  }

  async open(key: string): Promise<Readable | undefined> {
    if (!(await this.head(key))) return undefined;
    const stream = createReadStream(this.pathOf(key));
    // Surface a missing file (deleted by retention meanwhile) here rather than mid-response.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    }).catch(() => undefined);
    return stream.destroyed ? undefined : stream;
  }

  async list(): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    let shards: string[];
    try {
      shards = await readdir(this.dir);
    } catch {
      return files;
    }
    for (const shard of shards.filter((name) => /^[0-9a-f]{2}$/.test(name))) {
      for (const name of await readdir(join(this.dir, shard)).catch(() => [] as string[])) {
        if (!name.endsWith('.json')) continue;
        const file = await this.head(name.slice(0, -'.json'.length));
        if (file) files.push(file);
      }
    }
    return files;
  }

  async delete(key: string): Promise<void> {
    if (!isKey(key)) return;
    const path = this.pathOf(key);
    // Metadata first: the file stops being visible before its bytes go.
    await rm(`${path}.json`, { force: true });
    await rm(path, { force: true });
  }

  /** Size on disk of a stored file's bytes (tests, diagnostics). */
  async bytesOf(key: string): Promise<number | undefined> {
    return stat(this.pathOf(key)).then(
      (s) => s.size,
      () => undefined,
    );
  }
}
