/**
 * Wassenger webhook bodies: the zod schemas of both envelopes and `parseWebhookBody`, which checks
 * a parsed JSON body and splits it into items. Checking only: the items handed back are the
 * caller's own objects (no copy), so `data` stays byte-for-byte what Wassenger sent.
 */
import { z } from 'zod';

/** Most items Wassenger puts in one array-envelope POST (`message:out:failed`, `message:out:sent`). */
export const MAX_ARRAY_ITEMS = 25;

/**
 * Deepest nesting of objects and arrays accepted in a body. Wassenger's payloads are about six
 * levels deep; a body nested thousands of levels deep parses (JSON.parse is iterative) but every
 * recursive reader after it (JSON.stringify of the event for a connector, templates) overflows the
 * stack, so such a body would be acknowledged and then never deliverable.
 */
export const MAX_DEPTH = 64;

/** Most issues reported for one body; a hostile 25-item array must not produce a huge 400 answer. */
const MAX_ISSUES = 20;

// Optional text: Wassenger writes absent values as null (owner.agent, failedAt, createdBy), so null
// is accepted everywhere a field is optional and read as "absent". Other types are refused.
const text = z.string().nullish();

/** A plain JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// `data` is checked with a predicate rather than z.object({}) so zod does not copy every key of it.
const DataObjectSchema = z.custom<Record<string, unknown>>(isPlainObject, { error: 'an object' });

/** One `{key, value}` entry of a contact's metadata. */
export const MetadataEntrySchema = z
  .object({
    key: z.string(),
    value: z
      .union([z.string(), z.number(), z.boolean(), z.null()], { error: 'a string, number, boolean or null' })
      .optional(),
  })
  .loose();

/** `chat.contact` (and the contact of `contact:update`). */
export const ContactSchema = z
  .object({
    wid: text,
    phone: text,
    name: text,
    displayName: text,
    formattedName: text,
    shortName: text,
    metadata: z.array(MetadataEntrySchema).nullish(),
  })
  .loose();

/** `data.chat`: the full chat object Wassenger embeds in message events. */
export const ChatSchema = z
  .object({
    id: z.string(),
    type: text,
    name: text,
    labels: z.array(z.string()).nullish(),
    contact: ContactSchema.nullish(),
  })
  .loose();

/** `data.media` of image, video, audio, document and sticker messages. */
export const MediaSchema = z
  .object({
    id: text,
    type: text,
    mime: text,
    size: z.number().nullish(),
    filename: text,
    caption: text,
    expiresAt: text,
    links: z.object({ download: text }).loose().nullish(),
  })
  .loose();

/** `data.quoted`: the message being replied to. */
export const QuotedSchema = z.object({ id: text, type: text, body: text }).loose();

/** The envelope `device` (and `data.device` of the outbound queue entity). */
export const DeviceSchema = z.object({ id: z.string(), phone: text, alias: text }).loose();

/** `data` of message events: the WhatsApp message object (message:*, channel:in, status:update). */
export const MessageDataSchema = z
  .object({
    id: text,
    type: text,
    body: text,
    flow: text,
    fromMe: z.boolean().nullish(),
    ack: text,
    from: text,
    to: text,
    fromNumber: text,
    toNumber: text,
    author: text,
    reference: text,
    chat: ChatSchema.nullish(),
    media: MediaSchema.nullish(),
    quoted: QuotedSchema.nullish(),
    meta: z.object({ notifyName: text }).loose().nullish(),
  })
  .loose();

/** `data` of `message:out:failed` / `message:out:sent`: Wassenger's outbound queue entity. */
export const QueueDataSchema = z
  .object({
    id: text,
    type: text,
    phone: text,
    group: text,
    channel: text,
    message: text,
    status: text,
    deliveryStatus: text,
    reference: text,
    device: DeviceSchema.nullish(),
  })
  .loose();

/** `data` of `chat:update` / `group:update`: a chat object itself, or an update carrying one in `chat`. */
export const ChatDataSchema = z
  .object({
    id: text,
    type: text,
    name: text,
    labels: z.array(z.string()).nullish(),
    chat: ChatSchema.nullish(),
    contact: ContactSchema.nullish(),
  })
  .loose();

/** `data` of `contact:update`: a contact itself, or an update carrying one in `contact` / `chat.contact`. */
export const ContactDataSchema = ContactSchema.extend({
  id: text,
  chat: ChatSchema.nullish(),
  contact: ContactSchema.nullish(),
}).loose();

// What the schemas above accept; `parseWebhookBody` guarantees them for the `data` of the matching kind.
export type MetadataEntry = z.output<typeof MetadataEntrySchema>;
export type ContactPayload = z.output<typeof ContactSchema>;
export type ChatPayload = z.output<typeof ChatSchema>;
export type MediaPayload = z.output<typeof MediaSchema>;
export type DevicePayload = z.output<typeof DeviceSchema>;
export type MessageData = z.output<typeof MessageDataSchema>;
export type QueueData = z.output<typeof QueueDataSchema>;
export type ChatData = z.output<typeof ChatDataSchema>;
export type ContactData = z.output<typeof ContactDataSchema>;

/** Which shape `data` has, by event name; it decides both the check and the normalization. */
export type DataKind = 'message' | 'queue' | 'chat' | 'contact' | 'other';

// A Map, not an object literal: an event named "constructor" or "__proto__" must not find a prototype member.
const KIND_BY_EVENT: ReadonlyMap<string, DataKind> = new Map<string, DataKind>([
  ['message:in:new', 'message'],
  ['message:out:new', 'message'],
  ['message:out:ack', 'message'],
  ['message:update', 'message'],
  ['message:reaction', 'message'],
  ['channel:in', 'message'],
  ['status:update', 'message'],
  ['message:out:failed', 'queue'],
  ['message:out:sent', 'queue'],
  ['chat:update', 'chat'],
  ['group:update', 'chat'],
  ['contact:update', 'contact'],
]);

/** The event names Wassenger documents (the router stores others too). */
export const KNOWN_EVENT_TYPES: readonly string[] = [...KIND_BY_EVENT.keys(), 'number:session'];

/** The shape of `data` for an event; unknown events (and `number:session`, whose shape is unknown) are `other`. */
export function dataKindOf(event: string): DataKind {
  return KIND_BY_EVENT.get(event) ?? 'other';
}

/** The schema `data` is checked against for an event; `other` events only need `data` to be an object. */
export function dataSchemaFor(event: string): z.ZodType | undefined {
  switch (dataKindOf(event)) {
    case 'message':
      return MessageDataSchema;
    case 'queue':
      return QueueDataSchema;
    case 'chat':
      return ChatDataSchema;
    case 'contact':
      return ContactDataSchema;
    case 'other':
      return undefined;
  }
}

// Fields of an item that keys and normalization read, checked on both envelopes so one item type
// fits both. `data` is refined per event by `dataSchemaFor` in a second step.
const itemFields = {
  event: z.string().min(1),
  data: DataObjectSchema,
  id: text,
  ack: text,
  device: DeviceSchema.nullish(),
  entityId: text,
};

/** What both envelopes have in common, as far as the router reads them. */
export const WebhookItemSchema = z.object(itemFields).loose();

/** One webhook item from either envelope, checked by `parseWebhookBody`. Unknown fields are kept. */
export type WebhookItem = z.output<typeof WebhookItemSchema>;

/** Object envelope of the Platform events: `{id, object, event, created, ack?, device, data}`. */
export const ObjectEnvelopeSchema = WebhookItemSchema.extend({
  object: z.unknown().optional(),
  created: z.unknown().optional(),
}).loose();

/** One item of the array envelope (`message:out:failed`, `message:out:sent`): `{event, date, entity, entityId, entityUrl, user, data}`. */
export const ArrayItemSchema = WebhookItemSchema.extend({
  date: z.unknown().optional(),
  entity: z.unknown().optional(),
  entityUrl: z.unknown().optional(),
  user: z.unknown().optional(),
}).loose();

/** One problem found in a body: where (`data.chat.id`, `[3].data`; `` for the body itself) and what. */
export interface PayloadIssue {
  readonly path: string;
  readonly message: string;
}

/** Result of `parseWebhookBody`. */
export type ParseWebhookResult =
  | { readonly ok: true; readonly items: WebhookItem[]; readonly envelope: 'object' | 'array' }
  | { readonly ok: false; readonly error: string; readonly issues: PayloadIssue[] };

/**
 * Check a parsed JSON body and split it into webhook items. An object is one item (object
 * envelope); an array holds 1 to `MAX_ARRAY_ITEMS` items (array envelope). Unknown event names and
 * unknown fields are accepted; known fields of the wrong type are refused with their path. The
 * items are the body's own objects, not copies.
 */
export function parseWebhookBody(body: unknown): ParseWebhookResult {
  const issues = new IssueList();
  if (nestedDeeperThan(body, MAX_DEPTH)) {
    issues.add('', `objects and arrays are nested more than ${MAX_DEPTH} levels deep; a Wassenger webhook is not`);
    return issues.failure();
  }
  if (Array.isArray(body)) {
    if (body.length === 0) {
      issues.add('', `expected 1 to ${MAX_ARRAY_ITEMS} webhook items, received an empty array`);
    } else if (body.length > MAX_ARRAY_ITEMS) {
      issues.add('', `expected at most ${MAX_ARRAY_ITEMS} webhook items in an array, received ${body.length}`);
    } else {
      for (let i = 0; i < body.length; i++) checkItem(ArrayItemSchema, body[i], `[${i}]`, issues);
    }
    return issues.count === 0 ? { ok: true, items: body as WebhookItem[], envelope: 'array' } : issues.failure();
  }
  if (isPlainObject(body)) {
    checkItem(ObjectEnvelopeSchema, body, '', issues);
    return issues.count === 0 ? { ok: true, items: [body as WebhookItem], envelope: 'object' } : issues.failure();
  }
  issues.add(
    '',
    `a Wassenger webhook is a JSON object, or an array of up to ${MAX_ARRAY_ITEMS} objects; received ${describe(body)}`,
  );
  return issues.failure();
}

function checkItem(schema: z.ZodType, value: unknown, prefix: string, issues: IssueList): void {
  const envelope = schema.safeParse(value);
  if (!envelope.success) {
    issues.addZod(envelope.error.issues, value, prefix);
    return;
  }
  const item = value as WebhookItem;
  const dataSchema = dataSchemaFor(item.event);
  if (dataSchema === undefined) return;
  const data = dataSchema.safeParse(item.data);
  if (!data.success) issues.addZod(data.error.issues, item.data, joinPath(prefix, 'data'));
}

class IssueList {
  readonly list: PayloadIssue[] = [];
  count = 0;

  add(path: string, message: string): void {
    this.count++;
    if (this.list.length < MAX_ISSUES) this.list.push({ path, message });
  }

  addZod(zodIssues: readonly z.core.$ZodIssue[], root: unknown, prefix: string): void {
    for (const issue of zodIssues) {
      let path = prefix;
      for (const segment of issue.path) path = joinPath(path, segment);
      this.add(path, messageFor(issue, valueAt(root, issue.path)));
    }
  }

  failure(): { ok: false; error: string; issues: PayloadIssue[] } {
    const first = this.list[0]!;
    const where = first.path === '' ? '' : `${first.path}: `;
    const more = this.count > 1 ? ` (and ${this.count - 1} more problem${this.count > 2 ? 's' : ''})` : '';
    return { ok: false, error: `invalid Wassenger webhook: ${where}${first.message}${more}`, issues: this.list };
  }
}

function messageFor(issue: z.core.$ZodIssue, value: unknown): string {
  const received = describe(value);
  const last = issue.path[issue.path.length - 1];
  if (last === 'event' && issue.path.length === 1) {
    return `expected the event name, a non-empty string such as "message:in:new"; received ${received === 'a string' ? 'an empty string' : received}`;
  }
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${withArticle(issue.expected)}, received ${received}`;
    case 'custom':
    case 'invalid_union':
      // Our custom and union checks word their error as what they expect.
      return `expected ${issue.message}, received ${received}`;
    default:
      return issue.message;
  }
}

function withArticle(typeName: string): string {
  return /^[aeiou]/.test(typeName) ? `an ${typeName}` : `a ${typeName}`;
}

/** The JSON type of a value, for "received …"; never the value itself (it may be a phone number). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return withArticle(typeof value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    // Own properties only: a path segment named "constructor" must not reach Object.prototype.
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function joinPath(prefix: string, segment: PropertyKey): string {
  if (typeof segment === 'number') return `${prefix}[${segment}]`;
  const name = String(segment);
  if (/^[A-Za-z_$][\w$]*$/.test(name)) return prefix === '' ? name : `${prefix}.${name}`;
  return `${prefix}[${JSON.stringify(name)}]`;
}

/** The device of an item: the envelope's `device`, or `data.device` (array items carry it there). */
export function itemDevice(item: WebhookItem): DevicePayload | undefined {
  if (item.device) return item.device;
  const nested = item.data['device'];
  // `data.device` is only schema-checked for queue events, so read it defensively here.
  if (!isPlainObject(nested) || typeof nested['id'] !== 'string') return undefined;
  const { id, phone, alias } = nested;
  return {
    id,
    phone: typeof phone === 'string' ? phone : undefined,
    alias: typeof alias === 'string' ? alias : undefined,
  };
}

/** Whether objects/arrays nest deeper than `max` levels; iterative, so depth cannot overflow the stack. */
function nestedDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
