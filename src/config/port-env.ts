import type { ConfigIssue } from './issues.ts';

/** Variables that override `server.port`, strongest first (PORT is what most platforms set). */
const PORT_VARIABLES = ['WA_ROUTER_PORT', 'PORT'] as const;

/**
 * The listen port the environment asks for, if any: WA_ROUTER_PORT, else PORT. A value that is
 * not a port is a config problem (reported with the others), not silently ignored. A variable the
 * config text reads itself (`port: ${PORT}`) is left to it: it is used, and checked, there.
 */
export function portFromEnv(
  env: NodeJS.ProcessEnv,
  file: string,
  text: string,
): { port?: number; issue?: ConfigIssue } | undefined {
  for (const name of PORT_VARIABLES) {
    if (new RegExp(`\\$\\{${name}[:}]`).test(text)) continue;
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    const port = Number(value);
    if (/^\d+$/.test(value) && port <= 65535) return { port };
    return {
      issue: {
        file,
        line: 1,
        col: 1,
        path: 'server.port',
        message: `environment variable ${name} must be a port number from 0 to 65535 (got "${value}")`,
      },
    };
  }
  return undefined;
}
