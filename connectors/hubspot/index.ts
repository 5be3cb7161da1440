import {
  defineConnector,
  delivered,
  failed,
  retry,
  skipped,
  templateScope,
  withExchange,
  type ConnectorContext,
  type Delivery,
  type Outcome,
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
import { type Config, HubSpotConfig, HubSpotParams, type Params } from './config.ts';
import {
  contactPhone,
  markerOf,
  noteBody,
  plan,
  preview,
  renderRecord,
  searchBody,
  shown,
  taskBody,
  timestampOf,
} from './plan.ts';

export { markerOf } from './plan.ts';

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
