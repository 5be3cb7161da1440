import type { RoutedEvent } from '../domain/event.ts';
import type { Store } from '../store/store.ts';
import type { LruCache } from '../util/lru.ts';
import { normalizeItem } from '../wassenger/normalize.ts';
import { parseWebhookBody } from '../wassenger/payload.ts';

/** Why a body was refused, in words that say what is wrong and where. */
export interface PayloadProblem {
  readonly error: 'invalid_json' | 'invalid_payload';
  readonly message: string;
  readonly issues?: readonly { path: string; message: string }[];
}

export type IngestResult =
  | { readonly ok: true; readonly accepted: number; readonly duplicates: number; readonly eventIds: readonly string[] }
  | { readonly ok: false; readonly problem: PayloadProblem };

/**
 * Validate a webhook body, derive its events and append them durably (deduplicated). Resolves
 * only after the store committed; rejects with StoreUnavailableError when it could not.
 * Routing and delivery happen later, off the request path.
 */
export function createIngest(store: Store, onAccepted: () => void, cache?: LruCache<string, RoutedEvent>) {
  return async function ingest(rawBody: string, receivedAt: Date): Promise<IngestResult> {
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch (error) {
      return { ok: false, problem: { error: 'invalid_json', message: `body is not valid JSON: ${(error as Error).message}` } };
    }
    const parsed = parseWebhookBody(json);
    if (!parsed.ok) return { ok: false, problem: { error: 'invalid_payload', message: parsed.error, issues: parsed.issues } };
    const normalized = parsed.items.map((item) => normalizeItem(item, receivedAt));
    const events = normalized.map((event, itemIndex) => ({ id: event.id, event: event.event, itemIndex, chatId: event.chat?.id, contactPhone: event.contact?.phone }));
    const [result] = await store.appendWebhooks([{ body: rawBody, receivedAt: receivedAt.getTime(), events }]);
    // Hand the normalized events to the next stages, unless some were duplicates: the stored
    // copy of a duplicate carries the first receipt's time, not this one.
    if (cache && result!.duplicates === 0) for (const event of normalized) cache.set(event.id, event);
    if (result!.accepted > 0) onAccepted();
    return { ok: true, accepted: result!.accepted, duplicates: result!.duplicates, eventIds: events.map((event) => event.id) };
  };
}

export type Ingest = ReturnType<typeof createIngest>;
