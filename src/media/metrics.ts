import { Counter, Gauge, type Registry } from 'prom-client';

/** The media metrics, in the router's registry. */
export function createMediaMetrics(registry: Registry, storeSize: () => { files: number; bytes: number }) {
  const downloads = new Counter({
    name: 'wa_router_media_downloads_total',
    help: 'Files downloaded from Wassenger and stored.',
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'wa_router_media_downloaded_bytes_total',
    help: 'Bytes of the files downloaded and stored.',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'wa_router_media_download_failures_total',
    help: 'Failed download attempts by reason (transient, expired, too_large, unavailable).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wa_router_media_store_bytes',
    help: 'Bytes of the stored media files (as of the last retention pass).',
    registers: [registry],
    collect() {
      this.set(storeSize().bytes);
    },
  });
  new Gauge({
    name: 'wa_router_media_store_files',
    help: 'Stored media files (as of the last retention pass).',
    registers: [registry],
    collect() {
      this.set(storeSize().files);
    },
  });
  return { downloads, bytes, failures };
}

export type MediaMetrics = ReturnType<typeof createMediaMetrics>;
