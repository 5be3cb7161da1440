import type { RoutedEvent } from '../domain/event.ts';
import type { WebhookItem } from './payload.ts';
import { normalizeItem } from './normalize.ts';

/** What rehydrate needs of a stored event. */
export interface StoredItem {
  /** The event's id as stored (its dedupe key), kept rather than hashed again. */
  readonly id: string;
  readonly body: string;
  readonly itemIndex: number;
  readonly receivedAt: number;
}

/**
 * Rebuild the normalized event of a stored item from the raw body kept as received. Normalizing
 * is pure and cheap, so the store keeps the bytes Wassenger sent rather than a second copy.
 */
export function rehydrate(stored: StoredItem): RoutedEvent {
  const json: unknown = JSON.parse(stored.body);
  const item = (Array.isArray(json) ? json[stored.itemIndex] : json) as WebhookItem | undefined;
  if (item === undefined || item === null || typeof item !== 'object') {
    throw new Error(`stored webhook has no item ${stored.itemIndex}`);
  }
  return normalizeItem(item, new Date(stored.receivedAt), stored.id);
}
