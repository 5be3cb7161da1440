import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { MediaS3Config } from './config.ts';
import { isKey } from './naming.ts';
import type { MediaStorage, StoredFile } from './storage.ts';

/**
 * Files in an S3-compatible bucket, readable by every router instance: one object per file under
 * `prefix + key`, its metadata in the object's own headers (Content-Type, and `x-amz-meta-file`:
 * the file name and time stored, base64url JSON, since header values are ASCII). PutObject is
 * atomic, so a file is visible only when complete.
 */
export class S3MediaStorage implements MediaStorage {
  private readonly client: S3Client;

  constructor(private readonly config: MediaS3Config) {
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // Checksums only where S3 requires them: S3-compatible servers do not all read the
      // streaming checksum trailers newer SDKs add by default.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
    });
  }

  private objectKey(key: string): string {
    return `${this.config.prefix}${key}`;
  }

  async head(key: string): Promise<StoredFile | undefined> {
    if (!isKey(key)) return undefined;
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }),
      );
      return fileOf(key, head.ContentType, head.ContentLength, head.Metadata, head.LastModified);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(file: StoredFile, localPath: string): Promise<void> {
    const { size } = await stat(localPath);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: this.objectKey(file.key),
          Body: createReadStream(localPath),
          ContentLength: size,
          ContentType: file.mime,
          Metadata: {
            file: Buffer.from(JSON.stringify({ filename: file.filename, storedAt: file.storedAt })).toString(
              'base64url',
            ),
          },
        }),
      );
    } finally {
      await rm(localPath, { force: true });
    }
  }

  async open(key: string): Promise<Readable | undefined> {
    if (!isKey(key)) return undefined;
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }),
      );
      return object.Body as Readable | undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.config.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = (object.Key ?? '').slice(this.config.prefix.length);
        if (!isKey(key)) continue;
        // The listing has no metadata; the time it was written is the time stored.
        files.push({
          key,
          mime: 'application/octet-stream',
          filename: key,
          size: object.Size ?? 0,
          storedAt: object.LastModified?.getTime() ?? 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  async delete(key: string): Promise<void> {
    if (!isKey(key)) return;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
  }
}

function fileOf(
  key: string,
  type: string | undefined,
  length: number | undefined,
  metadata: Record<string, string> | undefined,
  modified: Date | undefined,
): StoredFile {
  let extra: { filename?: unknown; storedAt?: unknown } = {};
  try {
    extra = JSON.parse(Buffer.from(metadata?.file ?? '', 'base64url').toString('utf8') || '{}');
  } catch {
    // Metadata written by something else: fall back to what the object says.
  }
  return {
    key,
    mime: type ?? 'application/octet-stream',
    filename: typeof extra.filename === 'string' ? extra.filename : key,
    size: length ?? 0,
    storedAt: typeof extra.storedAt === 'number' ? extra.storedAt : (modified?.getTime() ?? 0),
  };
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
