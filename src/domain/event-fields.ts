import type { EventChat, EventContact, EventDevice, EventMessage, RoutedEvent } from './event.ts';

/**
 * The fields of the normalized event and what each holds: `when` filters and templates are
 * checked against this table at load, so a typo is an error with the nearest valid name.
 */

/** What a path into the event can reach. */
export type FieldKind =
  | 'text'
  | 'boolean'
  /** A list of strings (chat labels). */
  | 'labels'
  /** contact.metadata: any key, text values. */
  | 'metadata'
  /** Anything below is accepted unchecked (the raw `data`, quoted messages, media). */
  | 'open'
  | { readonly oneOf: readonly string[] }
  | { readonly fields: Readonly<Record<string, FieldKind>> };

/** One kind per field of T, so tsc fails here when event.ts gains or loses a field. */
type FieldsOf<T> = { readonly [K in keyof T]-?: FieldKind };

const DEVICE_FIELDS = { id: 'text', phone: 'text', alias: 'text' } as const satisfies FieldsOf<EventDevice>;

const CHAT_FIELDS = {
  id: 'text',
  type: { oneOf: ['user', 'group', 'channel'] },
  name: 'text',
  labels: 'labels',
} as const satisfies FieldsOf<EventChat>;

const CONTACT_FIELDS = {
  wid: 'text',
  phone: 'text',
  name: 'text',
  metadata: 'metadata',
} as const satisfies FieldsOf<EventContact>;

const MESSAGE_FIELDS = {
  id: 'text',
  type: 'text',
  body: 'text',
  fromMe: 'boolean',
  ack: 'text',
  from: 'text',
  to: 'text',
  author: 'text',
  // Open, not checked: Wassenger adds fields to quoted messages and media over time.
  quoted: 'open',
  media: 'open',
  reference: 'text',
} as const satisfies FieldsOf<EventMessage>;

const EVENT_FIELDS = {
  id: 'text',
  event: 'text',
  receivedAt: 'text',
  device: { fields: DEVICE_FIELDS },
  chat: { fields: CHAT_FIELDS },
  contact: { fields: CONTACT_FIELDS },
  message: { fields: MESSAGE_FIELDS },
  data: 'open',
} as const satisfies FieldsOf<RoutedEvent>;

/** The normalized event, the root of every path. */
export const EVENT: FieldKind = { fields: EVENT_FIELDS };
