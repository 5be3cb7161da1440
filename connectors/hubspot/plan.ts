import { createHash } from 'node:crypto';
import { compileTemplate, templateScope, type Delivery, type Template } from '../../src/sdk/index.ts';
import type { Config, Params, Task } from './config.ts';

/**
 * What a hubspot delivery sends, worked out without any I/O: the note, the task and the contact
 * properties rendered from the event, the request bodies, and the preview `wa-router route` shows.
 */

/** HubSpot-defined association types. */
const NOTE_TO_CONTACT = 202;
const TASK_TO_CONTACT = 204;
const DEFAULT_NOTE =
  'WhatsApp message {% if message.fromMe %}to{% else %}from{% endif %} {{ contact.name | default: contact.phone }}: {{ message.body }}';

const DEFAULT_NOTE_TEMPLATE: Template = compileTemplate(DEFAULT_NOTE);

interface Plan {
  readonly note?: string | undefined;
  readonly properties?: Record<string, string> | undefined;
  readonly task?: { readonly properties: Record<string, string> } | undefined;
}

export function plan(config: Config, delivery: Delivery<Params>): Plan {
  const scope = templateScope(delivery);
  const params = delivery.params ?? {};
  const fromRoute = params.note !== undefined || params.properties !== undefined || params.task !== undefined;
  const actions: Params = fromRoute
    ? params
    : config.note || config.properties || config.task
      ? config
      : { note: DEFAULT_NOTE_TEMPLATE };
  const at = timestampOf(delivery);
  const marker = markerOf(delivery);
  const result: { -readonly [K in keyof Plan]: Plan[K] } = {};
  if (actions.properties) result.properties = renderRecord(actions.properties, scope, false);
  if (actions.note) {
    const text = actions.note.renderString(scope);
    const body = config.noteFormat === 'html' ? text : escapeHtml(text).replace(/\r?\n/g, '<br>');
    result.note = `${body}<br><br><small>[wa-router ${marker}]</small>`;
  }
  if (actions.task) result.task = { properties: taskProperties(actions.task, scope, at, marker) };
  return result;
}

function taskProperties(task: Task, scope: object, at: string, marker: string): Record<string, string> {
  const due = new Date(Date.parse(at) + task.dueInMinutes * 60_000).toISOString();
  const body = task.body ? task.body.renderString(scope) : '';
  return {
    hs_timestamp: due,
    hs_task_subject: task.subject.renderString(scope).slice(0, 255) || 'WhatsApp follow-up',
    hs_task_body: `${body}${body ? '\n\n' : ''}[wa-router ${marker}]`,
    hs_task_status: 'NOT_STARTED',
    hs_task_type: 'TODO',
    ...(task.priority ? { hs_task_priority: task.priority } : {}),
    ...(task.ownerId ? { hubspot_owner_id: task.ownerId } : {}),
  };
}

export function renderRecord(
  record: Readonly<Record<string, Template>>,
  scope: object,
  dropEmpty: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    const text = value.renderString(scope);
    if (dropEmpty && text === '') continue;
    Object.defineProperty(out, key, { value: text, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** When the message happened (the Wassenger `data.date`), else when the router received it. */
export function timestampOf(delivery: Delivery): string {
  const date = delivery.event.data['date'];
  if (typeof date === 'string' && !Number.isNaN(Date.parse(date))) return new Date(date).toISOString();
  return delivery.event.receivedAt;
}

/**
 * A single search token derived from the delivery's idempotency key, written into each note and
 * task, so an earlier attempt's note can be found again (HubSpot notes have no idempotency key).
 */
export function markerOf(delivery: Pick<Delivery, 'idempotencyKey'>): string {
  return `WR${createHash('sha256').update(delivery.idempotencyKey).digest('hex').slice(0, 30)}`;
}

/** An id from the event as shown in a reason: as is when plain, else quoted (no line breaks in reasons). */
export function shown(id: string): string {
  return /^[\w.-]{1,64}$/.test(id) ? id : JSON.stringify(id.slice(0, 64));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function contactPhone(delivery: Delivery): string | undefined {
  const contact = delivery.event.contact;
  if (contact?.phone) return contact.phone;
  const wid = contact?.wid ?? (delivery.event.chat?.type === 'user' ? delivery.event.chat.id : undefined);
  const digits = wid?.endsWith('@c.us') ? wid.slice(0, -5).replace(/\D/g, '') : '';
  return digits ? `+${digits}` : undefined;
}

export function preview(config: Config, delivery: Delivery<Params>): unknown {
  const scope = templateScope(delivery);
  const id = config.contactId.renderString(scope).trim();
  const steps = plan(config, delivery);
  const contact = id || '{found by phone}';
  const requests: { method: string; path: string; body?: unknown }[] = [];
  if (!id) {
    if (!config.lookupBy) return { skip: 'no HubSpot contact id (contactId rendered empty) and lookupBy is not set' };
    requests.push({
      method: 'POST',
      path: '/crm/v3/objects/contacts/search',
      body: searchBody(contactPhone(delivery) ?? '', config.lookupProperties),
    });
    if (config.createIfMissing)
      requests.push({
        method: 'POST',
        path: '/crm/v3/objects/contacts',
        body: { properties: renderRecord(config.createProperties, scope, true) },
      });
  }
  if (steps.properties)
    requests.push({
      method: 'PATCH',
      path: `/crm/v3/objects/contacts/${encodeURIComponent(contact)}`,
      body: { properties: steps.properties },
    });
  if (steps.note !== undefined)
    requests.push({
      method: 'POST',
      path: '/crm/v3/objects/notes',
      body: noteBody(steps.note, timestampOf(delivery), contact),
    });
  if (steps.task)
    requests.push({ method: 'POST', path: '/crm/v3/objects/tasks', body: taskBody(steps.task.properties, contact) });
  return { contact, requests };
}

function association(contactId: string, typeId: number): object {
  return { to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] };
}

export function noteBody(note: string, at: string, contactId: string): object {
  return {
    properties: { hs_timestamp: at, hs_note_body: note },
    associations: [association(contactId, NOTE_TO_CONTACT)],
  };
}

export function taskBody(properties: Record<string, string>, contactId: string): object {
  return { properties, associations: [association(contactId, TASK_TO_CONTACT)] };
}

export function searchBody(phone: string, properties: readonly string[]): object {
  const digits = phone.replace(/\D/g, '');
  const values = [...new Set([phone, `+${digits}`, digits].filter((v) => v !== '' && v !== '+'))].slice(0, 2);
  const filterGroups = properties.flatMap((propertyName) =>
    values.map((value) => ({ filters: [{ propertyName, operator: 'EQ', value }] })),
  );
  return { filterGroups, properties: ['phone', 'mobilephone', 'firstname', 'lastname'], limit: 1 };
}
