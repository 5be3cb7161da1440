import type { ClaimedDelivery, DeliveryStatus, DeliveryView } from '../../domain/delivery.ts';
import type { StoredEvent } from '../store.ts';

/** Rows as the PostgreSQL store's statements return them (BIGINT comes as a string), and their mapping. */

export interface EventRow {
  seq: string;
  id: string;
  event: string;
  received_at: string;
  body: string;
  item_index: number;
  routed_at: string | null;
}
export interface ClaimRow {
  id: string;
  event_seq: string;
  event_id: string;
  connector: string;
  route: string;
  params: string | null;
  attempts: number;
  received_at: string;
  body: string;
  item_index: number;
}
export interface SummaryRow {
  seq: string;
  id: string;
  event: string;
  received_at: string;
  routed_at: string | null;
  chat_id: string | null;
  contact_phone: string | null;
}
export interface DeliveryRow {
  id: string;
  event_id: string;
  event: string;
  received_at: string;
  connector: string;
  route: string;
  status: DeliveryStatus;
  attempts: number;
  next_at: string;
  last_error: string | null;
  ref: string | null;
  updated_at: string;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    event: row.event,
    receivedAt: Number(row.received_at),
    body: row.body,
    itemIndex: row.item_index,
    routedAt: row.routed_at === null ? undefined : Number(row.routed_at),
  };
}

export function toClaimed(row: ClaimRow): ClaimedDelivery {
  return {
    id: String(row.id),
    eventSeq: Number(row.event_seq),
    eventId: row.event_id,
    connector: row.connector,
    route: row.route,
    params: row.params === null ? undefined : JSON.parse(row.params),
    attempt: row.attempts,
    receivedAt: Number(row.received_at),
    body: row.body,
    itemIndex: row.item_index,
  };
}

export function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: String(row.id),
    eventId: row.event_id,
    event: row.event,
    receivedAt: Number(row.received_at),
    connector: row.connector,
    route: row.route,
    status: row.status,
    attempts: row.attempts,
    nextAt: Number(row.next_at),
    lastError: row.last_error ?? undefined,
    ref: row.ref ?? undefined,
    updatedAt: Number(row.updated_at),
  };
}
