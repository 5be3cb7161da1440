import type { Delivery, Template, TemplateTree } from '../../src/sdk/index.ts';
import { checkHeaders, checkedUrl, templateScope } from '../../src/sdk/index.ts';

/** What the crm connector sends for one delivery (also what `wa-router route` shows). */
export interface CrmRequestPlan {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string | undefined;
}

export interface CrmTemplates {
  /** `baseUrl` without a trailing slash: literal origin and path prefix. */
  readonly baseUrl: string;
  readonly origin: string;
  /** Path prefix every request stays under, ending with "/". */
  readonly prefix: string;
  readonly path: Template;
  readonly method: string;
  readonly headers: Readonly<Record<string, Template>>;
  /** Header added with the credentials (never templated). */
  readonly auth: Readonly<Record<string, string>>;
  readonly body?: TemplateTree | undefined;
  readonly idempotencyHeader: string | false;
}

export interface CrmParams {
  readonly path?: Template | undefined;
  readonly method?: string | undefined;
  readonly body?: TemplateTree | undefined;
  readonly headers?: Readonly<Record<string, Template>> | undefined;
}

/**
 * Join the configured base URL and a rendered path, and prove the result stays under it (the SDK's
 * `checkedUrl`: no `.`/`..` or empty segment, same origin, under the base path). `{{ }}` values are
 * percent-encoded by the URL template, which keeps `/ ? # @ :` out of the path.
 */
export function joinUrl(templates: Pick<CrmTemplates, 'baseUrl' | 'origin' | 'prefix'>, renderedPath: string): string {
  const path = renderedPath.startsWith('/') ? renderedPath : `/${renderedPath}`;
  return checkedUrl(templates.baseUrl + path, {
    origin: templates.origin,
    pathPrefix: templates.prefix,
    refuseEmptySegments: true,
  });
}

/** Render the request of a delivery. Pure; throws UnsafeRequestError when the URL would leave the base URL or a header cannot be sent. */
export function renderRequest(templates: CrmTemplates, delivery: Delivery<CrmParams | undefined>): CrmRequestPlan {
  const scope = templateScope(delivery);
  const url = joinUrl(templates, (delivery.params?.path ?? templates.path).renderString(scope));
  const method = delivery.params?.method ?? templates.method;
  const headers: Record<string, string> = { 'user-agent': 'wa-router', accept: 'application/json' };
  for (const [name, value] of Object.entries({ ...templates.headers, ...delivery.params?.headers }))
    headers[name.toLowerCase()] = value.renderString(scope);
  for (const [name, value] of Object.entries(templates.auth)) headers[name.toLowerCase()] = value;
  if (templates.idempotencyHeader) headers[templates.idempotencyHeader.toLowerCase()] = delivery.idempotencyKey;
  checkHeaders(headers);
  if (method === 'GET' || method === 'DELETE') return { method, url, headers };
  const bodyTemplate = delivery.params?.body ?? templates.body;
  const value = bodyTemplate ? bodyTemplate.render(scope) : delivery.event;
  headers['content-type'] = 'application/json';
  return { method, url, headers, body: JSON.stringify(value ?? null) };
}

/** Redact credentials from a request plan (for previews). */
export function redactPlan(plan: CrmRequestPlan, auth: Readonly<Record<string, string>>): CrmRequestPlan {
  const headers = { ...plan.headers };
  for (const name of Object.keys(auth)) headers[name.toLowerCase()] = '[redacted]';
  return { ...plan, headers };
}
