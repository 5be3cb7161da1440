import { createApiVersionsHandler } from './api-versions.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import type { ApiHandler } from './types.ts';

/**
 * The APIs this broker serves, by key. ApiVersions advertises exactly this
 * table, so a client never picks a version the broker cannot parse.
 */
export function createHandlers(): ReadonlyMap<number, ApiHandler> {
  const handlers = new Map<number, ApiHandler>();
  const list = (): ApiHandler[] => [...handlers.values()];
  for (const h of [produceHandler, metadataHandler, createApiVersionsHandler(list), initProducerIdHandler]) {
    handlers.set(h.apiKey, h);
  }
  return handlers;
}
