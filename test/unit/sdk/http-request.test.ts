import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { httpRequest } from '../../../src/sdk/http-request.ts';

test("32 requests in flight, twice over: the second wave reuses the first wave's connections", async (t) => {
  let connections = 0;
  let waiting: (() => void)[] = [];
  const server = createServer((req, res) => {
    req.resume();
    // Hold each wave until all 32 have arrived, so 32 sockets are busy at once.
    waiting.push(() => res.end('{"ok":true}'));
    if (waiting.length === 32) {
      for (const answer of waiting) answer();
      waiting = [];
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  server.keepAliveTimeout = 10_000;
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/in`;
  const wave = () =>
    Promise.all(
      Array.from({ length: 32 }, () =>
        httpRequest(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }),
      ),
    );
  const first = await wave();
  assert.ok(first.every((response) => response.status === 200));
  assert.equal(connections, 32);
  await new Promise((resolve) => setImmediate(resolve)); // sockets go back to the pool
  const second = await wave();
  assert.ok(second.every((response) => response.status === 200));
  assert.equal(connections, 32, 'no new connection: every idle socket was kept');
  server.closeAllConnections();
});

test('credentials in the URL are sent as Basic auth, never in the request line; a set Authorization wins', async (t) => {
  const seen: { url: string; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as { port: number }).port;
  await httpRequest(`http://hook:p%40ss@127.0.0.1:${port}/in?x=1`, { body: '{}' });
  await httpRequest(`http://hook:p%40ss@127.0.0.1:${port}/in`, { body: '{}', headers: { Authorization: 'Bearer t' } });
  await httpRequest(`http://hook:50%zz@127.0.0.1:${port}/odd`, { body: '{}' });
  assert.deepEqual(seen, [
    { url: '/in?x=1', authorization: `Basic ${Buffer.from('hook:p@ss').toString('base64')}` },
    { url: '/in', authorization: 'Bearer t' },
    { url: '/odd', authorization: `Basic ${Buffer.from('hook:50%zz').toString('base64')}` },
  ]);
  server.closeAllConnections();
});

test('the response body is read up to maxResponseBytes and the rest discarded, the connection kept', async (t) => {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    res.end('x'.repeat(100_000));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/big`;
  const first = await httpRequest(url, { maxResponseBytes: 10 });
  await new Promise((resolve) => setImmediate(resolve)); // the socket goes back to the pool
  const second = await httpRequest(url, { maxResponseBytes: 10 });
  assert.equal(first.body, 'x'.repeat(10));
  assert.equal(second.body, 'x'.repeat(10));
  assert.equal(connections, 1, 'the discarded rest did not cost the connection');
  server.closeAllConnections();
});
