import { z } from 'zod';
import { HttpProblem } from '../http/problem.ts';
import type { EventSearch } from '../store/store.ts';
import { didYouMean } from '../util/suggest.ts';
import type { AdminContext } from './api.ts';

export const MAX_PAGE = 200;
const STATUSES = ['pending', 'delivered', 'skipped', 'dead', 'unrouted', 'unmatched'] as const;

export const pageSize = z
  .string()
  .regex(/^\d+$/, `limit must be a whole number from 1 to ${MAX_PAGE}`)
  .transform(Number)
  .refine((n) => n >= 1 && n <= MAX_PAGE, `limit must be a whole number from 1 to ${MAX_PAGE}`)
  .optional()
  .transform((n) => n ?? 50);

/** An ISO 8601 time, or epoch milliseconds. */
const time = z
  .string()
  .transform((text) => (/^\d+$/.test(text) ? Number(text) : Date.parse(text)))
  .refine(Number.isFinite, 'must be an ISO time (2026-01-31T10:00:00Z) or epoch milliseconds')
  .optional();

const digits = (what: string) => z.string().regex(/^\d{1,18}$/, what);

/** The filters of an event search, as query parameters (GET /events) or a JSON object (bulk replay). */
export const eventFilter = z.strictObject({
  q: z.string().optional(),
  text: z.string().optional(),
  type: z.string().optional(),
  chat: z.string().optional(),
  phone: z.string().optional(),
  status: z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` }).optional(),
  connector: z.string().optional(),
  since: time,
  until: time,
});

export const eventsQuery = eventFilter.extend({
  before: digits('`before` must be the `next` cursor of a previous page').optional(),
  limit: pageSize,
});

export const idList = z
  .array(digits('must be a delivery id (a string of digits)'))
  .min(1, 'give 1 to 1000 delivery ids')
  .max(1_000, 'give 1 to 1000 delivery ids');

export const connectorList = z.array(z.string().min(1)).min(1, 'choose at least one connector').max(100);

/** The store's search from the API's filter names; `text` narrows by payload, the caller checks the message. */
export function toSearch(filter: z.output<typeof eventFilter>, limit: number, before?: string): EventSearch {
  const fields: Record<string, unknown> = {
    event: filter.type,
    chatId: filter.chat,
    contactPhone: filter.phone,
    text: filter.q,
    payloadText: filter.text,
    since: filter.since,
    until: filter.until,
    status: filter.status,
    connector: filter.connector,
    before: before === undefined ? undefined : Number(before),
    limit,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as unknown as EventSearch;
}

/** 400 with a did-you-mean for a connector the config does not have (removed ones still have deliveries). */
export function checkConnectors(admin: AdminContext, names: readonly string[], known: Iterable<string> = []): void {
  const all = new Set([...admin.config().connectors.keys(), ...known]);
  for (const name of names) {
    if (!all.has(name))
      throw new HttpProblem(
        400,
        'unknown_connector',
        `no connector named "${name}"${didYouMean(name, all)}; connectors: ${[...all].join(', ') || 'none'}`,
      );
  }
}

/** The event types Wassenger sends that the router knows (normalize.ts); others are stored too. */
const EVENT_TYPES = [
  'message:in:new',
  'message:out:new',
  'message:out:ack',
  'message:out:failed',
  'message:out:sent',
  'message:update',
  'message:reaction',
  'channel:in',
  'status:update',
  'chat:update',
  'group:update',
  'contact:update',
  'number:session',
];

/**
 * A typo of a known event type (`message:in:nwe`) is a 400 with a did-you-mean. A name far from
 * every known one passes: the router stores events of types it does not know too.
 */
export function checkEventType(type: string | undefined, known: readonly string[] = EVENT_TYPES): void {
  if (type === undefined || known.includes(type) || didYouMean(type, known) === '') return;
  throw new HttpProblem(
    400,
    'unknown_event_type',
    `unknown event type "${type}"${didYouMean(type, known)}; event types: ${known.join(', ')}`,
  );
}
