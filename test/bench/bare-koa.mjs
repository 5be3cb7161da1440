// Baseline for the ingest benchmark: a bare Koa app that reads the body, parses the JSON and
// answers 200. Prints its port on stdout. Plain JavaScript, run by node like the built router.
import Koa from 'koa';
import getRawBody from 'raw-body';

const app = new Koa();
app.use(async (ctx) => {
  const body = await getRawBody(ctx.req, { limit: 1024 * 1024, encoding: 'utf8' });
  JSON.parse(body);
  ctx.body = { ok: true };
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
