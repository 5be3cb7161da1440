import { SERVER_YAML, fixture, type TestRouter } from '../testkit/router.ts';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const SINK_TOKEN = 'sink-bearer-secret-42424242';

export function adminConfig(sinkUrl: string): string {
  return `${SERVER_YAML}
admin:
  token: \${WA_ROUTER_ADMIN_TOKEN}
connectors:
  sink:
    type: http
    url: ${sinkUrl}/events/{{ event }}
    headers: { authorization: "Bearer \${SINK_TOKEN}" }
    body: { id: "{{ id }}", text: "{{ message.body }}" }
    delivery: { backoffBaseMs: 50, maxBackoffMs: 100, maxAttempts: 4 }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [sink]
`;
}

export const ADMIN_ENV = { WA_ROUTER_ADMIN_TOKEN: ADMIN_TOKEN, SINK_TOKEN };

/** The message:in:new fixture with another message id (so another event id), chat and phone. */
export function inbound(messageId: string, options: { body?: string; phone?: string } = {}): Record<string, unknown> {
  const base = JSON.parse(fixture('message-in-new')) as {
    data: Record<string, unknown> & { fromNumber?: string; chat?: Record<string, unknown> };
  };
  const data: Record<string, unknown> = { ...base.data, id: messageId };
  if (options.body !== undefined) data.body = options.body;
  if (options.phone !== undefined) {
    data.fromNumber = options.phone;
    data.from = `${options.phone.replace(/\D/g, '')}@c.us`;
    data.chat = {
      ...base.data.chat,
      id: `${options.phone.replace(/\D/g, '')}@c.us`,
      contact: { ...(base.data.chat?.contact as object), phone: options.phone },
    };
  }
  return { ...base, data };
}

export function admin(t: TestRouter, token: string | null = ADMIN_TOKEN) {
  return async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any; headers: Headers }> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${t.url}/admin/api${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: await response.json(), headers: response.headers };
  };
}
