/**
 * Idempotency keys of webhook items. The store dedupes on them, so a redelivered webhook must map to
 * the key it had the first time, and two distinct events must never share one (a shared key is a
 * silently dropped event).
 */
import { createHash } from 'node:crypto';
import { itemDevice, type WebhookItem } from './payload.ts';

/**
 * Events whose `data.id` names the event itself: each new message (or story, or failed send) has its
 * own id and is announced once. Acks add their status, since each status of one message is an event.
 * Every other event (message:update, message:reaction, chat:update, contact:update, group:update,
 * unknown ones) reports a change to an entity whose id repeats across changes: a second poll vote or
 * edit carries the same `data.id`, so those are keyed on their content instead.
 */
const KEYED_BY_ID: ReadonlySet<string> = new Set([
  'message:in:new',
  'message:out:new',
  'message:out:ack',
  'message:out:failed',
  'message:out:sent',
  'channel:in',
  'status:update',
]);

/**
 * Stable idempotency key of one webhook item: `evt_` + 32 hex chars of a sha256.
 *
 * - new-entity events: event + device id + `data.id` (array items: `entityId` when `data.id` is
 *   missing), plus the ack status for `message:out:ack` (top-level `ack`, else `data.ack`);
 * - update events, and items with no id at all: event + device id + id (if any) + `JSON.stringify(data)`.
 *
 * Never the envelope `id` alone: it equals `data.id`, shared by all acks of a message.
 */
export function eventKey(item: WebhookItem): string {
  const data = item.data;
  const device = itemDevice(item)?.id ?? '';
  const dataId = data['id'];
  const id = typeof dataId === 'string' && dataId !== '' ? dataId : item.entityId || item.id || undefined;
  if (id !== undefined && KEYED_BY_ID.has(item.event)) {
    const dataAck = data['ack'];
    const ack = item.event === 'message:out:ack' ? (item.ack ?? (typeof dataAck === 'string' ? dataAck : null)) : null;
    return digest(['id', item.event, device, id, ack]);
  }
  // JSON.parse keeps key order and JSON.stringify is deterministic, so the same bytes give the same key.
  return digest(['content', item.event, device, id ?? null, JSON.stringify(data)]);
}

// JSON.stringify of an array of strings and nulls is injective: no choice of parts can make two
// different lists join into the same text, which a plain separator could not promise.
function digest(parts: readonly (string | null)[]): string {
  return `evt_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}
