import type { EventChat, EventContact, EventDevice, EventMessage, RoutedEvent } from '../domain/event.ts';
import { didYouMean } from '../util/suggest.ts';
import type { Path, Report } from './operators.ts';
import { describe } from './values.ts';

/**
 * The paths a `when` filter can read, and what each holds: the validator uses this to catch
 * typos (with the nearest valid name) and literals that can never match.
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

export function describeKind(kind: FieldKind): string {
  if (kind === 'boolean') return 'is true or false';
  if (kind === 'labels') return 'is a list of labels';
  return 'is text';
}

/**
 * Catches values that can never match the known type of the field: a number against text
 * (YAML reads `CRM_ID: 12345` as a number, and metadata values are always strings), a quoted
 * "true" against a boolean, a misspelt chat type. `null` is always allowed (it means missing).
 */
export function checkOperand(
  kind: FieldKind,
  segments: readonly string[],
  value: unknown,
  path: Path,
  report: Report,
): void {
  if (value === null || value === undefined || kind === 'open') return;
  const name = `"${segments.join('.')}"`;
  const scalar = typeof value === 'number' || typeof value === 'boolean';
  const structured = typeof value === 'object';
  if (kind === 'text' || kind === 'labels' || (typeof kind === 'object' && 'oneOf' in kind)) {
    if (scalar) {
      report(path, `${name} holds text, never ${describe(value)}; quote it: "${String(value)}"`);
    } else if (structured && !(kind === 'labels' && Array.isArray(value))) {
      report(path, `${name} holds text, never ${describe(value)}`);
    } else if (typeof kind === 'object' && typeof value === 'string' && !kind.oneOf.includes(value)) {
      report(
        path,
        `${JSON.stringify(value)} is not a possible ${name}${didYouMean(value, kind.oneOf)}; expected one of ${kind.oneOf.join(', ')}`,
      );
    }
  } else if (kind === 'boolean') {
    if (value === 'true' || value === 'false') {
      report(path, `${name} is true or false, not text; write ${value} without quotes`);
    } else if (typeof value !== 'boolean') {
      report(path, `${name} is true or false, never ${describe(value)}`);
    }
  } else if (!structured) {
    // A field mapping (device, chat, contact, message, contact.metadata) against a scalar.
    const example = kind === 'metadata' ? `${segments.join('.')}.KEY` : `${segments.join('.')}.id`;
    report(path, `${name} is a mapping, never ${describe(value)}; compare one of its fields, e.g. "${example}"`);
  }
}
