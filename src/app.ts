import type { Server } from 'node:http';
import { builtinConnectors } from '../connectors/index.ts';
import { adminRoutes } from './admin/index.ts';
import { formatIssues } from './config/issues.ts';
import { type LoadResult, loadConfig, type RouterConfig } from './config/load.ts';
import type { RoutedEvent } from './domain/event.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { writeHealth } from './http/readiness.ts';
import { createHttpApp, createHttpServer, listen } from './http/server.ts';
import { type Alerts, createAlerts } from './ingest/alerts.ts';
import { createIngest } from './ingest/ingest.ts';
import { RoutingLoop } from './ingest/routing-loop.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { ConnectorRegistry } from './registry/registry.ts';
import { type MediaModule, startMedia, withMediaRoute } from './media/index.ts';
import { describeStore, openStore } from './store/open.ts';
import { StoreUnavailableError } from './domain/errors.ts';
import type { Store } from './store/store.ts';
import { LruCache } from './util/lru.ts';

const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Connector-state namespace of the readiness probe's write; no connector name can contain ':'. */
const READINESS_STATE = 'wa-router:readiness';

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

/** The stages of a router, wired but not started. */
interface Stages {
  readonly store: Store;
  readonly media: MediaModule | undefined;
  readonly metrics: Metrics;
  readonly dispatcher: Dispatcher;
  readonly routing: RoutingLoop;
  readonly server: Server;
  /** The listener of /metrics, the admin API and the console when admin.port is set. */
  readonly adminServer: Server | undefined;
}

/**
 * The composition root: the only module that knows every stage. The flow (docs/architecture.md):
 * receiver → ingest (validate, normalize, route, store durably) → dispatcher inbox → connectors;
 * the routing loop routes what was stored unrouted (a replay, a route that threw) the same way.
 * The port is taken before any stage starts, so a router that cannot listen has delivered nothing.
 */
export async function startRouter(
  initial: RouterConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningRouter> {
  let config = initial;
  const current = () => config;
  const store = await openStore(config.store, { onProblem: (message) => log.warn(message), exclusive: true });
  let stages: Stages | undefined;
  let port: number;
  let adminPort: number | undefined;
  try {
    const released = await store.recoverAtStart();
    if (released > 0)
      log.warn({ deliveries: released }, 'Deliveries left in flight by the previous run will be retried.');
    // Media (docs/media.md): files are fetched at delivery time, through one dispatcher hook; the
    // ingest path is untouched. Its settings take effect at start (a reload keeps them).
    const metrics = createMetrics(store, () => config.connectors.keys());
    const media = config.media
      ? await startMedia(config.media, { log: log.child({ stage: 'media' }), registry: metrics.registry })
      : undefined;
    stages = wireStages({ store, metrics, media }, current, log, () => self.reload());
    port = await listen(stages.server, config.server);
    adminPort = stages.adminServer ? await listen(stages.adminServer, adminAddress(config)) : undefined;
    media?.listening(`http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`);
  } catch (error) {
    stages?.server.close();
    stages?.adminServer?.close();
    stages?.media?.close();
    await store.close().catch(() => undefined);
    throw error;
  }
  const stopStages = await startStages(stages, config, log);
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
  let closing: Promise<void> | undefined;
  const self: RunningRouter = {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${adminPort ?? port}`,
    store,
    metrics: stages.metrics,
    dispatcher: stages.dispatcher,
    config: current,
    async reload() {
      const next = await reloadConfig(config, env, log);
      if (!next) return false;
      config = next;
      await stages.dispatcher.apply(next, next.server.shutdownGrace);
      stages.routing.wake();
      log.info({ connectors: [...next.connectors.keys()], routes: next.routes.length }, 'Config reloaded.');
      return true;
    },
    close() {
      closing ??= stopStages(config.server.shutdownGrace).then(() => log.info({}, 'Router stopped.'));
      return closing;
    },
  };
  return self;
}

/** Build every stage around the store; nothing runs yet. */
function wireStages(
  { store, metrics, media }: Pick<Stages, 'store' | 'metrics' | 'media'>,
  config: () => RouterConfig,
  log: Logger,
  reload: () => Promise<boolean>,
): Stages {
  // Deliveries offered at ingest carry their event; the ones claimed from the store are parsed
  // again, once for all their connectors. A small cache: what it holds is promoted to V8's old
  // generation, and a large one made the heap (RSS) grow by a third under load.
  const events = new LruCache<string, RoutedEvent>(128);
  let alerts: Alerts | undefined; // needs ingest, which needs the dispatcher
  const dispatcher = new Dispatcher({
    store,
    log,
    events,
    ...(media ? { beforeDeliver: media.prepare, media: media.files } : {}),
    onResult: (connector, result, claimed) => {
      metrics.recordAttempt(connector, result, claimed);
      alerts?.onResult(connector, result, claimed);
    },
    onOutage: (connector, change, reason) => {
      metrics.connectorDown.set({ connector }, change === 'began' ? 1 : 0);
      if (change === 'began') alerts?.onUnreachable(connector, reason);
    },
  });
  const routingLog = log.child({ stage: 'routing' });
  const routing = new RoutingLoop(
    store,
    config,
    routingLog,
    (connectors) => dispatcher.wake(connectors),
    events,
    (matched) => metrics.recordRouted(matched),
  );
  const ingestOptions = {
    store,
    routes: () => config().routes,
    dispatch: dispatcher,
    onRouted: (_event: RoutedEvent, matched: readonly string[]) => metrics.recordRouted(matched),
    log: routingLog,
  };
  const ingest = createIngest(ingestOptions);
  const routerEvents = createIngest({ ...ingestOptions, acceptRouterEvents: true });
  alerts = createAlerts(routerEvents, () => config().alerts, log.child({ stage: 'alerts' }));
  // /readyz turns false while webhooks cannot be stored, and true again once a write succeeds.
  const health = writeHealth({
    ping: () => store.ping(),
    probe: () => store.stateSet(READINESS_STATE, 'probe', new Date().toISOString()),
    isWriteFailure: (error) => error instanceof StoreUnavailableError,
  });
  const httpDeps = {
    path: config().server.path,
    settings: () => config().server,
    ingest: (body: string, at: Date) => health.track(ingest(body, at)),
    log: log.child({ stage: 'receiver' }),
    metrics,
    metricsToken: () => config().metrics.token,
    accessLog: () => config().log.access,
    ready: () => health.check(),
    extend: withMediaRoute(
      media,
      adminRoutes({
        token: () => config().admin.token,
        store,
        dispatcher,
        config,
        reload,
        wakeRouting: () => routing.wake(),
        log: log.child({ stage: 'admin' }),
      }),
    ),
  };
  // admin.port set: /metrics, the admin API and the console move to a listener of their own.
  const split = config().admin.port !== undefined;
  const server = createHttpServer(createHttpApp({ ...httpDeps, serve: { webhook: true, operator: !split } }));
  const adminServer = split
    ? createHttpServer(createHttpApp({ ...httpDeps, serve: { webhook: false, operator: true } }))
    : undefined;
  return { store, media, metrics, dispatcher, routing, server, adminServer };
}

/** Start the workers, the routing loop, store wake-ups and pruning; returns the function that stops them. */
async function startStages(
  stages: Stages,
  config: RouterConfig,
  log: Logger,
): Promise<(graceMs: number) => Promise<void>> {
  const { store, dispatcher, routing, server, adminServer } = stages;
  await dispatcher.apply(config, config.server.shutdownGrace);
  routing.start();
  // Shared stores wake this instance when another one stored events or planned deliveries.
  const unsubscribe = store.subscribe
    ? await store.subscribe({
        eventsStored: () => routing.wake(),
        deliveriesPlanned: (connectors) => dispatcher.wake(connectors.length > 0 ? connectors : undefined),
      })
    : undefined;
  const pruneTimer = setInterval(() => {
    const now = Date.now();
    store
      .prune({ deliveredBefore: now - config.retention.delivered, deadBefore: now - config.retention.dead })
      .then((pruned) => pruned.events > 0 && log.info(pruned, 'Pruned old events.'))
      .catch((error: unknown) => log.warn({ err: error }, 'Pruning failed.'));
  }, PRUNE_EVERY_MS);
  pruneTimer.unref();
  return async (grace) => {
    clearInterval(pruneTimer);
    stages.media?.close();
    // One deadline for everything, so the whole stop fits in the grace (docker stop's timeout is
    // 10 s): requests in flight first, then deliveries in flight get what is left.
    const deadline = Date.now() + grace;
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
    await dispatcher.stop(Math.max(0, deadline - Date.now()));
    await unsubscribe?.();
    await store.close();
  };
}

/** The config file loaded again, or undefined (logged) when it is invalid. */
async function reloadConfig(
  running: RouterConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<RouterConfig | undefined> {
  const result = await loadConfig(running.file, { registry: builtinRegistry(), env });
  if (!result.ok) {
    log.error(
      { issues: result.issues.length, details: formatIssues(result.issues) },
      'Config reload failed; keeping the running config.',
    );
    return undefined;
  }
  const next = result.config;
  const { server, store } = running;
  if (
    next.server.port !== server.port ||
    next.server.host !== server.host ||
    next.server.path !== server.path ||
    next.store !== store
  ) {
    log.warn({}, 'server.port, server.host, server.path and store take effect only after a restart.');
  }
  return next;
}

/** An HTTP server of this app, listening; rejects when the address cannot be bound. */

/** Where admin.port puts /metrics, the admin API and the console (only called when it is set). */
function adminAddress(config: RouterConfig): { port: number; host: string; requestTimeout: number } {
  return { port: config.admin.port!, host: config.admin.host, requestTimeout: config.server.requestTimeout };
}
