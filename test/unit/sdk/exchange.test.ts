import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CAPTURE_BODY_BYTES,
  captureBody,
  captureExchange,
  delivered,
  httpRequest,
  isSecretName,
  maskHeaders,
  maskUrl,
  retry,
  withExchange,
} from '../../../src/sdk/index.ts';

const TOKEN = 'sk_live_51HqZzTopSecretValue';

test('capture: a Bearer token keeps its scheme, a signature header and the other secret names are masked', () => {
  const headers = maskHeaders({
    Authorization: `Bearer ${TOKEN}`,
    'proxy-authorization': `Basic ${Buffer.from('me:pw').toString('base64')}`,
    'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    'x-hub-signature-256': 'sha256=abc',
    'x-api-key': TOKEN,
    token: TOKEN,
    cookie: `session=${TOKEN}`,
    'set-cookie': [`a=${TOKEN}`, 'b=2'],
    'X-Client-Secret': TOKEN,
    'idempotency-key': 'evt_1:sink',
    'wa-idempotency-key': 'evt_1:events',
    'content-type': 'application/json',
    'content-length': 42,
  });
  assert.deepEqual(headers, {
    Authorization: 'Bearer [redacted]',
    'proxy-authorization': 'Basic [redacted]',
    'webhook-signature': '[redacted]',
    'x-hub-signature-256': '[redacted]',
    'x-api-key': '[redacted]',
    token: '[redacted]',
    cookie: '[redacted]',
    'set-cookie': '[redacted]',
    'X-Client-Secret': '[redacted]',
    'idempotency-key': 'evt_1:sink',
    'wa-idempotency-key': 'evt_1:events',
    'content-type': 'application/json',
    'content-length': '42',
  });
  assert.equal(maskHeaders({ authorization: TOKEN }).authorization, '[redacted]', 'no scheme: all of it');
  assert.equal(maskHeaders({ 'x-acme': TOKEN }, ['X-Acme'])['x-acme'], '[redacted]', 'names a connector adds');
  assert.deepEqual(maskHeaders(new Headers({ Authorization: `Bearer ${TOKEN}`, accept: '*/*' })), {
    authorization: 'Bearer [redacted]',
    accept: '*/*',
  });
  assert.ok(isSecretName('X-Auth-Token') && isSecretName('sig') && !isSecretName('accept-encoding'));
});

test('capture: secrets in URLs (userinfo, query and fragment parameters) are masked; the rest is kept as written', () => {
  assert.equal(
    maskUrl(
      `https://user:${TOKEN}@api.example.com/v1/x?token=${TOKEN}&page=2&api_key=${TOKEN}&sig=abc%2F#access_token=t`,
    ),
    'https://[redacted]@api.example.com/v1/x?token=[redacted]&page=2&api_key=[redacted]&sig=[redacted]#access_token=[redacted]',
  );
  assert.equal(
    maskUrl('http://127.0.0.1:9/events/message%3Ain%3Anew?x=1'),
    'http://127.0.0.1:9/events/message%3Ain%3Anew?x=1',
  );
  assert.equal(maskUrl('whatsapp.events'), 'whatsapp.events');
  const once = maskUrl(`https://u:p@h/p?key=${TOKEN}`);
  assert.equal(maskUrl(once), once, 'masking twice changes nothing');
});

test('capture: a 10 KB body keeps its first 4096 bytes and says how much was cut', () => {
  const body = JSON.stringify({ text: 'x'.repeat(10_240) });
  const kept = captureBody(body)!;
  const [head, marker] = kept.split('\n');
  assert.equal(Buffer.byteLength(head!), CAPTURE_BODY_BYTES);
  assert.ok(body.startsWith(head!));
  assert.equal(marker, `[… ${Buffer.byteLength(body) - CAPTURE_BODY_BYTES} more bytes not shown]`);
  assert.equal(captureBody(kept), kept, 'cutting twice changes nothing');
  assert.equal(captureBody(Buffer.from(body)), kept, 'bytes are cut alike');
  assert.equal(captureBody('{"ok":true}'), '{"ok":true}');
  assert.equal(captureBody(''), undefined);
  // A client that stopped reading tells the whole size.
  assert.match(captureBody('{"a":1}', { size: 20_000 })!, /\[… 19993 more bytes not shown\]$/);
});

test('capture: a multibyte character across the 4 KB boundary is left out whole, never split', () => {
  const euro = '€'; // 3 bytes in UTF-8
  for (const body of [`${'a'.repeat(4094)}${euro}tail`, `${'a'.repeat(4095)}😀tail`]) {
    for (const input of [body, Buffer.from(body)]) {
      const kept = captureBody(input)!;
      const head = kept.split('\n')[0]!;
      assert.ok(!head.includes('\ufffd'), 'no broken character');
      assert.ok(Buffer.byteLength(head) <= CAPTURE_BODY_BYTES);
      assert.equal(head, body.slice(0, head.length));
      assert.ok(/^a+$/.test(head), 'the character that does not fit is left out');
      assert.match(
        kept,
        new RegExp(`\\[… ${Buffer.byteLength(body) - Buffer.byteLength(head)} more bytes not shown\\]$`),
      );
    }
  }
  const exactly = `${'a'.repeat(4093)}€`;
  assert.equal(captureBody(exactly), exactly, 'a body of exactly 4096 bytes is kept whole');
});

test('capture: any text is cut at the longest prefix of whole characters within 4096 bytes', () => {
  const piece = fc.constantFrom('a', '{', 'é', 'ß', '€', '中', '😀', '👍🏽', ' ');
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1_000, maxLength: 4_200 }), (pieces) => {
      const text = pieces.join('');
      let bytes = 0;
      let expected = '';
      for (const char of text) {
        const size = Buffer.byteLength(char);
        if (bytes + size > CAPTURE_BODY_BYTES) break;
        bytes += size;
        expected += char;
      }
      const kept = captureBody(text)!;
      const cut = Buffer.byteLength(text) - bytes;
      assert.equal(kept, cut === 0 ? text : `${expected}\n[… ${cut} more bytes not shown]`);
      assert.equal(captureBody(Buffer.from(text)), kept, 'bytes are cut at the same place');
    }),
    { numRuns: 200 },
  );
  assert.equal(captureBody('a\ud800b\udc00'), 'a\ufffdb\ufffd', 'lone surrogates become U+FFFD');
  assert.deepEqual(maskHeaders({ 'x-a\u0000': 'v\u0000' }), { 'x-a': 'v' }, 'NUL is dropped');
});

test('capture: binary bodies are described, not dumped', () => {
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    Buffer.alloc(5000),
  ]);
  assert.equal(captureBody(png), `[binary body, ${png.length} bytes]`);
  assert.equal(captureBody(png, { contentType: 'image/png' }), `[binary body, ${png.length} bytes, image/png]`);
  assert.equal(
    captureBody('%PDF-1.7 …', { contentType: 'application/pdf' }),
    '[binary body, 12 bytes, application/pdf]',
  );
  assert.equal(captureBody(png.toString('utf8')), `[binary body, ${Buffer.byteLength(png.toString('utf8'))} bytes]`);
  const exchange = captureExchange({
    response: { status: 200, headers: { 'content-type': 'image/jpeg' }, body: Buffer.from([0xff, 0xd8, 0xff]) },
  });
  assert.equal(exchange.response?.body, '[binary body, 3 bytes, image/jpeg]');
});

test('capture: an exchange is masked and cut, frozen, and never carries the secret', () => {
  const exchange = captureExchange({
    request: {
      method: 'POST',
      url: `https://api.example.com/in?token=${TOKEN}`,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: 'y'.repeat(10_000),
    },
    response: { status: 500, headers: { 'set-cookie': [`s=${TOKEN}`] }, body: '{"error":"down"}' },
  });
  assert.ok(!JSON.stringify(exchange).includes(TOKEN));
  assert.equal(exchange.request?.headers.authorization, 'Bearer [redacted]');
  assert.equal(exchange.response?.status, 500);
  assert.equal(exchange.response?.body, '{"error":"down"}');
  assert.ok(Object.isFrozen(exchange) && Object.isFrozen(exchange.request?.headers));
  assert.equal(captureExchange(exchange), exchange, 'a capture is taken as it is');
  assert.deepEqual(
    captureExchange(JSON.parse(JSON.stringify(exchange))),
    exchange,
    'and masking it again changes nothing',
  );
});

test('withExchange: the capture is built only when read, once; the outcome is otherwise unchanged', () => {
  let reads = 0;
  const request = {
    get method() {
      reads++;
      return 'POST';
    },
    url: 'https://x.example/in',
    headers: { authorization: `Bearer ${TOKEN}` },
  };
  const outcome = withExchange(retry('HTTP 500', 1_000), { request });
  assert.equal(reads, 0, 'attaching builds nothing');
  assert.equal(outcome.status, 'retry');
  assert.equal(outcome.status === 'retry' && outcome.retryAfterMs, 1_000);
  assert.equal(outcome.exchange?.request?.headers.authorization, 'Bearer [redacted]');
  assert.equal(outcome.exchange?.request?.headers.authorization, 'Bearer [redacted]');
  assert.equal(reads, 1, 'built once');
  assert.ok(!JSON.stringify(outcome).includes(TOKEN));
  const plain = delivered('200');
  assert.equal(withExchange(plain, undefined), plain, 'nothing to attach: the same outcome');
  const again = withExchange(outcome, { response: { status: 200, headers: {} } });
  assert.deepEqual(
    again.exchange,
    { response: { status: 200, headers: {} } },
    'a later exchange replaces the earlier one',
  );
});

test('httpRequest: its answer carries the request as sent and the response, ready for withExchange', async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(503, { 'content-type': 'text/plain', 'set-cookie': `s=${TOKEN}` });
    res.end('z'.repeat(6_000));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook?key=${TOKEN}`;
  const response = await httpRequest(url, {
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: '{"hello":"world"}',
    maxResponseBytes: 4096,
  });
  const outcome = withExchange(retry('HTTP 503'), response.exchange);
  const { request, response: answer } = outcome.exchange!;
  assert.equal(request?.method, 'POST');
  assert.equal(request?.url, url.replace(TOKEN, '[redacted]'));
  assert.equal(request?.headers.authorization, 'Bearer [redacted]');
  assert.equal(request?.headers['content-length'], '17');
  assert.equal(request?.body, '{"hello":"world"}');
  assert.equal(answer?.status, 503);
  assert.equal(answer?.headers['set-cookie'], '[redacted]');
  assert.equal(answer?.body, `${'z'.repeat(4096)}\n[… 1904 more bytes not shown]`);
  assert.ok(!JSON.stringify(outcome).includes(TOKEN));
  server.closeAllConnections();
});
