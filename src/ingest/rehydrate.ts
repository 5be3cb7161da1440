import type { RoutedEvent } from '../domain/event.ts';
import type { WebhookItem } from '../wassenger/payload.ts';
import { normalizeItem } from '../wassenger/normalize.ts';

/**
 * Rebuild the normalized event of a stored item from the raw body kept as received. Normalizing
 * is pure and cheap, so the store keeps the bytes Wassenger sent rather than a second copy.
 */
export function rehydrate(body: string, itemIndex: number, receivedAt: number): RoutedEvent {
  const json: unknown = JSON.parse(body);
  const item = (Array.isArray(json) ? json[itemIndex] : json) as WebhookItem | undefined;
  if (item === undefined || item === null || typeof item !== 'object') {
    throw new Error(`stored webhook has no item ${itemIndex}`);
  }
  return normalizeItem(item, new Date(receivedAt));
}
