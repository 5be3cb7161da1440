#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadRouterConfig, startRouter } from './app.ts';
import { dryRun, printable } from './routing/preview.ts';
import { formatIssues } from './config/issues.ts';
import type { RouterConfig } from './config/load.ts';
import { watchConfigFile } from './config/watch.ts';
import { createLogger, scrub } from './observability/logger.ts';
import { deadLetters } from './cli/dead-letters.ts';
import { replay } from './cli/replay.ts';
import { COMMAND_HELP, USAGE } from './cli/help.ts';

const options = {
  config: { type: 'string' },
  connector: { type: 'string' },
  limit: { type: 'string' },
  id: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  since: { type: 'string' },
  until: { type: 'string' },
  event: { type: 'string' },
  'include-delivered': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type Flags = { [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'string' ? string : boolean };

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const flags = parsed.values as Flags;
  const [command, ...rest] = parsed.positionals;
  if (flags.version) {
    process.stdout.write(`wa-router ${await version()}\n`);
    return 0;
  }
  if (flags.help || !command) {
    process.stdout.write((command && COMMAND_HELP[command]) || USAGE);
    return flags.help ? 0 : 2;
  }
  const file = flags.config ?? process.env.WA_ROUTER_CONFIG ?? 'config/wa-router.yaml';
  switch (command) {
    case 'serve':
      return serve(file);
    case 'validate':
      return validate(file);
    case 'route':
      return route(file, rest[0]);
    case 'dead-letters':
    case 'replay': {
      const config = await load(file);
      if (!config) return 1;
      const outcome = command === 'replay' ? await replay(config, flags) : await deadLetters(config, rest[0], flags);
      if (outcome.stdout) process.stdout.write(outcome.stdout);
      if (outcome.stderr) process.stderr.write(outcome.stderr);
      return outcome.code;
    }
    case 'init': {
      const { initConfig } = await import('./cli/init.ts');
      const result = await initConfig(rest[0]);
      (result.ok ? process.stdout : process.stderr).write(`${result.messages.join('\n')}\n`);
      return result.ok ? 0 : 1;
    }
    case 'schema': {
      const [{ existsSync }, { definitionsFor }, { configJsonSchemaText }] = await Promise.all([
        import('node:fs'),
        import('./schema/plugins.ts'),
        import('./schema/config-schema.ts'),
      ]);
      process.stdout.write(configJsonSchemaText(await definitionsFor(existsSync(file) ? file : undefined)));
      return 0;
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function load(file: string): Promise<RouterConfig | undefined> {
  const result = await loadRouterConfig(file);
  if (result.ok) return result.config;
  process.stderr.write(
    `${formatIssues(result.issues)}\n${result.issues.length} problem${result.issues.length === 1 ? '' : 's'} in ${file}\n`,
  );
  return undefined;
}

async function validate(file: string): Promise<number> {
  const config = await load(file);
  if (!config) return 1;
  process.stdout.write(`${file}: OK (${config.connectors.size} connectors, ${config.routes.length} routes)\n`);
  return 0;
}

async function route(file: string, payloadFile: string | undefined): Promise<number> {
  if (!payloadFile) {
    process.stderr.write('usage: wa-router route <payload.json>\n');
    return 2;
  }
  const config = await load(file);
  if (!config) return 1;
  let body: unknown;
  try {
    body = JSON.parse(await readFile(payloadFile, 'utf8'));
  } catch (error) {
    process.stderr.write(`cannot read ${payloadFile}: ${(error as Error).message}\n`);
    return 1;
  }
  const result = await dryRun(config, body);
  const text = JSON.stringify(result.ok ? printable(result.events) : result, null, 2);
  process.stdout.write(`${scrub(text, config.secrets)}\n`);
  return result.ok ? 0 : 1;
}

async function serve(file: string): Promise<number> {
  const config = await load(file);
  if (!config) return 1;
  let secrets: readonly string[] = config.secrets;
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level, secrets: () => secrets });
  let router;
  try {
    router = await startRouter(config, log);
  } catch (error) {
    // startRouter released what it had opened; nothing was started, so nothing is left to finish.
    log.fatal({ err: error }, 'Router could not start.');
    log.flush();
    return 1;
  }
  const reload = (): void => {
    void router.reload().then(() => {
      secrets = router.config().secrets;
    });
  };
  process.on('SIGHUP', reload);
  const stopWatching = watchConfigFile(config.file, reload);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'Shutting down.');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  stopWatching();
  await router.close();
  // A delivery still in flight past the grace (its connector's timeoutMs may be 30 s, or it may
  // ignore its abort signal) would keep the process alive until docker stop kills it. It is
  // abandoned: still pending in the store, it is delivered after the next start.
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  process.exit(0);
}

/** The version in package.json, found from here whether this runs from src/ or dist/src/. */
async function version(): Promise<string> {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'wa-router' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

// A reader that stops early (`wa-router schema | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
