import { z } from 'zod';
import { HttpProblem } from '../../http/problem.ts';
import type { DeliveryView, EventSummary } from '../../store/store.ts';
import type { AdminContext, HandlerInput } from '../api.ts';
import { withMessageText } from './events.ts';
import { checkConnectors, checkEventType, connectorList, eventFilter, toSearch } from '../inputs.ts';

/** Body of POST /events/:id/replay. Empty: the deliveries that failed or are dead. */
export const replayEventBody = z.strictObject({
  /** Replay to these connectors, delivered ones included (the caller chose them). */
  connectors: connectorList.optional(),
});

/** Body of POST /events/replay: the events a search finds, to the chosen connectors. */
export const replaySearchBody = z.strictObject({
  filter: eventFilter.default({}),
  connectors: connectorList,
  /** Send again where the delivery already succeeded (default: only failed or dead ones). */
  includeDelivered: z.boolean().default(false),
  /** Count what it would do, change nothing (the console's confirmation). */
  dryRun: z.boolean().default(false),
});

/** Most events one bulk replay may take; a wider search is refused and should be narrowed. */
const MAX_REPLAY_EVENTS = 2_000;

/**
 * Not delivered and not skipped: dead, or pending after an attempt failed. A search's summaries
 * carry no error, only the attempts made, which count one in flight too (redeliver leaves it be).
 */
const failedOrDead = (d: { status: string; attempts: number; lastError?: string | undefined }) =>
  d.status === 'dead' || (d.status === 'pending' && ('lastError' in d ? d.lastError !== undefined : d.attempts > 0));

/**
 * POST /events/:id/replay. Without a body: the deliveries that failed or are dead, and an event
 * with no delivery at all runs through the current routes again. Connectors that already delivered
 * are sent to again only when named.
 */
export async function replayEvent({
  params,
  body,
  admin,
}: HandlerInput<unknown, z.output<typeof replayEventBody>>): Promise<object> {
  const id = params.id!;
  const stored = await admin.store.getEvent(id);
  if (!stored) throw new HttpProblem(404, 'event_not_found', `no stored event with id "${id}"`);
  const deliveries = await admin.store.listDeliveries({ eventId: id, limit: 1_000 });
  if (deliveries.length === 0 && !body.connectors) {
    await admin.store.replayEvent(id);
    admin.wakeRouting();
    admin.log.info({ eventId: id, action: 'replay_event', rerouted: true }, 'Admin: event routed again.');
    return { replayed: 0, connectors: [], rerouted: true };
  }
  const chosen = body.connectors ? byName(admin, deliveries, body.connectors, id) : deliveries.filter(failedOrDead);
  if (chosen.length === 0) {
    const done = deliveries.map((d) => `${d.connector} (${d.status})`).join(', ');
    throw new HttpProblem(
      409,
      'nothing_to_replay',
      `no delivery of this event failed: ${done}; name the connectors to send it to again ({"connectors": [...]})`,
    );
  }
  const replayed = await admin.store.redeliver(
    chosen.map((d) => d.id),
    Date.now(),
  );
  const connectors = chosen.map((d) => d.connector);
  admin.dispatcher.wake(connectors);
  admin.log.info({ eventId: id, action: 'replay_event', connectors, replayed }, 'Admin: event replayed.');
  return { replayed, connectors, rerouted: false };
}

function byName(admin: AdminContext, deliveries: DeliveryView[], names: readonly string[], id: string): DeliveryView[] {
  checkConnectors(
    admin,
    names,
    deliveries.map((d) => d.connector),
  );
  return names.map((name) => {
    const found = deliveries.find((d) => d.connector === name);
    if (!found)
      throw new HttpProblem(
        400,
        'no_such_delivery',
        `event "${id}" was not routed to "${name}"; its deliveries: ${deliveries.map((d) => d.connector).join(', ') || 'none'}`,
      );
    return found;
  });
}

/** POST /events/replay: the deliveries to the chosen connectors of every event the search finds. */
export async function replaySearch({
  body,
  admin,
}: HandlerInput<unknown, z.output<typeof replaySearchBody>>): Promise<object> {
  checkEventType(body.filter.type);
  checkConnectors(admin, body.connectors, Object.keys((await admin.store.stats()).byConnector));
  const events = await searchAll(admin, body.filter);
  const wanted = new Set(body.connectors);
  const ids: string[] = [];
  let alreadyDelivered = 0;
  let withoutDelivery = 0;
  for (const event of events) {
    const chosen = event.deliveries.filter(
      (d) => wanted.has(d.connector) && (failedOrDead(d) || (body.includeDelivered && d.status !== 'pending')),
    );
    if (!event.deliveries.some((d) => wanted.has(d.connector))) withoutDelivery++;
    alreadyDelivered += chosen.filter((d) => d.status === 'delivered' || d.status === 'skipped').length;
    ids.push(...chosen.map((d) => d.id));
  }
  const plan = { events: events.length, deliveries: ids.length, alreadyDelivered, withoutDelivery };
  if (body.dryRun) return { dryRun: true, ...plan };
  const replayed = ids.length === 0 ? 0 : await admin.store.redeliver(ids, Date.now());
  admin.dispatcher.wake(body.connectors);
  admin.log.info(
    { action: 'replay_search', connectors: body.connectors, ...plan, replayed },
    'Admin: events replayed.',
  );
  return { dryRun: false, ...plan, replayed };
}

async function searchAll(admin: AdminContext, filter: z.output<typeof eventFilter>): Promise<EventSummary[]> {
  const out: EventSummary[] = [];
  let before: string | undefined;
  do {
    const page = await admin.store.searchEvents(toSearch(filter, 200, before));
    out.push(...(filter.text === undefined ? page.events : await withMessageText(admin, page.events, filter.text)));
    before = page.next === undefined ? undefined : String(page.next);
    if (out.length > MAX_REPLAY_EVENTS)
      throw new HttpProblem(
        400,
        'too_many_events',
        `more than ${MAX_REPLAY_EVENTS} events match; narrow the search (time range, type, status)`,
      );
  } while (before !== undefined);
  return out;
}
