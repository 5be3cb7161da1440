import type { AttemptOutcome, ClaimedDelivery, DeliveryStatus, DeliveryView } from '../../domain/delivery.ts';
import type { StoredEvent } from '../store.ts';

/** Rows as the SQLite store's statements return them, and their mapping to the port's types. */

export interface EventRow {
  seq: number;
  id: string;
  event: string;
  received_at: number;
  body: string;
  item_index: number;
  routed_at: number | null;
}
export interface ClaimRow {
  id: number;
  event_seq: number;
  event_id: string;
  connector: string;
  route: string;
  params: string | null;
  attempts: number;
  received_at: number;
  body: string;
  item_index: number;
}
export interface SummaryRow {
  seq: number;
  id: string;
  event: string;
  received_at: number;
  routed_at: number | null;
  chat_id: string | null;
  contact_phone: string | null;
}
export interface SummaryDeliveryRow {
  id: number;
  event_seq: number;
  connector: string;
  status: DeliveryStatus;
  attempts: number;
}
export interface AttemptRow {
  delivery_id: number;
  attempt: number;
  started_at: number;
  duration_ms: number;
  outcome: AttemptOutcome;
  error: string | null;
  ref: string | null;
  exchange: string | null;
}
export interface DeliveryRow {
  id: number;
  event_id: string;
  event: string;
  received_at: number;
  connector: string;
  route: string;
  status: DeliveryStatus;
  attempts: number;
  next_at: number;
  last_error: string | null;
  ref: string | null;
  updated_at: number;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    id: row.id,
    event: row.event,
    receivedAt: row.received_at,
    body: row.body,
    itemIndex: row.item_index,
    routedAt: row.routed_at ?? undefined,
  };
}

export function toClaimed(row: ClaimRow): ClaimedDelivery {
  return {
    id: String(row.id),
    eventSeq: row.event_seq,
    eventId: row.event_id,
    connector: row.connector,
    route: row.route,
    params: row.params === null ? undefined : JSON.parse(row.params),
    attempt: row.attempts + 1,
    receivedAt: row.received_at,
    body: row.body,
    itemIndex: row.item_index,
  };
}

export function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: String(row.id),
    eventId: row.event_id,
    event: row.event,
    receivedAt: row.received_at,
    connector: row.connector,
    route: row.route,
    status: row.status,
    attempts: row.attempts,
    nextAt: row.next_at,
    lastError: row.last_error ?? undefined,
    ref: row.ref ?? undefined,
    updatedAt: row.updated_at,
  };
}
