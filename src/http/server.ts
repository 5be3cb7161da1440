import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import type { Ingest } from '../ingest/ingest.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { discardBody } from './body.ts';
import { secretMatches } from './auth.ts';
import { HttpProblem } from './problem.ts';
import { requestFields, requestId } from './request-id.ts';
import { type AccessLog, logRejected, webhookHandler, type WebhookSettings } from './webhook.ts';

export interface HttpDeps {
  readonly path: string;
  readonly settings: () => WebhookSettings;
  readonly ingest: Ingest;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Resolves when the router can take webhooks (store reachable, config loaded); throws otherwise. */
  readonly ready: () => Promise<void>;
  /** Extra routes (admin API, console) mounted by the composition root. */
  readonly extend?: (router: Router) => void;
  /** `log.access`: the info line per accepted webhook (see AccessLog). */
  readonly accessLog?: () => AccessLog;
  /** Bearer token /metrics requires; empty: open. */
  readonly metricsToken?: () => string;
  /**
   * What this listener serves besides /healthz and /readyz: the webhook path, and the operator
   * routes (/metrics and `extend`). Both by default; admin.port splits them over two listeners.
   */
  readonly serve?: { readonly webhook: boolean; readonly operator: boolean };
}

/** How often Node looks for connections past their header or request timeout. */
export const CONNECTIONS_CHECK_MS = 1_000;

/** An unread body is read and discarded before a 4xx up to this size (or 4 × bodyLimit, if larger). */
export const DISCARD_MIN_BYTES = 16 * 1024 * 1024;

/** The Koa app: webhook receiver, health, metrics. Errors become JSON `{ ok: false, error, message }`. */
export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  const router = new Router();

  const serve = deps.serve ?? { webhook: true, operator: true };
  if (serve.webhook) router.post(deps.path, webhookHandler(deps));
  router.get('/healthz', (ctx) => {
    ctx.body = { ok: true };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await deps.ready();
      ctx.body = { ok: true };
    } catch (error) {
      ctx.status = 503;
      ctx.body = { ok: false, error: 'not_ready', message: error instanceof Error ? error.message : String(error) };
    }
  });
  if (serve.operator) {
    router.get('/metrics', async (ctx) => {
      const token = deps.metricsToken?.() ?? '';
      if (token !== '' && !secretMatches(/^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1], token)) {
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new HttpProblem(401, 'unauthorized', 'metrics.token is set: send Authorization: Bearer <token>');
      }
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
    });
    deps.extend?.(router);
  }

  app.use(requestId);
  app.use(async function problems(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        throw new HttpProblem(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
      if (ctx.status === 405)
        throw new HttpProblem(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    } catch (error) {
      const problem = error instanceof HttpProblem ? error : undefined;
      if (!problem) deps.log.error({ err: error, path: ctx.path, ...requestFields(ctx) }, 'Request failed.');
      const answer = problem ?? new HttpProblem(500, 'internal_error', 'internal error');
      if (ctx.path === deps.path && serve.webhook) {
        deps.metrics.webhooks.inc({ result: answer.code });
        if (answer.status < 500) logRejected(deps.log, ctx, answer);
      }
      // Answering and closing while the client still sends its body would reset the connection
      // and lose the answer: read the rest first (bounded). A 408 goes out at once: that client
      // is too slow to wait for.
      if (answer.status !== 408) {
        const { bodyLimit, requestTimeout } = deps.settings();
        await discardBody(ctx.req, Math.max(DISCARD_MIN_BYTES, 4 * bodyLimit), requestTimeout ?? 30_000);
      }
      ctx.status = answer.status;
      ctx.body = answer.toJSON();
      // The client sent what was refused (too large, unauthenticated…): do not keep its connection.
      if (answer.status === 413 || answer.status === 401 || answer.status === 415 || answer.status === 408)
        ctx.set('Connection', 'close');
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.silent = true;
  return app;
}

/**
 * The HTTP server of an app. Node enforces headersTimeout and requestTimeout only when it sweeps
 * its connections, every `connectionsCheckingInterval` (30 s by default): a client that never
 * finishes its headers would keep its socket 30 s past the timeout. Sweep every second instead.
 */
export function createHttpServer(app: Koa): Server {
  return createServer({ connectionsCheckingInterval: CONNECTIONS_CHECK_MS }, app.callback());
}

/** Take the port (rejects with EADDRINUSE and the like); returns the port bound. */
export async function listen(
  server: Server,
  at: { readonly port: number; readonly host: string; readonly requestTimeout: number },
): Promise<number> {
  server.listen({ port: at.port, host: at.host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.requestTimeout = at.requestTimeout;
  server.headersTimeout = Math.min(at.requestTimeout, 20_000);
  server.keepAliveTimeout = 65_000;
  return (server.address() as AddressInfo).port;
}
