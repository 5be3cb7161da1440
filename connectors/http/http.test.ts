import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkConnector, memoryState } from '../../src/sdk/testing.ts';
import type { ConnectorDefinition, Delivery } from '../../src/sdk/index.ts';
import { HttpSink } from '../../test/testkit/http-sink.ts';
import http from './index.ts';

const definition = http as unknown as ConnectorDefinition;

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

  test('event values in the URL are percent-encoded and cannot change path or host', async () => {
    sink.requests.length = 0;
    const outcome = await deliverOne({ url: `${sink.url}/chats/{{ chat.id }}` }, sink);
    assert.equal(outcome.status, 'delivered');
    assert.equal(sink.requests[0]!.url, '/chats/..%2F..%2Fadmin%3Fx%3D1%23');
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

  test('refuses a url whose host is a template', () => {
    const parsed = definition.config.safeParse({ url: 'https://{{ data.host }}/x' });
    assert.equal(parsed.success, false);
  });
});
