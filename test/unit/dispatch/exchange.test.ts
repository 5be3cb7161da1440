import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttemptCapture } from '../../../src/domain/delivery.ts';
import { exchangeRecorder } from '../../../src/dispatch/exchange.ts';
import { delivered, type Outcome, retry, skipped, withExchange } from '../../../src/sdk/index.ts';

const SECRET = 'cfg-secret-value-7f3a9c2e';

function recorder(mode: AttemptCapture, secrets: string[] = []) {
  const warnings: string[] = [];
  const record = exchangeRecorder({ mode: () => mode, secrets: () => secrets, warn: (p) => warnings.push(p) });
  return { record, warnings };
}

const sent = {
  request: { method: 'POST', url: 'https://x.example/in', headers: { authorization: 'Bearer abc' }, body: '{}' },
  response: { status: 500, headers: {}, body: 'down' },
};

test('exchange recorder: `failures` keeps retry and failed attempts, `all` every one, `off` none', () => {
  const outcomes: Outcome[] = [
    withExchange(delivered('200'), sent),
    withExchange(skipped('no id'), sent),
    withExchange(retry('HTTP 500'), sent),
    withExchange({ status: 'failed', reason: 'HTTP 422' }, sent),
  ];
  const kept = (mode: AttemptCapture) => outcomes.map((outcome) => recorder(mode).record(outcome) !== undefined);
  assert.deepEqual(kept('failures'), [false, false, true, true]);
  assert.deepEqual(kept('all'), [true, true, true, true]);
  assert.deepEqual(kept('off'), [false, false, false, false]);
  assert.equal(recorder('all').record(delivered('200')), undefined, 'nothing reported, nothing recorded');
});

test('exchange recorder: an exchange a plugin made by hand is masked and cut like the SDK does', () => {
  const { record, warnings } = recorder('all');
  const outcome = {
    status: 'retry',
    reason: 'HTTP 503',
    exchange: {
      request: {
        method: 'POST',
        url: 'https://u:p@x.example/in?api_key=k1',
        headers: { 'X-Api-Key': 'k1', accept: 'application/json' },
        body: 'b'.repeat(9_000),
      },
      response: { status: 503, headers: { 'set-cookie': ['a=1'] }, body: 'busy' },
    },
  } as unknown as Outcome;
  const exchange = record(outcome)!;
  assert.equal(exchange.request?.url, 'https://[redacted]@x.example/in?api_key=[redacted]');
  assert.deepEqual(exchange.request?.headers, { 'X-Api-Key': '[redacted]', accept: 'application/json' });
  assert.match(exchange.request!.body!, /^b{4096}\n\[… 4904 more bytes not shown\]$/);
  assert.deepEqual(exchange.response, { status: 503, headers: { 'set-cookie': '[redacted]' }, body: 'busy' });
  assert.deepEqual(warnings, []);
});

test('exchange recorder: a malformed exchange is dropped with one warning, never thrown', () => {
  const { record, warnings } = recorder('all');
  const bad: unknown[] = [
    'text',
    { request: { url: 'https://x' } },
    { request: { method: 'GET', url: 'https://x', headers: { a: { nested: true } } } },
    { response: { status: 'teapot' } },
    { response: { status: 200, body: 42 } },
    {
      get request() {
        throw new Error('getter failed');
      },
    },
  ];
  for (const exchange of bad) assert.equal(record({ status: 'retry', reason: 'x', exchange } as Outcome), undefined);
  assert.equal(warnings.length, 1, 'said once per connector');
  assert.match(warnings[0]!, /exchange is not an object/);
});

test("exchange recorder: the config's secret values are removed, even the start of one cut at 4 KB", () => {
  const { record } = recorder('all', [SECRET]);
  const cutInside = `${'a'.repeat(4096 - 10)}${SECRET}${'z'.repeat(100)}`;
  const exchange = record(
    withExchange(retry('HTTP 500'), {
      request: {
        method: 'POST',
        url: `https://x.example/${SECRET}/in`,
        headers: { 'x-custom': SECRET },
        body: cutInside,
      },
      response: { status: 500, headers: {}, body: `echo: ${SECRET}` },
    }),
  )!;
  const text = JSON.stringify(exchange);
  assert.ok(!text.includes(SECRET.slice(0, 10)), text.slice(-200));
  assert.equal(exchange.request?.url, 'https://x.example/[redacted]/in');
  assert.equal(exchange.request?.headers['x-custom'], '[redacted]');
  assert.equal(exchange.response?.body, 'echo: [redacted]');
  assert.match(exchange.request!.body!, /a\[redacted\]\n\[… \d+ more bytes not shown\]$/);
});
