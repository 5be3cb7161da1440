import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { CompiledRoute, ConnectorInstance, RouteTarget, RoutingTable } from '../domain/route.ts';
import { loadPlugin } from '../registry/plugins.ts';
import type { ConnectorRegistry } from '../registry/registry.ts';
import { compileWhen } from '../rules/index.ts';
import type { WhenDocument } from '../rules/index.ts';
import { WhenSchema } from '../rules/index.ts';
import type { ConnectorDefinition } from '../sdk/connector.ts';
import { didYouMean } from '../util/suggest.ts';
import { EnvScalars } from './env-scalars.ts';
import { interpolateEnv, protectReferences } from './env.ts';
import { formatPath, type ConfigIssue } from './issues.ts';
import { portFromEnv } from './port-env.ts';
import { positionAt, positionOf } from './positions.ts';
import { ConfigSchema, type RawConfig } from './schema.ts';
import { schemaIssues } from './zod-issues.ts';
import { declaredTypes, isPlainObject, type Report, validateConnectors } from './connectors.ts';

export type { CompiledRoute, ConnectorInstance, RouteTarget } from '../domain/route.ts';

/** A loaded, fully validated config. */
export interface RouterConfig extends RoutingTable {
  readonly file: string;
  readonly server: RawConfig['server'];
  readonly store: string;
  readonly retention: RawConfig['retention'];
  readonly log: RawConfig['log'];
  /** Thresholds of the router's own events (router:delivery:dead, router:connector:failing|recovered). */
  readonly alerts: RawConfig['alerts'];
  /** Admin API and console (`admin.token` empty: off). */
  readonly admin: RawConfig['admin'];
  /** Media downloads and links (docs/media.md); undefined: off. */
  readonly media?: RawConfig['media'];
  /** `/metrics` access (`metrics.token` empty: open). */
  readonly metrics: RawConfig['metrics'];
  /** Which attempts keep their request and response. */
  readonly capture: RawConfig['capture']['attempts'];
  /** The config as written, with secrets replaced by "[redacted]" (for `validate --print`, the admin API). */
  readonly redacted: unknown;
}

export type LoadResult = { ok: true; config: RouterConfig } | { ok: false; issues: ConfigIssue[] };

export interface LoadOptions {
  /** Built-in connector types; the config's plugins are added to a copy. */
  readonly registry: ConnectorRegistry;
  readonly env?: NodeJS.ProcessEnv;
  /** Text to use instead of reading the file (tests). */
  readonly text?: string;
}

/** Read, interpolate and validate a config file, reporting every problem at once with file:line:col. */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadResult> {
  const path = resolve(file);
  const issues: ConfigIssue[] = [];
  let text: string;
  try {
    text = options.text ?? (await readFile(path, 'utf8'));
  } catch (error) {
    return {
      ok: false,
      issues: [{ file, line: 1, col: 1, path: '', message: `cannot read config file: ${(error as Error).message}` }],
    };
  }
  const lines = new LineCounter();
  const { text: parseable, references } = protectReferences(text);
  const doc = parseDocument(parseable, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) {
    const { line, col } = positionAt(lines, error.pos[0]);
    issues.push({ file, line, col, path: '', message: `YAML syntax: ${error.message.split('\n')[0]}` });
  }
  if (issues.length > 0) return { ok: false, issues };

  const report = (at: readonly PropertyKey[], message: string, key?: string): void => {
    const { line, col } = positionOf(doc, lines, at, key);
    issues.push({ file, line, col, path: formatPath(key === undefined ? at : [...at, key]), message });
  };

  const { unset, secrets, wholeValues } = interpolateEnv(doc, references, options.env ?? process.env);
  const env = new EnvScalars(doc, wholeValues);
  for (const variable of unset) {
    const { line, col } = positionAt(lines, variable.offset);
    issues.push({
      file,
      line,
      col,
      path: '',
      message: `environment variable ${variable.name} is not set (use \${${variable.name}:-default} for a default)`,
    });
  }

  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    report([], 'the config must be a mapping with at least `server:` (see config/wa-router.yaml)');
    return { ok: false, issues };
  }
  const parsed = env.safeParse(ConfigSchema, value);
  if (!parsed.success) {
    for (const issue of schemaIssues(ConfigSchema, parsed.error)) report(issue.path, issue.message, issue.key);
  }

  const dir = dirname(path);
  const registry = options.registry.clone();
  const raw = value as Record<string, unknown>;
  await loadPlugins(raw.plugins, registry, dir, report);
  const connectors = validateConnectors(raw.connectors, registry, env, report);
  const declared = declaredTypes(raw.connectors, registry);
  const routes = validateRoutes(raw.routes, connectors, declared, env, report);
  const portOverride = portFromEnv(options.env ?? process.env, file, text);
  if (portOverride?.issue) issues.push(portOverride.issue);
  if (issues.length > 0 || !parsed.success) {
    // An unset variable leaves an empty value behind; what the schema says about that value
    // ("at least 8 characters", "Invalid URL") follows from it and would only mislead.
    const unsetAt = new Set(
      unset.map((variable) => {
        const { line, col } = positionAt(lines, variable.offset);
        return `${line}:${col}`;
      }),
    );
    return {
      ok: false,
      issues: sortIssues(issues.filter((issue) => issue.path === '' || !unsetAt.has(`${issue.line}:${issue.col}`))),
    };
  }

  return {
    ok: true,
    config: finalConfig(parsed.data, { path, dir, secrets, connectors, routes, value, portOverride }),
  };
}

/** The loaded config: the parsed sections, the port override, and every secret to keep out of texts. */
function finalConfig(
  config: RawConfig,
  loaded: {
    readonly path: string;
    readonly dir: string;
    readonly secrets: readonly string[];
    readonly connectors: ReadonlyMap<string, ConnectorInstance>;
    readonly routes: readonly CompiledRoute[];
    readonly value: unknown;
    readonly portOverride: { port?: number | undefined } | undefined;
  },
): RouterConfig {
  const mediaSecrets = config.media
    ? [config.media.token, config.media.linkSecret, config.media.s3?.secretAccessKey ?? '']
    : [];
  const allSecrets = [
    ...new Set([...loaded.secrets, config.server.secret, config.admin.token, config.metrics.token, ...mediaSecrets]),
  ].filter((secret) => secret.length > 0);
  const port = loaded.portOverride?.port;
  return {
    file: loaded.path,
    dir: loaded.dir,
    server: port === undefined ? config.server : { ...config.server, port },
    store: config.store,
    retention: config.retention,
    log: config.log,
    alerts: config.alerts,
    admin: config.admin,
    ...(config.media ? { media: config.media } : {}),
    metrics: config.metrics,
    capture: config.capture.attempts,
    connectors: loaded.connectors,
    routes: loaded.routes,
    secrets: allSecrets,
    redacted: redact(loaded.value, allSecrets),
  };
}

/** Import the config's plugin modules into the registry; each failure is reported at its entry. */
async function loadPlugins(plugins: unknown, registry: ConnectorRegistry, dir: string, report: Report): Promise<void> {
  if (!Array.isArray(plugins)) return;
  for (const [index, plugin] of plugins.entries()) {
    if (typeof plugin !== 'string') continue;
    try {
      await loadPlugin(registry, plugin, dir);
    } catch (error) {
      report(['plugins', index], (error as Error).message);
    }
  }
}

/** Each connector name's definition (undefined: no or unknown type), for the routes' `with:` checks. */
/**
 * `declared` is every name under `connectors:`, valid or not, with its type's definition when the
 * type is known: a route naming a connector whose own config is invalid is not reported again (its
 * problems already are) but its `with:` block is still checked, and did-you-mean hints consider
 * every declared name.
 */
function validateRoutes(
  value: unknown,
  connectors: ReadonlyMap<string, ConnectorInstance>,
  declared: ReadonlyMap<string, ConnectorDefinition | undefined>,
  env: EnvScalars,
  report: Report,
): CompiledRoute[] {
  const routes: CompiledRoute[] = [];
  if (!Array.isArray(value)) return routes;
  const seen = new Set<string>();
  value.forEach((route: unknown, index) => {
    if (route === null || typeof route !== 'object') return;
    const { name, when, to } = route as { name?: unknown; when?: unknown; to?: unknown };
    if (typeof name === 'string') {
      if (seen.has(name)) report(['routes', index, 'name'], `duplicate route name "${name}"`);
      seen.add(name);
    }
    if (!Array.isArray(to)) return;
    const targets: RouteTarget[] = [];
    to.forEach((target: unknown, targetIndex) => {
      const at = ['routes', index, 'to', targetIndex];
      const connector = typeof target === 'string' ? target : (target as { connector?: unknown } | null)?.connector;
      if (typeof connector !== 'string') return;
      const instance = connectors.get(connector);
      const rawParams = typeof target === 'string' ? undefined : (target as { with?: unknown }).with;
      if (!instance) {
        if (!declared.has(connector)) {
          report(
            typeof target === 'string' ? at : [...at, 'connector'],
            `no connector named "${connector}"${didYouMean(connector, declared.keys())}`,
          );
          return;
        }
        const definition = declared.get(connector);
        if (definition) parseParams(definition, rawParams, [...at, 'with'], env, report);
        return;
      }
      const params = parseParams(instance.definition, rawParams, [...at, 'with'], env, report);
      targets.push({ connector, params, rawParams });
    });
    let matches: CompiledRoute['matches'];
    try {
      matches = compileWhen(when as WhenDocument | undefined);
    } catch (error) {
      // ConfigSchema (WhenSchema) has already reported what is wrong with this filter, with its
      // position; report here only a problem the schema did not see, and never throw.
      if (WhenSchema.safeParse(when).success) report(['routes', index, 'when'], (error as Error).message);
      return;
    }
    // The router's own events go only to routes that test `event` (docs/alerts.md): a catch-all
    // route meant for messages must not start receiving alerts.
    const routerEvents = isPlainObject(when) && 'event' in when;
    routes.push({ name: String(name), matches, targets, routerEvents });
  });
  return routes;
}

function parseParams(
  definition: ConnectorDefinition,
  rawParams: unknown,
  at: PropertyKey[],
  env: EnvScalars,
  report: Report,
): unknown {
  if (!definition.params) {
    if (rawParams !== undefined) report(at, `connector type "${definition.type}" takes no \`with:\` parameters`);
    return undefined;
  }
  const parsed = env.safeParse(definition.params as z.ZodType, rawParams ?? {}, at);
  if (parsed.success) return parsed.data;
  for (const issue of schemaIssues(definition.params, parsed.error))
    report([...at, ...issue.path], issue.message, issue.key);
  return undefined;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Replace every occurrence of a secret in strings of a JSON-like value. */
export function redact(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, redact(child, secrets)]));
  }
  return value;
}
