/**
 * One checked webhook item → one RoutedEvent (the normalized event routes match and templates read).
 * Pure: no I/O, no clock, and `data` is handed on as the same, unmodified object.
 *
 * Decisions worth knowing (see also DESIGN.md "The normalized event"):
 * - `message.body`: `data.body` when it is a non-empty string, otherwise the media caption, so a
 *   route on `message.body` sees captions whether or not Wassenger copied them into `body` (it
 *   does in real group payloads, not always elsewhere). A null or absent body with no caption
 *   (polls, lists, locations) stays undefined: no display text is invented.
 * - `message.media.download` is the path of `media.links.download` with any query string,
 *   fragment and user:password removed, because `?token=` is how a Wassenger API key ends up in a URL.
 * - A chat id ending in `@broadcast` (statuses, broadcast lists) is not a conversation, so it is never
 *   `chat`; the chat is then the other side (`from`/`to`), e.g. the contact who posted a status.
 * - `data.chat` missing: the chat is the other side too (`from` inbound, which is the group in groups;
 *   `to` outbound), and the contact is built from `from`/`author`, `fromNumber` and `meta.notifyName`.
 */
import type {
  ChatType,
  EventChat,
  EventContact,
  EventDevice,
  EventMedia,
  EventMessage,
  EventQuoted,
  RoutedEvent,
} from '../domain/event.ts';
import { eventKey } from './keys.ts';
import {
  MessageDataSchema,
  dataKindOf,
  itemDevice,
  type ChatData,
  type ChatPayload,
  type ContactData,
  type ContactPayload,
  type MediaPayload,
  type MessageData,
  type MetadataEntry,
  type QueueData,
  type WebhookItem,
} from './payload.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Parts = Pick<Mutable<RoutedEvent>, 'chat' | 'contact' | 'message'>;

/**
 * Normalize one item returned by `parseWebhookBody`. Never throws for an item that passed it:
 * unknown events and missing optional parts give an event with fewer fields, not an error.
 * `id` is the event's key when it is already known (a stored event); otherwise it is computed.
 */
export function normalizeItem(item: WebhookItem, receivedAt: Date, id?: string): RoutedEvent {
  if (Number.isNaN(receivedAt.getTime())) throw new RangeError('normalizeItem: receivedAt is an invalid Date');
  const parts = partsOf(item);
  const event: Mutable<RoutedEvent> = {
    id: id ?? eventKey(item),
    event: item.event,
    receivedAt: receivedAt.toISOString(),
    device: deviceOf(item),
    data: item.data,
  };
  if (parts.chat !== undefined) event.chat = parts.chat;
  if (parts.contact !== undefined) event.contact = parts.contact;
  if (parts.message !== undefined) event.message = parts.message;
  return event;
}

function partsOf(item: WebhookItem): Parts {
  // The casts below are sound because parseWebhookBody checked `data` against the schema of the
  // same kind (dataSchemaFor); `other` events are checked here before being read.
  switch (dataKindOf(item.event)) {
    case 'message':
      return fromMessage(item, item.data as MessageData, false);
    case 'queue':
      return fromQueueEntity(item, item.data as QueueData);
    case 'chat':
      return fromChatUpdate(item.data as ChatData);
    case 'contact':
      return fromContactUpdate(item.data as ContactData);
    case 'other': {
      // Best effort: an unknown event that carries a message object is read like one.
      const checked = MessageDataSchema.safeParse(item.data);
      return checked.success ? fromMessage(item, item.data as MessageData, true) : {};
    }
  }
}

/** Device from the envelope (array items: `data.device`); id is '' when Wassenger sent none. */
function deviceOf(item: WebhookItem): EventDevice {
  const device = itemDevice(item);
  if (device === undefined) return { id: '' };
  return compact({ id: device.id, phone: device.phone ?? undefined, alias: device.alias ?? undefined });
}

// message:in:new, message:out:*, message:update, message:reaction, channel:in, status:update.
function fromMessage(item: WebhookItem, data: MessageData, unknownEvent: boolean): Parts {
  const fromMe = data.flow === 'outbound' || data.fromMe === true || item.event.startsWith('message:out');
  // No chat object: the conversation is the other side, which Wassenger puts in `from` for inbound
  // messages (the group id in groups) and in `to` for outbound ones.
  const chat = chatOf(data.chat) ?? chatFromId(fromMe ? data.to : data.from);
  const contact = contactOf(data.chat?.contact) ?? senderContact(data, chat, fromMe);
  const hasId = typeof data.id === 'string' && data.id !== '';
  // For an unknown event, an id without a type is more likely an entity id than a message.
  const isMessage = hasId && (!unknownEvent || typeof data.type === 'string');
  return { chat, contact, message: isMessage ? messageOf(item, data, fromMe) : undefined };
}

function messageOf(item: WebhookItem, data: MessageData, fromMe: boolean): EventMessage {
  const media = mediaOf(data.media);
  return compact({
    id: data.id!,
    type: data.type || 'unknown',
    body: bodyOf(data.body, media?.caption),
    fromMe,
    // The envelope ack is the status this message:out:ack event reports; data.ack can only echo it.
    ack: item.ack || data.ack || undefined,
    from: data.from ?? undefined,
    to: data.to ?? undefined,
    author: data.author ?? undefined,
    quoted: quotedOf(data.quoted),
    media,
    reference: data.reference ?? undefined,
  });
}

function bodyOf(body: string | null | undefined, caption: string | undefined): string | undefined {
  if (typeof body === 'string' && body !== '') return body;
  return caption ?? (body === '' ? '' : undefined);
}

function quotedOf(quoted: MessageData['quoted']): EventQuoted | undefined {
  if (!quoted) return undefined;
  const result = compact({
    id: quoted.id ?? undefined,
    type: quoted.type ?? undefined,
    body: quoted.body ?? undefined,
  });
  return Object.keys(result).length > 0 ? result : undefined;
}

function mediaOf(media: MediaPayload | null | undefined): EventMedia | undefined {
  if (!media) return undefined;
  const download = media.links?.download;
  return compact({
    id: media.id ?? undefined,
    type: media.type ?? undefined,
    mime: media.mime ?? undefined,
    size: media.size ?? undefined,
    filename: media.filename ?? undefined,
    caption: media.caption ?? undefined,
    expiresAt: media.expiresAt ?? undefined,
    download: download ? withoutCredentials(download) : undefined,
  });
}

/**
 * A link without anything that can carry a credential: query string, fragment, user:password.
 * Wassenger's download links are relative API paths; a token in them would leak to every connector.
 */
export function withoutCredentials(link: string): string {
  const end = link.search(/[?#]/);
  const path = end === -1 ? link : link.slice(0, end);
  return path.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/]*@/, '$1');
}

/**
 * Who the event is about when Wassenger embedded no `chat.contact` (e.g. groups): the member who
 * wrote an inbound group message, the other person of a 1:1 chat. No metadata is known for them.
 */
function senderContact(data: MessageData, chat: EventChat | undefined, fromMe: boolean): EventContact | undefined {
  if (chat === undefined || chat.type === 'channel') return undefined;
  let wid: string | null | undefined;
  let phone: string | null | undefined;
  let name: string | undefined;
  if (chat.type === 'group') {
    if (fromMe) return undefined;
    wid = data.author;
    phone = data.fromNumber;
    name = data.meta?.notifyName || undefined;
  } else {
    wid = fromMe ? data.to : data.from;
    phone = fromMe ? data.toNumber : data.fromNumber;
    name = fromMe ? undefined : data.meta?.notifyName || undefined;
  }
  if (!wid && !phone) return undefined;
  return compact({ wid: wid || undefined, phone: phone || undefined, name, metadata: {} });
}

// message:out:failed / message:out:sent: the outbound queue entity `{id, phone|group, message, status, device}`.
function fromQueueEntity(item: WebhookItem, data: QueueData): Parts {
  const target = data.group || data.channel || (data.phone ? phoneToWid(data.phone) : undefined);
  const chat = chatFromId(target);
  const contact = data.phone ? compact({ wid: phoneToWid(data.phone), phone: data.phone, metadata: {} }) : undefined;
  const id = data.id || item.entityId || undefined;
  const message: EventMessage | undefined = id
    ? compact({
        id,
        type: data.type || queuedContentType(item.data),
        body: data.message ?? undefined,
        fromMe: true,
        // The queue entity has no ack; its delivery status ("failed") is what routes want to test.
        ack: data.deliveryStatus || data.status || undefined,
        to: target,
        reference: data.reference ?? undefined,
      })
    : undefined;
  return { chat, contact, message };
}

// What a queued send carried, named like WhatsApp message types where a key tells; text otherwise.
const QUEUED_CONTENT = ['media', 'location', 'contacts', 'poll', 'event', 'list', 'buttons', 'product', 'reaction'];

function queuedContentType(data: Readonly<Record<string, unknown>>): string {
  for (const key of QUEUED_CONTENT) {
    if (Object.hasOwn(data, key) && data[key] !== null && data[key] !== undefined) return key;
  }
  return 'text';
}

/** E.164 phone ("+1 234-567") → WhatsApp user id ("1234567@c.us"); a value that is already a wid is kept. */
export function phoneToWid(phone: string): string | undefined {
  if (phone.includes('@')) return phone;
  const digits = phone.replace(/\D/g, '');
  return digits === '' ? undefined : `${digits}@c.us`;
}

// chat:update / group:update: `data` is the chat itself, or carries it in `data.chat`.
function fromChatUpdate(data: ChatData): Parts {
  // Only a WhatsApp id (`…@g.us`, `…@c.us`) makes `data` the chat: an update event's own id is not one.
  const isChat = typeof data.id === 'string' && data.id.includes('@');
  const raw: ChatPayload | undefined = data.chat ?? (isChat ? { ...pickChat(data), id: data.id! } : undefined);
  return { chat: chatOf(raw), contact: contactOf(raw?.contact ?? data.contact) };
}

// Only the fields chatOf reads, so no key of `data` (such as "__proto__") is ever copied.
function pickChat(data: ChatData): Omit<ChatPayload, 'id'> {
  return { type: data.type, name: data.name, labels: data.labels, contact: data.contact };
}

// contact:update: `data` is the contact itself, or carries it in `contact` / `chat.contact`.
function fromContactUpdate(data: ContactData): Parts {
  const looksLikeContact = Boolean(data.wid || data.phone || data.metadata);
  const raw = data.chat?.contact ?? data.contact ?? (looksLikeContact ? data : undefined);
  const contact = contactOf(raw);
  // A contact's wid is also the id of the 1:1 chat with it, which lets per-chat ordering apply.
  const chat =
    chatOf(data.chat) ?? chatFromId(contact?.wid ?? (contact?.phone ? phoneToWid(contact.phone) : undefined));
  return { chat, contact };
}

function chatOf(chat: ChatPayload | null | undefined): EventChat | undefined {
  if (!chat) return undefined;
  const type = chatTypeOf(chat.id, chat.type);
  if (type === undefined) return undefined;
  return compact({ id: chat.id, type, name: chat.name || undefined, labels: chat.labels ?? [] });
}

function chatFromId(id: string | null | undefined): EventChat | undefined {
  if (!id) return undefined;
  const type = chatTypeOf(id);
  return type === undefined ? undefined : { id, type, labels: [] };
}

const TYPE_BY_WASSENGER_TYPE: ReadonlyMap<string, ChatType> = new Map<string, ChatType>([
  ['chat', 'user'],
  ['user', 'user'],
  ['group', 'group'],
  ['channel', 'channel'],
  ['newsletter', 'channel'],
]);

/**
 * The chat type from Wassenger's `chat.type` ("chat" | "group" | "channel") and the id suffix
 * (`@g.us`, `@c.us`, `@newsletter`). An id ending in `@newsletter` is always a channel, one ending in
 * `@broadcast` is no chat at all (undefined); otherwise a known type wins, then the suffix, and an
 * unrecognised id (e.g. `@lid`) is a user, since groups and channels always carry their suffix.
 */
export function chatTypeOf(id: string, type?: string | null): ChatType | undefined {
  if (id.endsWith('@newsletter')) return 'channel';
  if (id.endsWith('@broadcast')) return undefined;
  const known = type ? TYPE_BY_WASSENGER_TYPE.get(type) : undefined;
  if (known !== undefined) return known;
  if (id.endsWith('@g.us')) return 'group';
  return 'user';
}

function contactOf(contact: ContactPayload | null | undefined): EventContact | undefined {
  if (!contact) return undefined;
  return compact({
    wid: contact.wid || undefined,
    phone: contact.phone || undefined,
    name: contact.name || contact.displayName || contact.formattedName || contact.shortName || undefined,
    metadata: metadataOf(contact.metadata),
  });
}

/**
 * Wassenger's `[{key, value}]` → `{ key: "value" }`: later duplicates win, numbers and booleans
 * become text, null values are skipped.
 */
export function metadataOf(entries: readonly MetadataEntry[] | null | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (!entries) return metadata;
  for (const entry of entries) {
    const value = entry.value;
    if (value === null || value === undefined) continue;
    // defineProperty, not `metadata[key] =`: a key "__proto__" must become a plain own entry
    // instead of reaching the prototype setter (keys are user data: anything matching [A-Za-z0-9_]).
    Object.defineProperty(metadata, entry.key, {
      value: typeof value === 'string' ? value : String(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return metadata;
}

/** Drop undefined fields of an object built here, so events compare and serialize without empty keys. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
