import type { Readable } from 'node:stream';

/** What is kept about a stored file besides its bytes. */
export interface StoredFile {
  /** Content address (see naming.ts): also the id in links. */
  readonly key: string;
  readonly mime: string;
  /** The name shown to people (Content-Disposition, Slack); never used as a path. */
  readonly filename: string;
  readonly size: number;
  /** Epoch ms the file was stored. */
  readonly storedAt: number;
}

/**
 * Where downloaded files are kept: a local folder (one instance, or a volume shared by several)
 * or an S3-compatible bucket. Writes are all-or-nothing: a file is visible once complete.
 */
export interface MediaStorage {
  /** What is known of a stored file; undefined when it is not (or not completely) stored. */
  head(key: string): Promise<StoredFile | undefined>;
  /** Keep the complete file at `localPath` (a temporary file, consumed) under `file.key`. */
  put(file: StoredFile, localPath: string): Promise<void>;
  /** The bytes of a stored file; undefined when it is not stored. */
  open(key: string): Promise<Readable | undefined>;
  /** Every stored file (for retention). */
  list(): Promise<StoredFile[]>;
  delete(key: string): Promise<void>;
}

/** The metadata as kept beside the bytes (JSON). */
export function encodeMeta(file: StoredFile): string {
  return JSON.stringify({ mime: file.mime, filename: file.filename, size: file.size, storedAt: file.storedAt });
}

export function decodeMeta(key: string, text: string): StoredFile | undefined {
  try {
    const meta = JSON.parse(text) as Partial<StoredFile>;
    if (typeof meta.mime !== 'string' || typeof meta.size !== 'number' || typeof meta.storedAt !== 'number')
      return undefined;
    return { key, mime: meta.mime, filename: String(meta.filename ?? key), size: meta.size, storedAt: meta.storedAt };
  } catch {
    return undefined;
  }
}
