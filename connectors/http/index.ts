import {
  classifyHttpStatus,
  classifyNetworkError,
  compileUrlTemplate,
  defineConnector,
  failed,
  httpRequest,
  template,
  templateProblems,
  templateTree,
  UnsafeRequestError,
  withExchange,
  z,
  type HttpResponse,
  type Outcome,
} from '../../src/sdk/index.ts';
import { renderRequest, type HttpParams, type HttpRequestTemplates } from './request.ts';
import { SigningSchema, signatureHeaders, type Signing } from './signing.ts';

/** The origin of a URL template must be written literally, so no event value can pick the host. */
const LITERAL_ORIGIN = /^(https?:\/\/[^/{}?#]+)(\/|$)/;
const MAX_ERROR_DETAIL = 300;

const HttpConfig = z
  .object({
    url: z
      .string()
      .superRefine((url, ctx) => {
        const match = LITERAL_ORIGIN.exec(url);
        if (!match || match[1]!.includes('{{') || match[1]!.includes('{%')) {
          ctx.addIssue({
            code: 'custom',
            message: 'url must start with a literal http(s)://host/ (templates are allowed in the path and query only)',
          });
          return;
        }
        try {
          new URL(match[1]!);
        } catch {
          ctx.addIssue({ code: 'custom', message: `"${match[1]}" is not a valid origin` });
        }
        for (const problem of templateProblems(url)) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('Target URL. The scheme and host are fixed; `{{ }}` values in the path and query are percent-encoded.'),
    method: z.enum(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']).default('POST').describe('HTTP method.'),
    headers: z.record(z.string(), template()).default({}).describe('Request headers (templates); secrets via ${VAR}.'),
    body: templateTree().optional().describe('JSON body as a YAML tree of templates; default: the normalized event.'),
    idempotencyHeader: z
      .union([z.string().min(1), z.literal(false)])
      .default('Idempotency-Key')
      .describe('Header carrying the stable idempotency key, or false.'),
    signing: SigningSchema.optional(),
  })
  .strict();

const HttpParamsSchema = z
  .object({
    body: templateTree().optional().describe("Body for this route instead of the connector's."),
    headers: z.record(z.string(), template()).optional().describe('Headers added for this route.'),
  })
  .strict();

/** Send each event to an HTTP endpoint whose host is fixed in config. */
export default defineConnector({
  sdkVersion: 1,
  type: 'http',
  summary: 'POST each event (or a templated body) to an HTTP endpoint whose host is fixed in config.',
  config: HttpConfig,
  params: HttpParamsSchema,
  examples: [
    { title: 'Forward every event as JSON', config: { url: 'https://hooks.example.com/wassenger' } },
    {
      title: 'Templated body and bearer token',
      config: {
        url: 'https://api.example.com/chats/{{ chat.id }}/messages',
        headers: { Authorization: 'Bearer ${EXAMPLE_TOKEN}' },
        body: { from: '{{ contact.phone }}', text: '{{ message.body }}', at: '{{ receivedAt }}' },
      },
    },
    {
      title: 'Signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature)',
      config: { url: 'https://hooks.example.com/wassenger', signing: { secret: '${WEBHOOK_SIGNING_SECRET}' } },
    },
  ],
  delivery: { maxBatch: 1, maxInFlight: 8, timeoutMs: 10_000 },
  create(config) {
    const templates: HttpRequestTemplates = {
      url: compileUrlTemplate(config.url),
      origin: new URL(LITERAL_ORIGIN.exec(config.url)![1]!).origin,
      method: config.method,
      headers: config.headers,
      body: config.body,
      idempotencyHeader: config.idempotencyHeader,
    };
    const signing = config.signing;
    return {
      preview(delivery) {
        const plan = renderRequest(templates, delivery as Parameters<typeof renderRequest>[1]);
        if (!signing) return plan;
        const shown = { 'webhook-id': delivery.idempotencyKey, 'webhook-timestamp': '<time of sending>' };
        return { ...plan, headers: { ...plan.headers, ...shown, 'webhook-signature': 'v1,<computed when sent>' } };
      },
      async deliver(batch, signal) {
        return Promise.all(
          batch.map((delivery) => send(templates, signing, delivery as Parameters<typeof renderRequest>[1], signal)),
        );
      },
    };
  },
});

async function send(
  templates: HttpRequestTemplates,
  signing: Signing | undefined,
  delivery: Parameters<typeof renderRequest>[1],
  signal: AbortSignal,
): Promise<Outcome> {
  let request;
  try {
    request = renderRequest(templates, delivery);
  } catch (error) {
    const reason = (error as Error).message;
    return failed(error instanceof UnsafeRequestError ? reason : `cannot build the request: ${reason}`);
  }
  const headers = signing
    ? { ...request.headers, ...signatureHeaders(signing, delivery.idempotencyKey, request.body ?? '') }
    : request.headers;
  let response;
  try {
    response = await httpRequest(request.url, {
      method: request.method,
      headers,
      body: request.body,
      signal,
      maxResponseBytes: 4096,
    });
  } catch (error) {
    // No answer: the timeline still shows what was sent.
    const sent = { method: request.method, url: request.url, headers, body: request.body };
    return withExchange(classifyNetworkError(error), { request: sent });
  }
  return withExchange(outcomeOf(response), response.exchange);
}

function outcomeOf(response: HttpResponse): Outcome {
  // Redirects are not followed: the target host is fixed in config.
  if (response.status >= 300 && response.status < 400)
    return failed(`HTTP ${response.status}: redirect not followed (the host is fixed in config)`);
  const detail =
    response.status >= 200 && response.status < 300
      ? ''
      : response.body.slice(0, MAX_ERROR_DETAIL).replace(/\s+/g, ' ').trim();
  return classifyHttpStatus(response.status, response.headers, detail);
}

export type { HttpParams };
