// Second baseline of the ingest benchmark: the least any router must do per webhook here. A bare
// Koa app that reads the body, parses the JSON, answers 200 and then POSTs a small JSON body to the
// sink over a keep-alive pool, like the router's http route, but with no checking, no storage and
// no retries. Its sink runs on the same two cores, as the router's does. Prints its port on stdout;
// argv[2] is the sink's port. It sends with the same client as the router (undici, one pool of 64
// connections), so the cheaper client lowers both sides and the ratio shows only what the router
// adds.
import Koa from 'koa';
import getRawBody from 'raw-body';
import { Agent, request } from 'undici';

const dispatcher = new Agent({ connections: 64 });
const sinkUrl = `http://127.0.0.1:${Number(process.argv[2])}/in`;

function forward(payload) {
  const body = JSON.stringify(payload);
  request(sinkUrl, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
  }).then(
    (response) => response.body.dump(),
    () => {},
  );
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
