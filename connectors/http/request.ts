import type { Delivery, Template, TemplateTree } from '../../src/sdk/index.ts';
import { checkHeaders, checkedUrl, templateScope } from '../../src/sdk/index.ts';

/** What the http connector sends for one delivery (also what `wa-router route` shows). */
export interface HttpRequestPlan {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string | undefined;
}

export interface HttpRequestTemplates {
  readonly url: Template;
  readonly origin: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, Template>>;
  readonly body?: TemplateTree | undefined;
  readonly idempotencyHeader: string | false;
}

export interface HttpParams {
  readonly body?: TemplateTree | undefined;
  readonly headers?: Readonly<Record<string, Template>> | undefined;
}

/**
 * Render the request of a delivery: the URL as it will really be requested (normalized), checked
 * headers. Pure; throws an UnsafeRequestError when the URL would leave the configured origin or
 * walk its path (`.`/`..` segments), or a header value cannot be sent.
 */
export function renderRequest(
  templates: HttpRequestTemplates,
  delivery: Delivery<HttpParams | undefined>,
): HttpRequestPlan {
  const scope = templateScope(delivery);
  const url = checkedUrl(templates.url.renderString(scope), { origin: templates.origin });
  const headers: Record<string, string> = { 'user-agent': 'wa-router' };
  for (const [name, value] of Object.entries({ ...templates.headers, ...delivery.params?.headers })) {
    headers[name.toLowerCase()] = value.renderString(scope);
  }
  if (templates.idempotencyHeader) headers[templates.idempotencyHeader.toLowerCase()] = delivery.idempotencyKey;
  checkHeaders(headers);
  if (templates.method === 'GET' || templates.method === 'DELETE') return { method: templates.method, url, headers };
  const bodyTemplate = delivery.params?.body ?? templates.body;
  const value = bodyTemplate ? bodyTemplate.render(scope) : delivery.event;
  let body: string;
  if (typeof value === 'string') {
    body = value;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else {
    body = JSON.stringify(value ?? null);
    headers['content-type'] ??= 'application/json';
  }
  return { method: templates.method, url, headers, body };
}
