import {
  classifyHttpStatus,
  classifyNetworkError,
  compileUrlTemplate,
  defineConnector,
  delivered,
  failed,
  httpRequest,
  skipped,
  template,
  templateProblems,
  templateTree,
  UnsafeRequestError,
  withExchange,
  z,
  type Delivery,
  type HttpResponse,
  type Outcome,
} from '../../src/sdk/index.ts';
import { redactPlan, renderRequest, type CrmParams, type CrmTemplates } from './request.ts';

const MAX_ERROR_DETAIL = 300;
const METHODS = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'] as const;

/** A path template: `{{ }}` values are percent-encoded when rendered. Checked for syntax at load. */
function pathTemplate() {
  return z
    .string()
    .min(1)
    .superRefine((path, ctx) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//'))
        ctx.addIssue({ code: 'custom', message: 'path is relative to baseUrl: it cannot name a scheme or host' });
    })
    .transform((path, ctx) => {
      const problems = templateProblems(path);
      for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
      return problems.length > 0 ? z.NEVER : compileUrlTemplate(path);
    })
    .describe('Path under baseUrl (with an optional query); `{{ }}` values are percent-encoded.');
}

const Auth = z.union([
  z.object({ bearer: z.string().min(1).describe('Sends `Authorization: Bearer <token>`.') }).strict(),
  z.object({ header: z.string().min(1).describe('Header name, e.g. x-api-token.'), value: z.string().min(1) }).strict(),
  z.object({ basic: z.object({ username: z.string(), password: z.string() }).strict() }).strict(),
]);

const CrmConfig = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .superRefine((url, ctx) => {
        if (url.includes('{{') || url.includes('{%')) {
          ctx.addIssue({ code: 'custom', message: 'baseUrl is literal: templates go in `path`' });
          return;
        }
        if (!URL.canParse(url)) return; // reported by z.url()
        const parsed = new URL(url);
        if (parsed.search || parsed.hash || parsed.username || parsed.password)
          ctx.addIssue({
            code: 'custom',
            message: 'baseUrl is an origin and a path prefix only (no query, fragment or credentials)',
          });
      })
      .describe('Fixed origin and path prefix, e.g. https://api.pipedrive.com/v1. Every request stays under it.'),
    path: pathTemplate(),
    method: z.enum(METHODS).default('POST'),
    auth: Auth.optional().describe(
      'Credentials, from ${VAR}: `{ bearer }`, `{ header, value }` or `{ basic: { username, password } }`.',
    ),
    headers: z.record(z.string(), template()).default({}).describe('More request headers (templates).'),
    body: templateTree().optional().describe('JSON body as a YAML tree of templates; default: the normalized event.'),
    requireMetadata: z
      .array(z.string().min(1))
      .default([])
      .describe('Contact metadata keys that must be set; otherwise the delivery is skipped.'),
    refField: z
      .string()
      .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/)
      .optional()
      .describe('Dotted path of the created id in the JSON answer, used as the delivery ref (e.g. data.id).'),
    idempotencyHeader: z
      .union([z.string().min(1), z.literal(false)])
      .default('Idempotency-Key')
      .describe('Header carrying the stable idempotency key, or false.'),
  })
  .strict();

const CrmParamsSchema = z
  .object({
    path: pathTemplate().optional().describe("This route's path instead of the connector's."),
    method: z.enum(METHODS).optional(),
    body: templateTree().optional(),
    headers: z.record(z.string(), template()).optional(),
  })
  .strict();

type Config = z.output<typeof CrmConfig>;

function authHeaders(auth: Config['auth']): Record<string, string> {
  if (!auth) return {};
  if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` };
  if ('header' in auth) return { [auth.header.toLowerCase()]: auth.value };
  return { authorization: `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}` };
}

/** Call any CRM's HTTP API under a fixed base URL, with path templates that cannot escape it. */
export default defineConnector({
  sdkVersion: 1,
  type: 'crm',
  summary:
    'Call a CRM HTTP API (Pipedrive, Salesforce, …) under a fixed base URL; event values in the path are URL-encoded.',
  config: CrmConfig,
  params: CrmParamsSchema,
  examples: [
    {
      title: 'Pipedrive: a note on the person named in CRM_CUSTOMER_ID',
      config: {
        baseUrl: 'https://api.pipedrive.com/v1',
        path: '/notes',
        auth: { header: 'x-api-token', value: '${PIPEDRIVE_TOKEN}' },
        requireMetadata: ['CRM_CUSTOMER_ID'],
        body: {
          content: 'WhatsApp from {{ contact.name }}: {{ message.body | escape }}',
          person_id: '{{ contact.metadata.CRM_CUSTOMER_ID | plus: 0 }}',
        },
        refField: 'data.id',
        idempotencyHeader: false,
      },
    },
    {
      title: 'Pipedrive: update the person (custom field with the last message time)',
      config: {
        baseUrl: 'https://api.pipedrive.com/v1',
        path: '/persons/{{ contact.metadata.CRM_CUSTOMER_ID }}',
        method: 'PUT',
        auth: { header: 'x-api-token', value: '${PIPEDRIVE_TOKEN}' },
        requireMetadata: ['CRM_CUSTOMER_ID'],
        body: { a1b2c3d4e5f6_last_whatsapp_at: '{{ receivedAt }}' },
        idempotencyHeader: false,
      },
    },
    {
      title: 'Salesforce: log a completed Task on the contact (WhoId from CRM_CUSTOMER_ID)',
      config: {
        baseUrl: 'https://yourInstance.my.salesforce.com/services/data/v60.0',
        path: '/sobjects/Task',
        auth: { bearer: '${SALESFORCE_TOKEN}' },
        requireMetadata: ['CRM_CUSTOMER_ID'],
        body: {
          Subject: 'WhatsApp from {{ contact.name }}',
          Description: '{{ message.body }}',
          WhoId: '{{ contact.metadata.CRM_CUSTOMER_ID }}',
          Status: 'Completed',
          ActivityDate: '{{ receivedAt | slice: 0, 10 }}',
          TaskSubtype: 'Task',
        },
        refField: 'id',
        idempotencyHeader: false,
      },
    },
    {
      title: 'Salesforce: idempotent Task upsert by an external-id field (a retry updates, never duplicates)',
      config: {
        baseUrl: 'https://yourInstance.my.salesforce.com/services/data/v60.0',
        path: '/sobjects/Task/WhatsApp_Message_Id__c/{{ message.id }}',
        method: 'PATCH',
        auth: { bearer: '${SALESFORCE_TOKEN}' },
        requireMetadata: ['CRM_CUSTOMER_ID'],
        body: {
          Subject: 'WhatsApp from {{ contact.name }}',
          Description: '{{ message.body }}',
          WhoId: '{{ contact.metadata.CRM_CUSTOMER_ID }}',
          Status: 'Completed',
        },
        idempotencyHeader: false,
      },
    },
  ],
  delivery: { maxBatch: 1, maxInFlight: 4, ratePerSec: 10, timeoutMs: 10_000 },
  create(config) {
    const base = new URL(config.baseUrl);
    const baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    const templates: CrmTemplates = {
      baseUrl,
      origin: base.origin,
      prefix: `${base.pathname.replace(/\/+$/, '')}/`,
      path: config.path,
      method: config.method,
      headers: config.headers,
      auth: authHeaders(config.auth),
      body: config.body,
      idempotencyHeader: config.idempotencyHeader,
    };
    return {
      preview(delivery) {
        const missing = missingMetadata(config, delivery);
        if (missing) return { skip: `contact metadata ${missing} is not set` };
        return redactPlan(renderRequest(templates, delivery as Delivery<CrmParams | undefined>), templates.auth);
      },
      async deliver(batch, signal) {
        return Promise.all(
          batch.map((delivery) => send(config, templates, delivery as Delivery<CrmParams | undefined>, signal)),
        );
      },
    };
  },
});

function missingMetadata(config: Config, delivery: Delivery): string | undefined {
  const metadata = delivery.event.contact?.metadata ?? {};
  return config.requireMetadata.find((key) => !Object.hasOwn(metadata, key) || metadata[key]!.trim() === '');
}

async function send(
  config: Config,
  templates: CrmTemplates,
  delivery: Delivery<CrmParams | undefined>,
  signal: AbortSignal,
): Promise<Outcome> {
  const missing = missingMetadata(config, delivery);
  if (missing) return skipped(`contact metadata ${missing} is not set`);
  let request;
  try {
    request = renderRequest(templates, delivery);
  } catch (error) {
    const reason =
      error instanceof UnsafeRequestError ? error.message : `cannot build the request: ${(error as Error).message}`;
    return failed(reason);
  }
  // The credential header may have any name (`auth.header`): mask it whatever it is called.
  const mask = Object.keys(templates.auth);
  let response;
  try {
    response = await httpRequest(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      maxResponseBytes: 64 * 1024,
    });
  } catch (error) {
    return withExchange(classifyNetworkError(error), { request }, { mask });
  }
  return withExchange(outcomeOf(config, response), response.exchange, { mask });
}

function outcomeOf(config: Config, response: HttpResponse): Outcome {
  if (response.status >= 300 && response.status < 400)
    return failed(`HTTP ${response.status}: redirect not followed (the host is fixed in config)`);
  if (response.status >= 200 && response.status < 300)
    return delivered(refOf(config.refField, response.body) ?? String(response.status));
  const detail = response.body.slice(0, MAX_ERROR_DETAIL).replace(/\s+/g, ' ').trim();
  const outcome = classifyHttpStatus(response.status, response.headers, detail);
  // Salesforce answers 403 REQUEST_LIMIT_EXCEEDED when the org's API budget is spent: wait, do not drop.
  if (response.status === 403 && detail.includes('REQUEST_LIMIT_EXCEEDED'))
    return { status: 'retry', reason: `HTTP 403: ${detail}`, retryAfterMs: 15 * 60_000 };
  if (response.status === 401 || response.status === 403)
    return failed(
      `HTTP ${response.status}: the CRM refused the credentials or their scope${detail ? `: ${detail}` : ''}`,
    );
  return outcome;
}

function refOf(field: string | undefined, body: string): string | undefined {
  if (!field) return undefined;
  try {
    let value: unknown = JSON.parse(body);
    for (const key of field.split('.'))
      value =
        value !== null && typeof value === 'object' && Object.hasOwn(value, key)
          ? (value as Record<string, unknown>)[key]
          : undefined;
    return value === undefined || value === null || typeof value === 'object' ? undefined : String(value);
  } catch {
    return undefined;
  }
}
