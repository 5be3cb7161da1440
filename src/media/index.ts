import { join, resolve } from 'node:path';
import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { RoutedEvent } from '../domain/event.ts';
import type { Logger } from '../observability/logger.ts';
import type { MediaFiles } from '../sdk/connector.ts';
import type { MediaConfig } from './config.ts';
import { LocalMediaStorage } from './local-storage.ts';
import { createMediaMetrics } from './metrics.ts';
import { mountMediaRoute } from './route.ts';
import { MediaService, type Prepared } from './service.ts';
import type { MediaStorage } from './storage.ts';

export type { MediaConfig } from './config.ts';
export { MediaService, type Prepared } from './service.ts';

/** How often retention runs (also once at start). */
const PRUNE_EVERY_MS = 60 * 60_000;

/** Media as the composition root wires it: the dispatcher hook, `ctx.media`, the route, retention. */
export interface MediaModule {
  readonly service: MediaService;
  /** The dispatcher's beforeDeliver hook. */
  prepare(event: RoutedEvent): Prepared | Promise<Prepared>;
  readonly files: MediaFiles;
  mount(router: Router): void;
  /** The server listens at `url` (the links' base when `publicUrl` is not set). */
  listening(url: string): void;
  close(): void;
}

export async function startMedia(
  config: MediaConfig,
  deps: { readonly log: Logger; readonly registry: Registry },
): Promise<MediaModule> {
  const dir = resolve(config.dir);
  let storage: MediaStorage;
  if (config.s3) {
    const { S3MediaStorage } = await import('./s3-storage.ts');
    storage = new S3MediaStorage(config.s3);
  } else {
    storage = new LocalMediaStorage(dir);
  }
  let service: MediaService | undefined;
  const metrics = createMediaMetrics(deps.registry, () => service?.storeSize ?? { files: 0, bytes: 0 });
  service = new MediaService({ config, storage, tmpDir: join(dir, 'tmp'), log: deps.log, metrics });
  await service.start();
  if (!config.publicUrl)
    deps.log.warn(
      {},
      "media.publicUrl is not set: links point at the server's own address, which only this machine may reach; set it to the address people and Slack use.",
    );
  const media = service;
  const prune = () =>
    media
      .prune()
      .then((pruned) => pruned.deleted > 0 && deps.log.info(pruned, 'Deleted old media files.'))
      .catch((error: unknown) => deps.log.warn({ err: error }, 'Media retention failed; will try again.'));
  void prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS).unref();
  return {
    service: media,
    prepare: (event) => (event.message?.media ? media.prepare(event) : { event }),
    files: { open: (file) => media.open(file) },
    mount: (router) => mountMediaRoute(router, media, () => config.linkSecret),
    listening: (url) => media.useServerAddress(url),
    close: () => clearInterval(timer),
  };
}

/** The routes of `extend`, plus the media route when media is on. */
export function withMediaRoute(
  media: MediaModule | undefined,
  extend: (router: Router) => void,
): (router: Router) => void {
  return (router) => {
    media?.mount(router);
    extend(router);
  };
}
