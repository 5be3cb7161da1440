import type { RouterConfig } from '../config/load.ts';
import { openStore } from '../store/open.ts';
import type { DeliveryView, Store } from '../store/store.ts';
import { didYouMean } from '../util/suggest.ts';

export interface DeadLetterFlags {
  readonly connector?: string | undefined;
  readonly limit?: string | undefined;
  readonly id?: string | undefined;
  readonly all?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly event?: string | undefined;
  readonly 'include-delivered'?: boolean | undefined;
}

/** What a command prints, and its exit code (2: a usage error). */
export interface Outcome {
  readonly code: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

export const usage = (message: string): Outcome => ({ code: 2, stderr: `${message}\n` });

/** Connectors a flag may name: the configured ones and any the store still holds deliveries of. */
export async function checkConnector(store: Store, config: RouterConfig, name: string): Promise<Outcome | undefined> {
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
