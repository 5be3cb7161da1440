import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { builtinConnectors } from '../../connectors/index.ts';
import { loadPlugin } from '../registry/plugins.ts';
import { ConnectorRegistry } from '../registry/registry.ts';
import type { ConnectorDefinition } from '../sdk/connector.ts';

/**
 * The connector types a config file can use: the built-ins plus the plugins it lists (loaded the
 * way the router loads them). Only `plugins:` is read; the rest of the file may be unfinished.
 */
export async function definitionsFor(configFile: string | undefined): Promise<ConnectorDefinition[]> {
  const registry = new ConnectorRegistry(builtinConnectors);
  if (configFile !== undefined) {
    const path = resolve(configFile);
    const doc = parse(await readFile(path, 'utf8')) as { plugins?: unknown } | null;
    const plugins = Array.isArray(doc?.plugins)
      ? doc.plugins.filter((plugin): plugin is string => typeof plugin === 'string')
      : [];
    for (const plugin of plugins) await loadPlugin(registry, plugin, dirname(path));
  }
  return registry.types().map((type) => registry.get(type)!.definition);
}
