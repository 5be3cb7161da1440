import type { z } from 'zod';
import { HttpProblem } from '../../http/problem.ts';
import { rehydrate } from '../../wassenger/rehydrate.ts';
import type { EventSummary } from '../../store/store.ts';
import type { AdminContext, HandlerInput } from '../api.ts';
import { checkEventType, type eventsQuery, toSearch } from '../inputs.ts';
import { attemptJson, deliveryJson, iso, isoOrNull, pausedConnectors } from '../views.ts';

type EventsQuery = z.output<typeof eventsQuery>;

/** GET /events: a page of events, newest first; `text` keeps those whose message contains it. */
export async function listEvents({ query, admin }: HandlerInput<EventsQuery, unknown>): Promise<object> {
  checkEventType(query.type);
  const page = await admin.store.searchEvents(toSearch(query, query.limit, query.before));
  const events = query.text ? await withMessageText(admin, page.events, query.text) : page.events;
  return {
    events: events.map((event) => ({
      id: event.id,
      seq: event.seq,
      event: event.event,
      receivedAt: iso(event.receivedAt),
      routedAt: isoOrNull(event.routedAt),
      chatId: event.chatId ?? null,
      contactPhone: event.contactPhone ?? null,
      deliveries: event.deliveries,
    })),
    next: page.next === undefined ? null : String(page.next),
  };
}

/**
 * The store found `text` somewhere in each payload; keep the events whose message body or caption
 * holds it (case aside), so a search for "new" does not return every `message:in:new`.
 */
export async function withMessageText(
  admin: AdminContext,
  events: readonly EventSummary[],
  text: string,
): Promise<EventSummary[]> {
  const needle = text.toLowerCase();
  const kept = await Promise.all(
    events.map(async (event) => {
      const stored = await admin.store.getEvent(event.id);
      if (!stored) return false;
      try {
        const message = (rehydrate(stored) as { message?: { body?: unknown; media?: { caption?: unknown } } }).message;
        return [message?.body, message?.media?.caption].some(
          (value) => typeof value === 'string' && value.toLowerCase().includes(needle),
        );
      } catch {
        return false;
      }
    }),
  );
  return events.filter((_, i) => kept[i]);
}

/** GET /events/:id: the event, its normalized form, the raw payload, each delivery with its attempts. */
export async function getEvent({ params, admin }: HandlerInput<unknown, unknown>): Promise<object> {
  const stored = await admin.store.getEvent(params.id!);
  if (!stored) throw new HttpProblem(404, 'event_not_found', `no stored event with id "${params.id}"`);
  let normalized: unknown;
  let normalizeError: string | undefined;
  try {
    normalized = rehydrate(stored);
  } catch (error) {
    normalizeError = error instanceof Error ? error.message : String(error);
  }
  const deliveries = await admin.store.listDeliveries({ eventId: stored.id, limit: 1_000 });
  const attempts = await admin.store.attemptsOf(deliveries.map((delivery) => delivery.id));
  const paused = pausedConnectors(admin.dispatcher.connectors());
  return {
    event: {
      id: stored.id,
      seq: stored.seq,
      event: stored.event,
      receivedAt: iso(stored.receivedAt),
      routedAt: isoOrNull(stored.routedAt),
      itemIndex: stored.itemIndex,
    },
    normalized: normalized ?? null,
    ...(normalizeError ? { normalizeError } : {}),
    raw: stored.body,
    deliveries: deliveries
      .sort((a, b) => a.connector.localeCompare(b.connector))
      .map((delivery) => {
        const own = attempts.filter((attempt) => attempt.deliveryId === delivery.id);
        return {
          ...deliveryJson(delivery, paused),
          attemptLog: own.map((attempt, i) => attemptJson(attempt, delivery, i === own.length - 1)),
        };
      }),
  };
}
