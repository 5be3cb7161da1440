import type { RouterConfig } from '../config/load.ts';
import { openStore } from '../store/open.ts';
import type { DeliveryView, Store } from '../store/store.ts';
import { didYouMean } from '../util/suggest.ts';
import { KNOWN_EVENT_TYPES } from '../wassenger/payload.ts';
import { parseTime, TIME_FORMS } from './time.ts';

export interface DeadLetterFlags {
  readonly connector?: string | undefined;
  readonly limit?: string | undefined;
  readonly id?: string | undefined;
  readonly all?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly event?: string | undefined;
}

/** What a command prints, and its exit code (2: a usage error). */
export interface Outcome {
  readonly code: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

const usage = (message: string): Outcome => ({ code: 2, stderr: `${message}\n` });

/** Connectors a flag may name: the configured ones and any the store still holds deliveries of. */
async function checkConnector(store: Store, config: RouterConfig, name: string): Promise<Outcome | undefined> {
  const known = new Set([...config.connectors.keys(), ...Object.keys((await store.stats()).byConnector)]);
  if (known.has(name)) return undefined;
  return usage(
    `--connector: no connector named "${name}"${didYouMean(name, known)}; known: ${[...known].sort().join(', ') || 'none'}`,
  );
}

/** `wa-router dead-letters list|replay`. */
export async function deadLetters(
  config: RouterConfig,
  action: string | undefined,
  flags: DeadLetterFlags,
): Promise<Outcome> {
  if (action !== 'list' && action !== 'replay') return usage('usage: wa-router dead-letters list|replay');
  const limit = Number(flags.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1)
    return usage(`--limit must be a whole number of at least 1 (got "${flags.limit}")`);
  const ids = flags.id
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const malformed = ids?.filter((id) => !/^\d+$/.test(id)) ?? [];
  if (malformed.length > 0)
    return usage(
      `--id: ${malformed.map((id) => `"${id}"`).join(', ')} is not a dead letter id (ids are numbers, as \`dead-letters list\` shows them)`,
    );
  if (action === 'replay' && !ids && !flags.connector && !flags.all)
    return usage('say which: --id ID[,ID…], --connector NAME or --all');
  const store = await openStore(config.store);
  try {
    if (flags.connector) {
      const problem = await checkConnector(store, config, flags.connector);
      if (problem) return problem;
    }
    if (action === 'list') {
      const rows = await store.listDeliveries({
        status: 'dead',
        limit,
        ...(flags.connector ? { connector: flags.connector } : {}),
      });
      if (flags.json) return { code: 0, stdout: `${JSON.stringify(rows.map(isoDates), null, 2)}\n` };
      return { code: 0, stdout: rows.length === 0 ? 'No dead letters.\n' : table(rows) };
    }
    if (ids) {
      // Every dead letter's id, to say which given ones are not (a replay would silently skip them).
      const dead = new Set((await store.listDeliveries({ status: 'dead', limit: 1_000_000 })).map((row) => row.id));
      const unknown = ids.filter((id) => !dead.has(id));
      if (unknown.length > 0)
        return usage(`--id: no dead letter with id ${unknown.join(', ')} (see \`wa-router dead-letters list\`)`);
    }
    const count = await store.replayDeadLetters(
      ids ? { ids } : flags.connector ? { connector: flags.connector } : {},
      Date.now(),
    );
    if (count === 0)
      return {
        code: 0,
        stdout: `Nothing matched: no dead letters${flags.connector ? ` of ${flags.connector}` : ''}.\n`,
      };
    return { code: 0, stdout: `${count} dead letter${count === 1 ? '' : 's'} set to be delivered again.\n` };
  } finally {
    await store.close();
  }
}

/** A row with its epoch-millisecond times as ISO strings, like the text output. */
function isoDates(row: DeliveryView): Record<string, unknown> {
  return {
    ...row,
    receivedAt: new Date(row.receivedAt).toISOString(),
    nextAt: new Date(row.nextAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

const COLUMNS = ['ID', 'FAILED AT', 'CONNECTOR', 'EVENT', 'EVENT ID', 'ATTEMPTS', 'LAST ERROR'] as const;

/** Tab-separated, with a header line: readable as it is, and `cut -f` still works. */
function table(rows: readonly DeliveryView[]): string {
  const lines = rows.map((row) =>
    [
      row.id,
      new Date(row.updatedAt).toISOString(),
      row.connector,
      row.event,
      row.eventId,
      String(row.attempts),
      row.lastError ?? '',
    ].join('\t'),
  );
  return `${[COLUMNS.join('\t'), ...lines].join('\n')}\n`;
}

/** `wa-router replay --since TIME [--until TIME] [--event NAME]`. */
export async function replay(config: RouterConfig, flags: DeadLetterFlags): Promise<Outcome> {
  if (flags.since === undefined) return usage(`replay needs --since TIME (TIME: ${TIME_FORMS})`);
  const since = parseTime(flags.since);
  if (since === undefined) return usage(`--since "${flags.since}": expected ${TIME_FORMS}`);
  const until = flags.until === undefined ? undefined : parseTime(flags.until);
  if (flags.until !== undefined && until === undefined)
    return usage(`--until "${flags.until}": expected ${TIME_FORMS}`);
  const store = await openStore(config.store);
  try {
    if (flags.event && !KNOWN_EVENT_TYPES.includes(flags.event)) {
      // The router stores event names it does not know too: one in the store is fine.
      const stored = await store.searchEvents({ event: flags.event, limit: 1 });
      if (stored.events.length === 0)
        return usage(
          `--event: unknown event type "${flags.event}"${didYouMean(flags.event, KNOWN_EVENT_TYPES)}, and no stored event has it`,
        );
    }
    const count = await store.replayEvents({
      since,
      ...(until === undefined ? {} : { until }),
      ...(flags.event ? { event: flags.event } : {}),
    });
    if (count === 0)
      return {
        code: 0,
        stdout: `Nothing matched: no stored event${flags.event ? ` of type ${flags.event}` : ''} received in that time.\n`,
      };
    return {
      code: 0,
      stdout: `${count} event${count === 1 ? '' : 's'} will be routed and delivered again (same idempotency keys).\n`,
    };
  } finally {
    await store.close();
  }
}
