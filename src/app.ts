import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinConnectors } from '../connectors/index.ts';
import { adminRoutes } from './admin/index.ts';
import { loadConfig, type LoadResult, type RouterConfig } from './config/load.ts';
import { formatIssues } from './config/issues.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { createHttpApp, createHttpServer } from './http/server.ts';
import { createIngest } from './ingest/ingest.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { ConnectorRegistry } from './registry/registry.ts';
import { RoutingLoop } from './routing/router.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';
import type { RoutedEvent } from './domain/event.ts';
import { LruCache } from './util/lru.ts';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** The registry of built-in connector types. */
export function builtinRegistry(): ConnectorRegistry {
  return new ConnectorRegistry(builtinConnectors);
}

/** Load a config with the built-in connectors and its plugins. */
export function loadRouterConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  return loadConfig(file, { registry: builtinRegistry(), env });
}

export interface RunningRouter {
  readonly url: string;
  readonly port: number;
  /** Where /metrics, the admin API and the console are served (`url` unless admin.port is set). */
  readonly adminUrl: string;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly dispatcher: Dispatcher;
  config(): RouterConfig;
  /** Load the config file again; keeps the running config (and says why) when the new one is invalid. */
  reload(): Promise<boolean>;
  /** Stop accepting, finish requests and deliveries in flight (within the grace period), close the store. */
  close(): Promise<void>;
}

/**
 * The composition root: the only module that knows every stage. Wires receiver → store →
 * routing → dispatcher, each woken by the previous one, with data moving only through the store.
 */
export async function startRouter(
  initial: RouterConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningRouter> {
  let config = initial;
  const store = await openStore(config.store, { onProblem: (message) => log.warn(message) });
  const released = await store.recoverAtStart();
  if (released > 0)
    log.warn({ deliveries: released }, 'Deliveries left in flight by the previous run will be retried.');

  const metrics = createMetrics(store, () => config.connectors.keys());
  // Deliveries handed over at ingest carry their event; the ones claimed from the store are parsed
  // again, once for all their connectors. A small cache: what it holds is promoted to V8's old
  // generation, and a large one made the heap (RSS) grow by a third under load.
  const events = new LruCache<string, RoutedEvent>(128);
  const dispatcher = new Dispatcher({
    store,
    log,
    events,
    onResult(connector, result, claimed) {
      metrics.recordAttempt(connector, result, claimed);
    },
  });
  const routing = new RoutingLoop(
    store,
    () => config,
    log.child({ stage: 'routing' }),
    (connectors) => dispatcher.wake(connectors),
    events,
    (matched) => metrics.recordRouted(matched),
  );
  const ingest = createIngest({
    store,
    routes: () => config.routes,
    leaseFor: (connector, now) => dispatcher.leaseFor(connector, now),
    onLeased: (deliveries) => dispatcher.handOff(deliveries),
    onPlanned: (connectors) => dispatcher.wake(connectors),
    onRouted: (_event, matched) => metrics.recordRouted(matched),
    log: log.child({ stage: 'routing' }),
  });

  // admin.port set: /metrics, the admin API and the console move to a listener of their own.
  const split = config.admin.port !== undefined;
  const httpDeps = {
    path: config.server.path,
    settings: () => config.server,
    ingest,
    log: log.child({ stage: 'receiver' }),
    metrics,
    metricsToken: () => config.metrics.token,
    accessLog: () => config.log.access,
    ready: () => store.ping(),
    extend: adminRoutes({
      token: () => config.admin.token,
      store,
      dispatcher,
      config: () => config,
      reload: () => self!.reload(),
      wakeRouting: () => routing.wake(),
      log: log.child({ stage: 'admin' }),
    }),
  };
  const app = createHttpApp({ ...httpDeps, serve: { webhook: true, operator: !split } });

  await dispatcher.apply(config, config.server.shutdownGrace);
  routing.start();
  // Shared stores wake this instance when another one stored events or planned deliveries.
  const unsubscribe = store.subscribe
    ? await store.subscribe({
        eventsStored: () => routing.wake(),
        deliveriesPlanned: (connectors) => dispatcher.wake(connectors.length > 0 ? connectors : undefined),
      })
    : undefined;

  const server = await listen(app, { port: config.server.port, host: config.server.host });
  server.requestTimeout = config.server.requestTimeout;
  server.headersTimeout = Math.min(config.server.requestTimeout, 20_000);
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const adminServer = split
    ? await listen(createHttpApp({ ...httpDeps, serve: { webhook: false, operator: true } }), {
        port: config.admin.port!,
        host: config.admin.host,
      }).catch((error: unknown) => {
        server.close();
        throw error;
      })
    : undefined;
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : undefined;
  log.info(
    {
      port,
      ...(adminPort === undefined ? {} : { adminPort }),
      path: config.server.path,
      store: describeStore(config.store),
      connectors: [...config.connectors.keys()],
      routes: config.routes.length,
    },
    'Router listening.',
  );

  const pruneTimer = setInterval(() => {
    const now = Date.now();
    store
      .prune({ deliveredBefore: now - config.retention.delivered, deadBefore: now - config.retention.dead })
      .then((pruned) => pruned.events > 0 && log.info(pruned, 'Pruned old events.'))
      .catch((error: unknown) => log.warn({ err: error }, 'Pruning failed.'));
  }, PRUNE_EVERY_MS);
  pruneTimer.unref();

  let closing: Promise<void> | undefined;
  let self: RunningRouter | undefined;
  return (self = {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${adminPort ?? port}`,
    store,
    metrics,
    dispatcher,
    config: () => config,
    async reload() {
      const result = await loadConfig(config.file, { registry: builtinRegistry(), env });
      if (!result.ok) {
        log.error(
          { issues: result.issues.length, details: formatIssues(result.issues) },
          'Config reload failed; keeping the running config.',
        );
        return false;
      }
      const next = result.config;
      if (
        next.server.port !== config.server.port ||
        next.server.host !== config.server.host ||
        next.server.path !== config.server.path ||
        next.store !== config.store
      ) {
        log.warn({}, 'server.port, server.host, server.path and store take effect only after a restart.');
      }
      config = next;
      await dispatcher.apply(next, next.server.shutdownGrace);
      routing.wake();
      log.info({ connectors: [...next.connectors.keys()], routes: next.routes.length }, 'Config reloaded.');
      return true;
    },
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer);
        const grace = config.server.shutdownGrace;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const forced = setTimeout(() => server.closeAllConnections(), grace);
        const adminClosed = adminServer
          ? new Promise<void>((resolve) => adminServer.close(() => resolve()))
          : Promise.resolve();
        adminServer?.closeAllConnections();
        await Promise.all([serverClosed, adminClosed]);
        clearTimeout(forced);
        await routing.stop();
        await dispatcher.stop(grace);
        await unsubscribe?.();
        await store.close();
        log.info({}, 'Router stopped.');
      })();
      return closing;
    },
  });
}

/** An HTTP server of this app, listening; rejects when the address cannot be bound. */
async function listen(
  app: Parameters<typeof createHttpServer>[0],
  at: { port: number; host: string },
): Promise<Server> {
  const server = createHttpServer(app).listen(at);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}

/** The store URL for logs: no query string, no password. */
function describeStore(url: string): string {
  const [base] = url.split('?') as [string];
  return base.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:[redacted]@');
}
