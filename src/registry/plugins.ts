import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sdk from '../sdk/index.ts';
import type { ConnectorDefinition } from '../sdk/connector.ts';
import { definitionProblems, type ConnectorRegistry } from './registry.ts';

/**
 * Load one custom connector module and register it. `file` is relative to `baseDir` (the config's
 * folder) or absolute; a path outside that folder is allowed on purpose: the config's author is
 * trusted (the config already chooses what code runs), and mounted plugin folders often live
 * elsewhere. A file whose content changed since it was last loaded is imported again (see
 * `imported`), so a config reload picks up an edited plugin. The module default-exports either a
 * definition (`defineConnector({...})`) or a function that receives the SDK and returns one, which
 * lets a plain `.js` file in a mounted folder use the router's own zod without resolving packages.
 * Throws an Error whose message names the file and what is wrong with it.
 */
export async function loadPlugin(
  registry: ConnectorRegistry,
  file: string,
  baseDir: string,
): Promise<ConnectorDefinition> {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  if (!existsSync(path)) throw new Error(`cannot load plugin ${file}: file not found (${path})`);
  const version = contentVersion(path);
  let module: { default?: unknown };
  try {
    module = (await import(`${pathToFileURL(path).href}?v=${version}`)) as { default?: unknown };
  } catch (error) {
    throw new Error(`cannot load plugin ${file}: ${importFailure(error)}`);
  }
  const before = imported.get(path);
  if (before && before.version !== version && before.module === module) {
    // A loader that keys its cache by path only (tsx, in development) gave the old module back.
    throw new Error(
      `plugin ${file} changed since this process loaded it, and this runtime cannot load it again: restart the router to use the new version`,
    );
  }
  imported.set(path, { version, module });
  let exported = module.default;
  if (exported === undefined)
    throw new Error(`plugin ${file} has no default export (export default defineConnector({...}))`);
  if (typeof exported === 'function') {
    try {
      exported = await (exported as (sdkApi: typeof sdk) => unknown)(sdk);
    } catch (error) {
      throw new Error(`plugin ${file}: its factory threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const problems = definitionProblems(exported);
  if (problems.length > 0) throw new Error(`plugin ${file} is not a valid connector: ${problems.join('; ')}`);
  const definition = exported as ConnectorDefinition;
  try {
    registry.register(definition, `plugin ${file}`);
  } catch (error) {
    throw new Error(`plugin ${file}: ${(error as Error).message}`);
  }
  return definition;
}

/**
 * The plugin modules imported by this process, by path. Node caches an ES module by URL for the
 * life of the process, so a reload importing the same URL would silently get the old code. The URL
 * carries the file's content version instead: a changed file is imported afresh, an unchanged one
 * keeps its module. Only the file named in `plugins:` is versioned; modules it imports itself stay
 * cached (a restart picks them up).
 */
const imported = new Map<string, { readonly version: string; readonly module: unknown }>();

function contentVersion(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

/**
 * The reason an import failed, on one line. Node's SyntaxError says only "Unexpected token '{'";
 * tsx (esbuild) puts the reason on the line after "Transform failed with 1 error:", with the
 * position: keep that line, so the user sees what is wrong and where.
 */
function importFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const [first = '', second] = error.message.split('\n');
  if (/^Transform failed with \d+ errors?:$/.test(first) && second) {
    const detail = /:(\d+):(\d+): ERROR: (.*)$/.exec(second);
    return detail ? `syntax error at ${detail[1]}:${detail[2]}: ${detail[3]}` : second;
  }
  return error.name === 'SyntaxError' ? `syntax error: ${first}` : first;
}
