import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConnectorDefinition, Delivery, Outcome, RoutedEvent } from '../../src/sdk/index.ts';
import { checkConnector, checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import { HttpSink } from '../../test/testkit/http-sink.ts';
import crm from './index.ts';

const definition = crm as unknown as ConnectorDefinition;

function event(metadata: Record<string, string>): RoutedEvent {
  return {
    id: 'evt_crm',
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'd' },
    chat: { id: '1555@c.us', type: 'user', labels: [] },
    contact: { phone: '+1555', name: 'Ann', metadata },
    message: { id: 'M1', type: 'text', body: 'hi', fromMe: false },
    data: {},
  };
}

async function deliverOne(config: unknown, e: RoutedEvent, params: unknown = {}): Promise<Outcome> {
  const connector = await definition.create(definition.config.parse(config), {
    name: 'c',
    log: console,
    configDir: '.',
    state: memoryState(),
  });
  const delivery: Delivery = {
    id: '1',
    idempotencyKey: 'evt_crm:c',
    attempt: 1,
    route: 'r',
    event: e,
    params: definition.params!.parse(params),
  };
  return (await connector.deliver([delivery], AbortSignal.timeout(5_000)))[0]!;
}

describe('crm connector', () => {
  let sink: HttpSink;
  before(async () => {
    sink = await HttpSink.start({ status: 201, body: '{"success":true,"data":{"id":4711}}' });
  });
  after(() => sink.close());

  test('conforms to the contract; examples (Pipedrive, Salesforce presets) parse', async () => {
    const config = {
      baseUrl: `${sink.url}/v1`,
      path: '/persons/{{ contact.phone }}/notes',
      auth: { header: 'x-api-token', value: 'secret-token' },
      refField: 'data.id',
    };
    assert.deepEqual(await checkConnector(definition, { config }), []);
    assert.equal(sink.requests.length, 3);
    assert.equal(sink.requests[0]!.url, '/v1/persons/%2B15550000001/notes');
    assert.equal(sink.requests[0]!.headers['x-api-token'], 'secret-token');
    assert.ok((definition.examples ?? []).length >= 4);
  });

  test('meets the fault-conformance suite (the sink honours Idempotency-Key)', async (t) => {
    sink.requests.length = 0;
    const report = await checkConnectorFaults(definition, {
      config: {
        baseUrl: `${sink.url}/v1`,
        path: '/persons/{{ contact.metadata.CRM_CUSTOMER_ID }}/notes',
        auth: { bearer: 'tok-123456' },
        headers: { 'X-Contact': '{{ contact.name }}' },
        refField: 'data.id',
      },
      faults: {
        lostAnswer: () => sink.reply({ hang: true }),
        resetAfterActing: () => sink.reply({ drop: true }),
        hang: () => sink.reply({ hang: true }),
        garbage: () => sink.reply({ status: 200, body: '<html>oops' }),
        errorIn200: 'a generic CRM API has no common error-in-2xx shape; 2xx is success',
        rateLimited: (retryAfter) => sink.reply({ status: 429, headers: { 'retry-after': retryAfter ?? '' } }),
        diskFull: 'no disk involved',
      },
      heal: () => sink.heal(),
      acted: () => [
        ...new Map(
          sink.requests.map((request) => [
            request.headers['idempotency-key'],
            String(request.headers['idempotency-key']).split(':')[0]!,
          ]),
        ).values(),
      ],
      idempotent: true,
      paths: () => sink.requests.map((request) => request.url),
      pathPattern: /^\/v1\/persons\/[^/]+\/notes$/,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  });

  test('hostile metadata values stay encoded inside the base path, or are refused', async () => {
    const config = {
      baseUrl: `${sink.url}/api/v1`,
      path: '/persons/{{ contact.metadata.CRM_CUSTOMER_ID }}',
      method: 'PUT',
      body: { x: 1 },
      refField: 'data.id',
    };
    const cases: [string, string | undefined][] = [
      ['../admin', '/api/v1/persons/..%2Fadmin'],
      ['../../../admin?x=1#f', '/api/v1/persons/..%2F..%2F..%2Fadmin%3Fx%3D1%23f'],
      ['//evil.example/x', '/api/v1/persons/%2F%2Fevil.example%2Fx'],
      ['@evil.example', '/api/v1/persons/%40evil.example'],
      ['%2e%2e', '/api/v1/persons/%252e%252e'],
      ['..', undefined],
      ['.', undefined],
    ];
    for (const [value, expected] of cases) {
      sink.requests.length = 0;
      const outcome = await deliverOne(config, event({ CRM_CUSTOMER_ID: value }));
      if (expected === undefined) {
        assert.equal(outcome.status, 'failed', value);
        assert.match((outcome as { reason: string }).reason, /"\." or "\.\." segment/);
        assert.equal(sink.requests.length, 0);
      } else {
        assert.equal(outcome.status, 'delivered', value);
        assert.equal(sink.requests[0]!.url, expected, value);
        assert.equal(sink.requests[0]!.method, 'PUT');
        assert.equal(sink.requests[0]!.headers.host, `127.0.0.1:${sink.port}`);
      }
    }
  });

  test('a ".." id never sends the token elsewhere; the preview says so; a CR/LF header value fails at once', async () => {
    const config = {
      baseUrl: `${sink.url}/v1`,
      path: '/persons/{{ contact.metadata.CRM_CUSTOMER_ID }}/notes',
      auth: { bearer: 'tok-123456' },
      headers: { 'X-Contact': '{{ contact.name }}' },
    };
    sink.requests.length = 0;
    const walked = await deliverOne(config, event({ CRM_CUSTOMER_ID: '..' }));
    assert.equal(walked.status, 'failed');
    assert.equal(sink.requests.length, 0);
    const connector = await definition.create(definition.config.parse(config), {
      name: 'c',
      log: console,
      configDir: '.',
      state: memoryState(),
    });
    const delivery = (e: RoutedEvent): Delivery => ({
      id: '1',
      idempotencyKey: 'k',
      attempt: 1,
      route: 'r',
      event: e,
      params: definition.params!.parse({}),
    });
    assert.throws(() => connector.preview!(delivery(event({ CRM_CUSTOMER_ID: '..' }))), /"\." or "\.\." segment/);
    const shown = connector.preview!(delivery(event({ CRM_CUSTOMER_ID: 'a b' }))) as { url: string };
    assert.equal(shown.url, `${sink.url}/v1/persons/a%20b/notes`);
    const injected = await deliverOne(config, {
      ...event({ CRM_CUSTOMER_ID: '7' }),
      contact: { name: 'Ann\r\nX: 1', metadata: { CRM_CUSTOMER_ID: '7' } },
    });
    assert.equal(injected.status, 'failed');
    assert.match((injected as { reason: string }).reason, /header "x-contact" has a CR or LF/);
    assert.equal(sink.requests.length, 0);
  });

  test('refuses templates or absolute URLs where the host is decided', () => {
    assert.equal(definition.config.safeParse({ baseUrl: 'https://{{ data.host }}/x', path: '/a' }).success, false);
    assert.equal(
      definition.config.safeParse({ baseUrl: 'https://api.example.com', path: 'https://evil.example/x' }).success,
      false,
    );
    assert.equal(
      definition.config.safeParse({ baseUrl: 'https://api.example.com', path: '//evil.example/x' }).success,
      false,
    );
    assert.equal(definition.params!.safeParse({ path: 'http://evil.example/' }).success, false);
  });

  test('missing required metadata is skipped; ref from the answer; 401 and 429', async () => {
    const config = {
      baseUrl: `${sink.url}/v1`,
      path: '/notes',
      requireMetadata: ['CRM_CUSTOMER_ID'],
      auth: { bearer: 'tok-123456' },
      refField: 'data.id',
    };
    const skippedOutcome = await deliverOne(config, event({}));
    assert.deepEqual(skippedOutcome, { status: 'skipped', reason: 'contact metadata CRM_CUSTOMER_ID is not set' });
    sink.requests.length = 0;
    const { exchange, ...done } = await deliverOne(config, event({ CRM_CUSTOMER_ID: '7' }));
    assert.deepEqual(done, { status: 'delivered', ref: '4711' });
    assert.equal(sink.requests[0]!.headers.authorization, 'Bearer tok-123456');
    // The request that decided it and its answer, credentials masked.
    assert.equal(exchange?.request?.url, `${sink.url}/v1/notes`);
    assert.equal(exchange?.request?.headers.authorization, 'Bearer [redacted]');
    assert.equal(exchange?.request?.body, sink.requests[0]!.body);
    assert.equal(exchange?.response?.status, 201);
    sink.reply({ status: 401, body: '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]' });
    const unauthorized = await deliverOne(config, event({ CRM_CUSTOMER_ID: '7' }));
    assert.equal(unauthorized.status, 'failed');
    assert.match((unauthorized as { reason: string }).reason, /INVALID_SESSION_ID/);
    sink.reply({ status: 429, headers: { 'retry-after': '3' } });
    const { exchange: limited, ...slowDown } = await deliverOne(config, event({ CRM_CUSTOMER_ID: '7' }));
    assert.deepEqual(slowDown, { status: 'retry', reason: 'HTTP 429: {"ok":true}', retryAfterMs: 3_000 });
    assert.equal(limited?.response?.status, 429);
  });

  test('a credential header of any name is masked in the recorded request', async () => {
    const config = {
      baseUrl: `${sink.url}/v1`,
      path: '/notes',
      auth: { header: 'X-Acme', value: 'acme-credential-99' },
    };
    sink.reply({ status: 500, body: 'down' });
    const outcome = await deliverOne(config, event({ CRM_CUSTOMER_ID: '7' }));
    assert.equal(outcome.status, 'retry');
    assert.equal(outcome.exchange?.request?.headers['x-acme'], '[redacted]');
    assert.ok(!JSON.stringify(outcome).includes('acme-credential-99'));
  });

  test('preview redacts credentials', async () => {
    const connector = await definition.create(
      definition.config.parse({ baseUrl: `${sink.url}/v1`, path: '/notes', auth: { bearer: 'tok-123456' } }),
      { name: 'c', log: console, configDir: '.', state: memoryState() },
    );
    const preview = connector.preview!({
      id: '1',
      idempotencyKey: 'k',
      attempt: 1,
      route: 'r',
      event: event({}),
      params: definition.params!.parse({}),
    });
    assert.ok(!JSON.stringify(preview).includes('tok-123456'));
  });
});
