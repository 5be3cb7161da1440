import { createHash } from 'node:crypto';
import {
  compileTemplate,
  defineConnector,
  delivered,
  duration,
  failed,
  retry,
  skipped,
  template,
  templateScope,
  withExchange,
  z,
  type ConnectorContext,
  type Delivery,
  type Outcome,
  type Template,
} from '../../src/sdk/index.ts';
import {
  apiRequest,
  continueWith,
  endWith,
  errorOutcome,
  type ApiClient,
  type ApiResponse,
  type ApiResult,
  type ExchangeInput,
} from '../../src/sdk/index.ts';
import { createOnce } from './api.ts';

/** HubSpot-defined association types. */
const NOTE_TO_CONTACT = 202;
const TASK_TO_CONTACT = 204;
const DEFAULT_NOTE =
  'WhatsApp message {% if message.fromMe %}to{% else %}from{% endif %} {{ contact.name | default: contact.phone }}: {{ message.body }}';

const DEFAULT_NOTE_TEMPLATE: Template = compileTemplate(DEFAULT_NOTE);

const TaskSchema = z
  .object({
    subject: template().describe('Task title (hs_task_subject).'),
    body: template().optional().describe('Task notes (hs_task_body, plain text).'),
    priority: z.enum(['LOW', 'MEDIUM', 'HIGH']).optional().describe('hs_task_priority.'),
    dueInMinutes: z
      .number()
      .int()
      .min(0)
      .default(24 * 60)
      .describe('Due date, counted from the message time.'),
    ownerId: z.string().min(1).optional().describe('hubspot_owner_id of the assignee.'),
  })
  .strict();

const Actions = {
  note: template().optional().describe('Create a note on the contact with this body (plain text; see `noteFormat`).'),
  properties: z
    .record(z.string().min(1), template())
    .optional()
    .describe('Update these contact properties (values are templates).'),
  task: z
    .preprocess((value) => (typeof value === 'string' ? { subject: value } : value), TaskSchema.optional())
    .describe('Create a task on the contact (a string is its subject).'),
};

const HubSpotConfig = z
  .object({
    token: z
      .string()
      .min(1)
      .describe('Private app access token, from ${VAR} (scopes crm.objects.contacts.read/write).'),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://api.hubapi.com')
      .describe('Base URL of the HubSpot API (tests point it at a fake).'),
    contactId: template()
      .prefault('{{ contact.metadata.CRM_CUSTOMER_ID }}')
      .describe('HubSpot contact id, read from the event.'),
    lookupBy: z
      .literal('phone')
      .optional()
      .describe('When `contactId` renders empty, search contacts by the WhatsApp phone.'),
    lookupProperties: z
      .array(z.string().min(1))
      .min(1)
      .max(2)
      .default(['phone', 'mobilephone'])
      .describe('Contact properties compared with the phone.'),
    createIfMissing: z
      .boolean()
      .default(false)
      .describe('Create the contact when the phone search finds none (needs `lookupBy: phone`).'),
    createProperties: z
      .record(z.string().min(1), template())
      .prefault({ phone: '{{ contact.phone }}', firstname: '{{ contact.name }}' })
      .describe('Properties of a created contact (templates); empty values are left out.'),
    noteFormat: z
      .enum(['text', 'html'])
      .default('text')
      .describe('`text`: the rendered note is HTML-escaped, newlines become <br>. `html`: sent as written.'),
    searchSettleMs: duration()
      .default(10_000)
      .describe('After an unanswered create, how long HubSpot search may lag before creating again.'),
    writeBack: z
      .object({
        token: z.string().min(1).describe('Wassenger API key, from ${VAR}.'),
        apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.wassenger.com'),
        key: z
          .string()
          .regex(/^[A-Za-z0-9_:.-]{1,30}$/)
          .default('CRM_CUSTOMER_ID')
          .describe('Metadata key written on the WhatsApp contact.'),
      })
      .strict()
      .optional()
      .describe('When the contact was found by phone or created, store its id in the Wassenger contact metadata.'),
    ...Actions,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.createIfMissing && !config.lookupBy)
      ctx.addIssue({
        code: 'custom',
        path: ['createIfMissing'],
        message: 'createIfMissing needs `lookupBy: phone` (a contact is only created after a search finds none)',
      });
  });

const HubSpotParams = z.object(Actions).strict();

type Config = z.output<typeof HubSpotConfig>;
type Params = z.output<typeof HubSpotParams>;
type Task = z.output<typeof TaskSchema>;

interface Plan {
  readonly note?: string | undefined;
  readonly properties?: Record<string, string> | undefined;
  readonly task?: { readonly properties: Record<string, string> } | undefined;
}

/** Where the contact id came from. */
type Found = 'template' | 'search' | 'created';

/** Note, task and contact HubSpot records for events from WhatsApp contacts. */
export default defineConnector({
  sdkVersion: 1,
  type: 'hubspot',
  summary:
    'Add notes and tasks to, and update the properties of, the HubSpot contact of a WhatsApp chat (found from contact metadata or the phone).',
  config: HubSpotConfig,
  params: HubSpotParams,
  examples: [
    {
      title: 'Note on the contact named in CRM_CUSTOMER_ID',
      config: { token: '${HUBSPOT_TOKEN}', contactId: '{{ contact.metadata.CRM_CUSTOMER_ID }}' },
    },
    {
      title: 'Find by phone, create when missing, and write the id back to Wassenger',
      config: {
        token: '${HUBSPOT_TOKEN}',
        lookupBy: 'phone',
        createIfMissing: true,
        writeBack: { token: '${WASSENGER_TOKEN}', key: 'CRM_CUSTOMER_ID' },
        properties: { whatsapp_last_message_at: '{{ receivedAt }}' },
      },
    },
  ],
  // HubSpot private apps: 100 requests per 10 s (Free/Starter); a delivery makes 1 to 4 requests.
  delivery: { maxBatch: 1, maxInFlight: 4, ratePerSec: 10, timeoutMs: 15_000 },
  create(config, ctx) {
    const hubspot: ApiClient = {
      baseUrl: config.apiUrl.replace(/\/+$/, ''),
      headers: { authorization: `Bearer ${config.token}`, 'user-agent': 'wa-router' },
      service: 'HubSpot',
    };
    const wassenger: ApiClient | undefined = config.writeBack
      ? {
          baseUrl: config.writeBack.apiUrl.replace(/\/+$/, ''),
          headers: { token: config.writeBack.token, 'user-agent': 'wa-router' },
          service: 'Wassenger',
        }
      : undefined;
    return {
      preview: (delivery) => preview(config, delivery),
      async deliver(batch, signal) {
        return Promise.all(
          batch.map(async (delivery) => {
            // A delivery makes up to 5 calls and stops at the first that fails: the last one made is
            // the one that decided its outcome, and is what the attempt records.
            let last: ExchangeInput | undefined;
            const onExchange = (exchange: ExchangeInput) => {
              last = exchange;
            };
            try {
              const outcome = await deliverOne(
                config,
                ctx,
                { ...hubspot, onExchange },
                wassenger && { ...wassenger, onExchange },
                delivery,
                signal,
              );
              return withExchange(outcome, last);
            } catch (error) {
              return failed(`cannot build the HubSpot request: ${(error as Error).message}`);
            }
          }),
        );
      },
    };
  },
});

function plan(config: Config, delivery: Delivery<Params>): Plan {
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

function renderRecord(
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
function timestampOf(delivery: Delivery): string {
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
function shown(id: string): string {
  return /^[\w.-]{1,64}$/.test(id) ? id : JSON.stringify(id.slice(0, 64));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function contactPhone(delivery: Delivery): string | undefined {
  const contact = delivery.event.contact;
  if (contact?.phone) return contact.phone;
  const wid = contact?.wid ?? (delivery.event.chat?.type === 'user' ? delivery.event.chat.id : undefined);
  const digits = wid?.endsWith('@c.us') ? wid.slice(0, -5).replace(/\D/g, '') : '';
  return digits ? `+${digits}` : undefined;
}

function preview(config: Config, delivery: Delivery<Params>): unknown {
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

function noteBody(note: string, at: string, contactId: string): object {
  return {
    properties: { hs_timestamp: at, hs_note_body: note },
    associations: [association(contactId, NOTE_TO_CONTACT)],
  };
}

function taskBody(properties: Record<string, string>, contactId: string): object {
  return { properties, associations: [association(contactId, TASK_TO_CONTACT)] };
}

function searchBody(phone: string, properties: readonly string[]): object {
  const digits = phone.replace(/\D/g, '');
  const values = [...new Set([phone, `+${digits}`, digits].filter((v) => v !== '' && v !== '+'))].slice(0, 2);
  const filterGroups = properties.flatMap((propertyName) =>
    values.map((value) => ({ filters: [{ propertyName, operator: 'EQ', value }] })),
  );
  return { filterGroups, properties: ['phone', 'mobilephone', 'firstname', 'lastname'], limit: 1 };
}

async function deliverOne(
  config: Config,
  ctx: ConnectorContext,
  hubspot: ApiClient,
  wassenger: ApiClient | undefined,
  delivery: Delivery<Params>,
  signal: AbortSignal,
): Promise<Outcome> {
  const steps = plan(config, delivery);
  const contact = await resolveContact(config, ctx, hubspot, delivery, signal);
  if (!contact.ok) return contact.outcome;
  const { id, found } = contact.value;
  const done: string[] = [`contact ${id}${found === 'template' ? '' : ` (${found})`}`];
  const notFound = (response: ApiResponse, what: string): Outcome =>
    failed(
      `HubSpot contact ${shown(id)} not found while ${what} (HTTP ${response.status}); ${found === 'template' ? 'check the id that `contactId` read from the event (e.g. the CRM_CUSTOMER_ID metadata)' : 'it was deleted in HubSpot'}`,
    );

  if (steps.properties && Object.keys(steps.properties).length > 0) {
    const answer = await apiRequest(
      hubspot,
      'PATCH',
      `/crm/v3/objects/contacts/${encodeURIComponent(id)}`,
      { properties: steps.properties },
      signal,
    );
    if (!answer.ok) return answer.outcome;
    if (answer.value.status === 404) return notFound(answer.value, 'updating its properties');
    if (answer.value.status >= 300) return errorOutcome(hubspot, answer.value, 'updating contact properties');
    done.push('properties');
  }
  if (steps.note !== undefined) {
    const body = noteBody(steps.note, timestampOf(delivery), id);
    const note = await createEngagement(config, ctx, hubspot, delivery, signal, 'notes', 'hs_note_body', body, (r) =>
      notFound(r, 'creating the note'),
    );
    if (!note.ok) return note.outcome;
    done.push(`note ${note.value.id}${note.value.existed ? ' (already created)' : ''}`);
  }
  if (steps.task) {
    const body = taskBody(steps.task.properties, id);
    const task = await createEngagement(config, ctx, hubspot, delivery, signal, 'tasks', 'hs_task_body', body, (r) =>
      notFound(r, 'creating the task'),
    );
    if (!task.ok) return task.outcome;
    done.push(`task ${task.value.id}${task.value.existed ? ' (already created)' : ''}`);
  }
  if (wassenger && config.writeBack && found !== 'template') {
    const written = await writeBack(wassenger, config.writeBack.key, id, delivery, signal);
    if (!written.ok) return written.outcome;
    if (written.value) done.push(`${config.writeBack.key} written back`);
    else
      ctx.log.warn(
        { eventId: delivery.event.id },
        'HubSpot contact id not written back: the event names no device or WhatsApp contact.',
      );
  }
  return delivered(done.join(', '));
}

async function resolveContact(
  config: Config,
  ctx: ConnectorContext,
  hubspot: ApiClient,
  delivery: Delivery<Params>,
  signal: AbortSignal,
): Promise<ApiResult<{ id: string; found: Found }>> {
  const scope = templateScope(delivery);
  const id = config.contactId.renderString(scope).trim();
  if (id) return continueWith({ id, found: 'template' });
  if (!config.lookupBy) {
    return endWith(
      skipped(
        'no HubSpot contact id: `contactId` rendered empty (no CRM id in the contact metadata) and `lookupBy` is not set',
      ),
      false,
    );
  }
  const phone = contactPhone(delivery);
  if (!phone)
    return endWith(skipped('no HubSpot contact id and no phone number in the event to look the contact up by'), false);
  const search = async (): Promise<ApiResult<string | undefined>> => {
    const answer = await apiRequest(
      hubspot,
      'POST',
      '/crm/v3/objects/contacts/search',
      searchBody(phone, config.lookupProperties),
      signal,
    );
    if (!answer.ok) return answer;
    if (answer.value.status >= 300)
      return endWith(errorOutcome(hubspot, answer.value, 'searching contacts by phone'), false);
    const first = (answer.value.json as { results?: { id?: unknown }[] } | undefined)?.results?.[0];
    return continueWith(first?.id === undefined ? undefined : String(first.id));
  };
  const recorded = await ctx.state.get(`contact:${delivery.idempotencyKey}`);
  if (recorded?.startsWith('id:')) return continueWith({ id: recorded.slice(3), found: 'created' });
  if (!recorded?.startsWith('pending:')) {
    const existing = await search();
    if (!existing.ok) return existing;
    if (existing.value !== undefined) return continueWith({ id: existing.value, found: 'search' });
    if (!config.createIfMissing)
      return endWith(
        skipped('no HubSpot contact has the phone number of this WhatsApp contact, and `createIfMissing` is off'),
        false,
      );
  }
  const created = await createOnce(
    ctx.state,
    `contact:${delivery.idempotencyKey}`,
    config.searchSettleMs,
    search,
    async () => {
      const answer = await apiRequest(
        hubspot,
        'POST',
        '/crm/v3/objects/contacts',
        { properties: renderRecord(config.createProperties, scope, true) },
        signal,
      );
      if (!answer.ok) return answer;
      const conflict = /Existing ID: *(\d+)/.exec(
        String((answer.value.json as { message?: unknown } | undefined)?.message ?? ''),
      );
      if (answer.value.status === 409 && conflict) return continueWith(conflict[1]!);
      if (answer.value.status >= 300)
        return endWith(errorOutcome(hubspot, answer.value, 'creating the contact'), answer.value.status >= 500);
      const created = (answer.value.json as { id?: unknown } | undefined)?.id;
      return created === undefined
        ? endWith(failed('HubSpot created a contact but answered without its id'))
        : continueWith(String(created));
    },
    'the HubSpot contact',
  );
  if (!created.ok) return created;
  return continueWith({ id: created.value.id, found: 'created' });
}

async function createEngagement(
  config: Config,
  ctx: ConnectorContext,
  hubspot: ApiClient,
  delivery: Delivery,
  signal: AbortSignal,
  object: 'notes' | 'tasks',
  bodyProperty: string,
  body: object,
  onNotFound: (response: ApiResponse) => Outcome,
): Promise<ApiResult<{ id: string; existed: boolean }>> {
  const marker = markerOf(delivery);
  const what = object === 'notes' ? 'the note' : 'the task';
  const find = async (): Promise<ApiResult<string | undefined>> => {
    const search = {
      filterGroups: [{ filters: [{ propertyName: bodyProperty, operator: 'CONTAINS_TOKEN', value: marker }] }],
      properties: [bodyProperty],
      limit: 5,
    };
    const answer = await apiRequest(hubspot, 'POST', `/crm/v3/objects/${object}/search`, search, signal);
    if (!answer.ok) return answer;
    if (answer.value.status >= 300)
      return endWith(errorOutcome(hubspot, answer.value, `searching for ${what} of an earlier attempt`), false);
    const results =
      (answer.value.json as { results?: { id?: unknown; properties?: Record<string, unknown> }[] } | undefined)
        ?.results ?? [];
    // Search tokens are fuzzy; only a record that really carries the marker counts.
    const match = results.find((result) => String(result.properties?.[bodyProperty] ?? '').includes(marker));
    return continueWith(match?.id === undefined ? undefined : String(match.id));
  };
  const create = async (): Promise<ApiResult<string>> => {
    const answer = await apiRequest(hubspot, 'POST', `/crm/v3/objects/${object}`, body, signal);
    if (!answer.ok) return answer;
    if (answer.value.status === 404) return endWith(onNotFound(answer.value), false);
    if (answer.value.status >= 300)
      return endWith(errorOutcome(hubspot, answer.value, `creating ${what}`), answer.value.status >= 500);
    const id = (answer.value.json as { id?: unknown } | undefined)?.id;
    // A 2xx without an id (garbage, or an error inside): it may exist. Retry: the next attempt looks
    // for it by its marker before creating, so it is neither lost nor made twice.
    return id === undefined
      ? endWith(
          retry(
            `HubSpot answered the creation of ${what} without its id (HTTP ${answer.value.status}); checking again`,
          ),
        )
      : continueWith(String(id));
  };
  return createOnce(ctx.state, `${object}:${delivery.idempotencyKey}`, config.searchSettleMs, find, create, what);
}

/** Store the HubSpot id in the WhatsApp contact's Wassenger metadata, so later events carry it. */
async function writeBack(
  wassenger: ApiClient,
  key: string,
  id: string,
  delivery: Delivery,
  signal: AbortSignal,
): Promise<ApiResult<boolean>> {
  const device = delivery.event.device.id;
  const phone = contactPhone(delivery);
  const wid = delivery.event.contact?.wid ?? (phone ? `${phone.slice(1)}@c.us` : undefined);
  if (!device || !wid) return continueWith(false);
  const path = `/v1/chat/${encodeURIComponent(device)}/contacts/${encodeURIComponent(wid)}/metadata`;
  const answer = await apiRequest(wassenger, 'PATCH', path, [{ key, value: id }], signal);
  if (!answer.ok) return answer;
  if (answer.value.status >= 300)
    return endWith(errorOutcome(wassenger, answer.value, `writing ${key} back to the contact metadata`));
  return continueWith(true);
}
