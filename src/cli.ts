#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadRouterConfig, startRouter } from './app.ts';
import { dryRun } from './routing/preview.ts';
import { formatIssues } from './config/issues.ts';
import type { RouterConfig } from './config/load.ts';
import { watchConfigFile } from './config/watch.ts';
import { createLogger, scrub } from './observability/logger.ts';
import { openStore } from './store/open.ts';
import { duration } from './config/units.ts';

const USAGE = `wa-router: routes Wassenger WhatsApp webhooks to your tools.

Usage:
  wa-router serve                     run the router
  wa-router validate                  check the config, report every problem with file:line:col
  wa-router route <payload.json>      dry run: matching routes and what each connector would be sent
  wa-router dead-letters list         list failed deliveries [--connector NAME] [--limit N] [--json]
  wa-router dead-letters replay       retry dead letters: --id ID[,ID…] | --connector NAME | --all
  wa-router replay --since TIME       route stored events again (TIME: ISO date or a duration like 2h)
                                      [--until TIME] [--event NAME]
  wa-router init [FILE|DIR]           write a commented starter config (default config/wa-router.yaml)
                                      and its JSON Schema beside it; never overwrites
  wa-router schema                    print the config's JSON Schema (built-in connectors, plus the
                                      plugins of the config file when it exists)

Options:
  --config FILE   config file (default: $WA_ROUTER_CONFIG or config/wa-router.yaml)
  --help          this text
`;

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
  help: { type: 'boolean', short: 'h' },
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
  if (flags.help || !command) {
    process.stdout.write(USAGE);
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
      return deadLetters(file, rest[0], flags);
    case 'replay':
      return replay(file, flags);
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
  const text = JSON.stringify(
    result.ok
      ? { events: result.events.map(({ event, ...rest }) => ({ id: event.id, event: event.event, ...rest })) }
      : result,
    null,
    2,
  );
  process.stdout.write(`${scrub(text, config.secrets)}\n`);
  return result.ok ? 0 : 1;
}

async function deadLetters(file: string, action: string | undefined, flags: Flags): Promise<number> {
  const limit = Number(flags.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`--limit must be a whole number of at least 1 (got "${flags.limit}")\n`);
    return 2;
  }
  const config = await load(file);
  if (!config) return 1;
  const store = await openStore(config.store);
  try {
    if (action === 'list') {
      const rows = await store.listDeliveries({
        status: 'dead',
        limit,
        ...(flags.connector ? { connector: flags.connector } : {}),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) process.stdout.write('No dead letters.\n');
      else {
        for (const row of rows) {
          process.stdout.write(
            `${row.id}\t${new Date(row.updatedAt).toISOString()}\t${row.connector}\t${row.event}\t${row.eventId}\tattempts=${row.attempts}\t${row.lastError ?? ''}\n`,
          );
        }
      }
      return 0;
    }
    if (action === 'replay') {
      const ids = flags.id
        ?.split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      if (!ids && !flags.connector && !flags.all) {
        process.stderr.write('say which: --id ID[,ID…], --connector NAME or --all\n');
        return 2;
      }
      const count = await store.replayDeadLetters(
        ids ? { ids } : flags.connector ? { connector: flags.connector } : {},
        Date.now(),
      );
      process.stdout.write(`${count} dead letter${count === 1 ? '' : 's'} set to be delivered again.\n`);
      return 0;
    }
    process.stderr.write('usage: wa-router dead-letters list|replay\n');
    return 2;
  } finally {
    await store.close();
  }
}

function parseTime(value: string, now = Date.now()): number | undefined {
  const relative = duration.safeParse(value);
  if (relative.success && !/^\d+$/.test(value)) return now - relative.data;
  const absolute = Date.parse(value);
  return Number.isNaN(absolute) ? undefined : absolute;
}

async function replay(file: string, flags: Flags): Promise<number> {
  const since = flags.since === undefined ? undefined : parseTime(flags.since);
  const until = flags.until === undefined ? undefined : parseTime(flags.until);
  if (since === undefined || (flags.until !== undefined && until === undefined)) {
    process.stderr.write(
      'usage: wa-router replay --since TIME [--until TIME] [--event NAME]  (TIME: 2026-11-25T10:00:00Z or 2h)\n',
    );
    return 2;
  }
  const config = await load(file);
  if (!config) return 1;
  const store = await openStore(config.store);
  try {
    const count = await store.replayEvents({
      since,
      ...(until === undefined ? {} : { until }),
      ...(flags.event ? { event: flags.event } : {}),
    });
    process.stdout.write(
      `${count} event${count === 1 ? '' : 's'} will be routed and delivered again (same idempotency keys).\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
