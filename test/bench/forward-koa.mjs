// Second baseline of the ingest benchmark: the least any router must do per webhook here. A bare
// Koa app that reads the body, parses the JSON, answers 200 and then POSTs a small JSON body to the
// sink over a keep-alive pool, like the router's http route, but with no checking, no storage and
// no retries. Its sink runs on the same two cores, as the router's does. Prints its port on stdout;
// argv[2] is the sink's port.
import http from 'node:http';
import Koa from 'koa';
import getRawBody from 'raw-body';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
const sinkPort = Number(process.argv[2]);

function forward(payload) {
  const body = JSON.stringify(payload);
  const request = http.request({
    host: '127.0.0.1',
    port: sinkPort,
    path: '/in',
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  request.on('response', (response) => response.resume());
  request.on('error', () => {});
  request.end(body);
}

const app = new Koa();
app.use(async (ctx) => {
  const body = await getRawBody(ctx.req, { limit: 1024 * 1024, encoding: 'utf8' });
  const item = JSON.parse(body);
  ctx.body = { ok: true };
  setImmediate(forward, { id: item.data?.id, sentAt: item.data?.body });
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
