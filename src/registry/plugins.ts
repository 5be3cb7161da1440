import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sdk from '../sdk/index.ts';
import type { ConnectorDefinition } from '../sdk/connector.ts';
import { definitionProblems, type ConnectorRegistry } from './registry.ts';

/**
 * Load one custom connector module and register it. The module default-exports either a
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
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new Error(`cannot load plugin ${file}: ${importFailure(error)}`);
  }
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
