import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { EventMedia, RoutedEvent } from '../domain/event.ts';
import type { Logger } from '../observability/logger.ts';
import { LruCache } from '../util/lru.ts';
import type { MediaConfig } from './config.ts';
import { download, type DownloadResult, type MediaError } from './download.ts';
import { signLink } from './link.ts';
import type { MediaMetrics } from './metrics.ts';
import { cleanMime, keyOf, safeFilename } from './naming.ts';
import type { MediaStorage, StoredFile } from './storage.ts';

/** What the dispatcher gets before a delivery: the event to send, or a reason to try again later. */
export type Prepared = { readonly event: RoutedEvent } | { readonly retryAfterMs: number; readonly reason: string };

/** A stored file opened for reading (SDK `ctx.media`). */
export interface OpenedFile extends StoredFile {
  readonly stream: Readable;
}

/** How long prepare() waits for a download under way before answering "try again shortly". */
const PREPARE_WAIT_MS = 2_000;
/** After a transient failure, further callers are answered from it for at least this long. */
const MIN_RETRY_GAP_MS = 1_000;
/** Partial downloads left behind (by a crash) are removed once this old. */
const STALE_PART_MS = 60 * 60_000;

type Fetched =
  | { readonly stored: StoredFile }
  | { readonly error: MediaError; readonly reason: string }
  | { readonly retryAfterMs: number; readonly reason: string; readonly at: number };

export interface MediaServiceOptions {
  readonly config: MediaConfig;
  readonly storage: MediaStorage;
  /** Local folder for downloads in progress. */
  readonly tmpDir: string;
  readonly log: Logger;
  readonly metrics?: MediaMetrics | undefined;
  readonly now?: () => number;
}

/**
 * Downloads, stores and links the files of media messages, at delivery time. Each file is
 * downloaded once: content-addressed by its Wassenger file id, concurrent callers share one
 * download, and a later delivery, redelivery or replay finds it stored. A download failing
 * transiently holds the delivery back (the dispatcher retries it with its backoff) for at most
 * `retryBudget` since the file's first attempt; after that, or on a permanent failure, the
 * event goes out with `message.media.error` and no url.
 */
export class MediaService {
  private baseUrl: string;
  private readonly inflight = new Map<string, Promise<Fetched>>();
  /** Recent outcomes of failed downloads (permanent ones, and transient ones until their retry time). */
  private readonly outcomes = new LruCache<string, Fetched>(4_096);
  private readonly firstAttempt = new LruCache<string, number>(4_096);
  private readonly now: () => number;
  private size = { files: 0, bytes: 0 };

  constructor(private readonly options: MediaServiceOptions) {
    this.baseUrl = options.config.publicUrl ?? 'http://127.0.0.1';
    this.now = options.now ?? Date.now;
  }

  /** The base of links when `publicUrl` is not configured: the server's own address, known once it listens. */
  useServerAddress(url: string): void {
    if (!this.options.config.publicUrl) this.baseUrl = url;
  }

  get storage(): MediaStorage {
    return this.options.storage;
  }

  get storeSize(): { files: number; bytes: number } {
    return this.size;
  }

  /** Remove partial downloads a crash left behind. */
  async start(): Promise<void> {
    await mkdir(this.options.tmpDir, { recursive: true });
    const now = Date.now();
    for (const name of await readdir(this.options.tmpDir)) {
      const path = join(this.options.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_PART_MS) await rm(path, { force: true });
    }
  }

  /**
   * The event as its deliveries send it: with `message.media.url` once the file is stored, or
   * `message.media.error` once it cannot be had; or a wait when the download is under way or
   * failed transiently. Events without media are returned as they are.
   */
  async prepare(event: RoutedEvent): Promise<Prepared> {
    const media = event.message?.media;
    if (!media || media.url !== undefined || media.error !== undefined) return { event };
    if (!media.id || !media.download) return { event: withError(event, 'unavailable') };
    const key = keyOf(media.id);
    const stored = await this.options.storage.head(key);
    if (stored) return { event: this.withFile(event, stored) };
    const known = this.outcomes.get(key);
    if (known && 'error' in known) return { event: withError(event, known.error) };
    if (known && 'retryAfterMs' in known && known.at + known.retryAfterMs > this.now())
      return { retryAfterMs: known.at + known.retryAfterMs - this.now(), reason: known.reason };
    if (media.size !== undefined && media.size > this.options.config.maxBytes)
      return { event: this.fail(event, key, 'too_large', 'the announced size is larger than media.maxBytes') };
    if (media.expiresAt && Date.parse(media.expiresAt) < this.now())
      return { event: this.fail(event, key, 'expired', `the file expired at ${media.expiresAt}`) };

    let running = this.inflight.get(key);
    if (!running) {
      running = this.fetch(key, media).finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      running,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), PREPARE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!waited) return { retryAfterMs: MIN_RETRY_GAP_MS, reason: 'the media file is still downloading' };
    if ('stored' in waited) return { event: this.withFile(event, waited.stored) };
    if ('error' in waited) return { event: withError(event, waited.error) };
    return { retryAfterMs: waited.retryAfterMs, reason: waited.reason };
  }

  /** Open the stored file of a media message (undefined when it is not stored). */
  async open(media: EventMedia): Promise<OpenedFile | undefined> {
    if (!media.id) return undefined;
    const key = keyOf(media.id);
    const file = await this.options.storage.head(key);
    const stream = file && (await this.options.storage.open(key));
    return file && stream ? { ...file, stream } : undefined;
  }

  /** Delete files older than keepDays, then the oldest while the total is over maxTotalBytes. */
  async prune(): Promise<{ deleted: number; files: number; bytes: number }> {
    const { keepDays, maxTotalBytes } = this.options.config;
    const files = (await this.options.storage.list()).sort((a, b) => a.storedAt - b.storedAt);
    const cutoff = this.now() - keepDays * 86_400_000;
    let total = files.reduce((sum, file) => sum + file.size, 0);
    let deleted = 0;
    for (const file of files) {
      const old = file.storedAt < cutoff;
      if (!old && (maxTotalBytes === undefined || total <= maxTotalBytes)) break;
      await this.options.storage.delete(file.key);
      total -= file.size;
      deleted++;
    }
    this.size = { files: files.length - deleted, bytes: total };
    return { deleted, ...this.size };
  }

  private async fetch(key: string, media: EventMedia): Promise<Fetched> {
    const { config, tmpDir, log, metrics } = this.options;
    const first = this.firstAttempt.get(key) ?? this.now();
    this.firstAttempt.set(key, first);
    const toPath = join(tmpDir, `${key}.${randomBytes(6).toString('hex')}.part`);
    await mkdir(tmpDir, { recursive: true });
    const result: DownloadResult = await download({
      url: `${config.apiUrl.replace(/\/+$/, '')}${media.download}`,
      token: config.token,
      maxBytes: config.maxBytes,
      toPath,
    });
    if (result.ok) {
      const mime = cleanMime(media.mime ?? result.mime);
      const file: StoredFile = {
        key,
        mime,
        filename: safeFilename(media.filename, key, mime),
        size: result.size,
        storedAt: this.now(),
      };
      try {
        await this.options.storage.put(file, toPath);
      } catch (error) {
        await rm(toPath, { force: true });
        metrics?.failures.inc({ reason: 'transient' });
        log.warn({ err: error, file: key }, 'Storing a media file failed; will try again.');
        return this.transient(key, `storing the file failed: ${(error as Error).message}`, MIN_RETRY_GAP_MS);
      }
      metrics?.downloads.inc();
      metrics?.bytes.inc(result.size);
      this.size = { files: this.size.files + 1, bytes: this.size.bytes + result.size };
      log.info({ file: key, bytes: result.size, mime }, 'Media file stored.');
      return { stored: file };
    }
    if (result.permanent) {
      metrics?.failures.inc({ reason: result.permanent });
      log.warn(
        { file: key, reason: result.reason },
        'Media file cannot be downloaded; deliveries go out with media.error.',
      );
      const fetched = { error: result.permanent, reason: result.reason };
      this.outcomes.set(key, fetched);
      return fetched;
    }
    metrics?.failures.inc({ reason: 'transient' });
    if (this.now() - first >= config.retryBudget) {
      metrics?.failures.inc({ reason: 'unavailable' });
      const reason = `gave up after ${Math.round((this.now() - first) / 1000)} s (media.retryBudget): ${result.reason}`;
      log.warn({ file: key, reason }, 'Media file cannot be downloaded; deliveries go out with media.error.');
      const fetched = { error: 'unavailable' as const, reason };
      this.outcomes.set(key, fetched);
      return fetched;
    }
    log.info({ file: key, reason: result.reason }, 'Media download failed; will try again.');
    return this.transient(key, result.reason, Math.max(MIN_RETRY_GAP_MS, result.retryAfterMs ?? 0));
  }

  private transient(key: string, reason: string, retryAfterMs: number): Fetched {
    const fetched = { retryAfterMs, reason: `media download: ${reason}`, at: this.now() };
    this.outcomes.set(key, fetched);
    return fetched;
  }

  private fail(event: RoutedEvent, key: string, error: MediaError, reason: string): RoutedEvent {
    this.options.metrics?.failures.inc({ reason: error });
    this.outcomes.set(key, { error, reason });
    return withError(event, error);
  }

  private withFile(event: RoutedEvent, file: StoredFile): RoutedEvent {
    const media = event.message!.media!;
    const url = signLink(
      this.baseUrl,
      this.options.config.linkSecret,
      file.key,
      this.now() + this.options.config.linkTtl,
    );
    return withMedia(event, {
      ...media,
      url,
      mime: media.mime ?? file.mime,
      filename: media.filename ?? file.filename,
      size: file.size,
    });
  }
}

function withMedia(event: RoutedEvent, media: EventMedia): RoutedEvent {
  return { ...event, message: { ...event.message!, media } };
}

function withError(event: RoutedEvent, error: MediaError): RoutedEvent {
  return withMedia(event, { ...event.message!.media!, error });
}
