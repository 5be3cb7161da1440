import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { checkConnector, checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import type { ConnectorDefinition, Delivery } from '../../src/sdk/index.ts';
import { HttpSink } from '../../test/testkit/http-sink.ts';
import http from './index.ts';

const definition = http as unknown as ConnectorDefinition;

function deliveryWith(body: string): Delivery {
  return {
    id: '1',
    idempotencyKey: 'evt_1:h',
    attempt: 1,
    route: 'r',
    params: definition.params!.parse({}),
    event: {
      id: 'evt_1',
      event: 'message:in:new',
      receivedAt: 'now',
      device: { id: 'd' },
      message: { id: 'M1', type: 'text', body, fromMe: false },
      data: {},
    },
  };
}

async function create(config: unknown) {
  return definition.create(definition.config.parse(config), {
    name: 'h',
    log: console,
    configDir: '.',
    state: memoryState(),
  });
}

async function deliverOne(config: unknown, sink: HttpSink) {
  const parsed = definition.config.parse(config);
  const connector = await definition.create(parsed, { name: 'h', log: console, configDir: '.', state: memoryState() });
  const delivery: Delivery = {
    id: '1',
    idempotencyKey: 'evt_1:h',
    attempt: 1,
    route: 'r',
    params: undefined,
    event: {
      id: 'evt_1',
      event: 'message:in:new',
      receivedAt: 'now',
      device: { id: 'd' },
      chat: { id: '../../admin?x=1#', type: 'user', labels: [] },
      data: {},
    },
  };
  void sink;
  return (await connector.deliver([delivery], AbortSignal.timeout(5_000)))[0]!;
}

describe('http connector', () => {
  let sink: HttpSink;
  before(async () => {
    sink = await HttpSink.start();
  });
  after(() => sink.close());

  test('conforms to the connector contract against a local endpoint', async () => {
    assert.deepEqual(await checkConnector(definition, { config: { url: `${sink.url}/in` } }), []);
    assert.equal(sink.requests.length, 3);
  });

  test('meets the fault-conformance suite (the sink honours Idempotency-Key, as the header asks)', async (t) => {
    sink.requests.length = 0;
    const report = await checkConnectorFaults(definition, {
      config: { url: `${sink.url}/hook/{{ message.body }}`, headers: { 'X-Contact': '{{ contact.name }}' } },
      faults: {
        lostAnswer: () => sink.reply({ hang: true }),
        resetAfterActing: () => sink.reply({ drop: true }),
        hang: () => sink.reply({ hang: true }),
        garbage: () => sink.reply({ status: 200, body: '<html>oops' }),
        errorIn200: 'a 2xx is success for a generic endpoint: the http connector cannot know an error is inside',
        rateLimited: (retryAfter) => sink.reply({ status: 429, headers: { 'retry-after': retryAfter ?? '' } }),
        diskFull: 'no disk involved',
      },
      heal: () => sink.heal(),
      acted: () => {
        const keys = new Set<string>();
        const ids: string[] = [];
        for (const request of sink.requests) {
          const key = String(request.headers['idempotency-key']);
          if (keys.has(key)) continue;
          keys.add(key);
          ids.push(key.split(':')[0]!);
        }
        return ids;
      },
      idempotent: true,
      paths: () => sink.requests.map((request) => request.url),
      pathPattern: /^\/hook\/[^/]+$/,
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  });

  test('event values in the URL are percent-encoded and cannot change path or host', async () => {
    sink.requests.length = 0;
    const outcome = await deliverOne({ url: `${sink.url}/chats/{{ chat.id }}` }, sink);
    assert.equal(outcome.status, 'delivered');
    assert.equal(sink.requests[0]!.url, '/chats/..%2F..%2Fadmin%3Fx%3D1%23');
  });

  test('"." and ".." from event data cannot walk the URL path; the preview shows the URL really requested', async () => {
    const connector = await create({ url: `${sink.url}/hook/{{ message.body }}` });
    for (const body of ['..', '.', '%2e%2e']) {
      sink.requests.length = 0;
      const [outcome] = await connector.deliver([deliveryWith(body)], AbortSignal.timeout(5_000));
      if (body === '%2e%2e') {
        // Encoded by the template: one harmless segment.
        assert.equal(outcome!.status, 'delivered');
        assert.equal(sink.requests[0]!.url, '/hook/%252e%252e');
        continue;
      }
      assert.equal(outcome!.status, 'failed', body);
      assert.match((outcome as { reason: string }).reason, /"\." or "\.\." segment/);
      assert.equal(sink.requests.length, 0, `nothing is sent for ${body}`);
      assert.throws(() => connector.preview!(deliveryWith(body)), /"\." or "\.\." segment/);
    }
    const raw = await create({ url: `${sink.url}/v1/persons/{{ message.body | raw }}/notes` });
    const [walked] = await raw.deliver([deliveryWith('a/../..')], AbortSignal.timeout(5_000));
    assert.equal(walked!.status, 'failed', 'even unencoded (| raw) values cannot walk the path');
    const preview = connector.preview!(deliveryWith('a b')) as { url: string };
    assert.equal(preview.url, `${sink.url}/hook/a%20b`);
    const dotted = await create({ url: `${sink.url}/a/./b/{{ message.body }}` });
    assert.throws(() => dotted.preview!(deliveryWith('x')), /segment/, 'a literal dot segment is refused too');
  });

  test('a header value with CR/LF or beyond Latin-1 fails at once, naming the header', async () => {
    const connector = await create({ url: `${sink.url}/x`, headers: { 'X-Text': '{{ message.body }}' } });
    for (const body of ['a\r\nInjected: yes', 'emoji 😀', 'nul\u0000']) {
      sink.requests.length = 0;
      const [outcome] = await connector.deliver([deliveryWith(body)], AbortSignal.timeout(5_000));
      assert.equal(outcome!.status, 'failed', JSON.stringify(body));
      assert.match((outcome as { reason: string }).reason, /header "x-text"/);
      assert.equal(sink.requests.length, 0);
    }
    const [latin1] = await connector.deliver([deliveryWith('café')], AbortSignal.timeout(5_000));
    assert.equal(latin1!.status, 'delivered', 'Latin-1 is a valid header value');
  });

  test('signs requests the Standard Webhooks way; a receiver verifies them with the README snippet', async () => {
    sink.requests.length = 0;
    const secret = `whsec_${Buffer.from('a test signing key, 32 bytes!!!!').toString('base64')}`;
    const connector = await create({ url: `${sink.url}/signed`, signing: { secret } });
    const delivery = deliveryWith('héllo "quoted"');
    assert.equal((await connector.deliver([delivery], AbortSignal.timeout(5_000)))[0]!.status, 'delivered');
    await connector.deliver([{ ...delivery, attempt: 2 }], AbortSignal.timeout(5_000));
    const [first, retried] = sink.requests;
    // The receiver's side, as in connectors/http/README.md:
    const verify = (headers: Record<string, string | string[] | undefined>, body: string): boolean => {
      const id = String(headers['webhook-id']);
      const timestamp = String(headers['webhook-timestamp']);
      if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 5 * 60) return false;
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
      return String(headers['webhook-signature'])
        .split(' ')
        .some((entry) => {
          const [version, signature = ''] = entry.split(',');
          const given = Buffer.from(signature, 'base64');
          return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
        });
    };
    assert.ok(verify(first!.headers, first!.body));
    assert.ok(!verify(first!.headers, `${first!.body} `), 'a changed body fails');
    assert.equal(first!.headers['webhook-id'], 'evt_1:h', 'the id is the idempotency key…');
    assert.equal(retried!.headers['webhook-id'], 'evt_1:h', '…the same on a retry');
    assert.equal(first!.headers['idempotency-key'], 'evt_1:h', 'the idempotency key header stays');
    const preview = JSON.stringify(connector.preview!(delivery));
    assert.ok(!preview.includes(secret.slice(6)), 'the preview never shows the secret');
    assert.match(preview, /webhook-signature/);
    const bad = definition.config.safeParse({ url: `${sink.url}/x`, signing: { secret: 'whsec_hunter2' } });
    assert.equal(bad.success, false);
    assert.ok(!JSON.stringify(bad.error?.issues.map((issue) => issue.message)).includes('hunter2'));
    assert.equal(definition.config.safeParse({ url: `${sink.url}/x`, signing: { secret: 'hunter2' } }).success, false);
  });

  test('maps statuses: 2xx delivered, 429 retry with Retry-After, 5xx retry, 4xx failed, redirect failed', async () => {
    const cases: [number, Record<string, string>, string, number | undefined][] = [
      [201, {}, 'delivered', undefined],
      [429, { 'retry-after': '7' }, 'retry', 7_000],
      [503, {}, 'retry', undefined],
      [408, {}, 'retry', undefined],
      [404, {}, 'failed', undefined],
      [302, { location: 'http://elsewhere.example/' }, 'failed', undefined],
    ];
    for (const [status, headers, expected, retryAfterMs] of cases) {
      sink.reply({ status, headers });
      const outcome = await deliverOne({ url: `${sink.url}/x` }, sink);
      assert.equal(outcome.status, expected, `HTTP ${status}`);
      if (retryAfterMs !== undefined) assert.equal((outcome as { retryAfterMs?: number }).retryAfterMs, retryAfterMs);
    }
  });

  test('a refused connection is a retry', async () => {
    const closed = await HttpSink.start();
    const url = closed.url;
    await closed.close();
    const outcome = await deliverOne({ url: `${url}/x` }, sink);
    assert.equal(outcome.status, 'retry');
    assert.match((outcome as { reason: string }).reason, /ECONNREFUSED/);
  });

  test("each outcome carries the request as sent and the answer, secrets masked, for the event's timeline", async () => {
    const secret = `whsec_${Buffer.from('another signing key of 32 bytes!').toString('base64')}`;
    const connector = await create({
      url: `${sink.url}/in?token=${'t0k3n-in-url'}`,
      headers: { Authorization: 'Bearer bearer-secret-1234' },
      signing: { secret },
    });
    sink.reply({ status: 503, headers: { 'retry-after': '2' }, body: '{"error":"busy"}' });
    const [outcome] = await connector.deliver([deliveryWith('hello')], AbortSignal.timeout(5_000));
    assert.equal(outcome!.status, 'retry');
    const { request, response } = outcome!.exchange!;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, `${sink.url}/in?token=[redacted]`);
    assert.equal(request?.headers.authorization, 'Bearer [redacted]');
    assert.equal(request?.headers['webhook-signature'], '[redacted]');
    assert.equal(request?.headers['idempotency-key'], 'evt_1:h');
    assert.equal(request?.body, sink.requests.at(-1)!.body);
    assert.deepEqual(
      [response?.status, response?.headers['retry-after'], response?.body],
      [503, '2', '{"error":"busy"}'],
    );
    const text = JSON.stringify(outcome);
    for (const hidden of ['bearer-secret-1234', 't0k3n-in-url', secret.slice(6)]) assert.ok(!text.includes(hidden));

    const closed = await HttpSink.start();
    const closedUrl = closed.url;
    await closed.close();
    const [refused] = await (await create({ url: `${closedUrl}/x` })).deliver(
      [deliveryWith('x')],
      AbortSignal.timeout(5_000),
    );
    assert.equal(refused!.status, 'retry');
    assert.equal(refused!.exchange?.request?.url, `${closedUrl}/x`, 'no answer: the request alone');
    assert.equal(refused!.exchange?.response, undefined);
  });

  test('refuses a url whose host is a template', () => {
    const parsed = definition.config.safeParse({ url: 'https://{{ data.host }}/x' });
    assert.equal(parsed.success, false);
  });
});
