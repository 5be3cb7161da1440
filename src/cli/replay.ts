import type { RouterConfig } from '../config/load.ts';
import { openStore } from '../store/open.ts';
import type { EventSearch, EventSummary, Store } from '../store/store.ts';
import { didYouMean } from '../util/suggest.ts';
import { KNOWN_EVENT_TYPES } from '../wassenger/payload.ts';
import { checkConnector, type DeadLetterFlags, type Outcome, usage } from './dead-letters.ts';
import { parseTime, TIME_FORMS } from './time.ts';

/** What one replay did. */
interface ReplayCount {
  deliveries: number;
  events: number;
  rerouted: number;
}

/**
 * `wa-router replay --since TIME [--until TIME] [--event NAME] [--connector NAME] [--include-delivered]`.
 * Targets are explicit (issue 19): by default only deliveries that failed or are dead are sent
 * again, and events that have no delivery at all run through the current routes again. Connectors
 * that already delivered are sent to again only with --include-delivered, which routes every event
 * of the window again (the current routes decide, the same idempotency keys travel).
 */
export async function replay(config: RouterConfig, flags: DeadLetterFlags): Promise<Outcome> {
  if (flags.since === undefined) return usage(`replay needs --since TIME (TIME: ${TIME_FORMS})`);
  const since = parseTime(flags.since);
  if (since === undefined) return usage(`--since "${flags.since}": expected ${TIME_FORMS}`);
  const until = flags.until === undefined ? undefined : parseTime(flags.until);
  if (flags.until !== undefined && until === undefined)
    return usage(`--until "${flags.until}": expected ${TIME_FORMS}`);
  if (flags['include-delivered'] && flags.connector)
    return usage('--include-delivered routes whole events again; it cannot be combined with --connector');
  const store = await openStore(config.store);
  try {
    const problem = await checkFlags(store, config, flags);
    if (problem) return problem;
    const window = { since, ...(until === undefined ? {} : { until }), ...(flags.event ? { event: flags.event } : {}) };
    if (flags['include-delivered']) {
      const count = await store.replayEvents(window);
      if (count === 0) return nothingMatched(flags);
      const plural = count === 1 ? '' : 's';
      return {
        code: 0,
        stdout: `${count} event${plural} will be routed and delivered again to every connector, delivered ones included (same idempotency keys).\n`,
      };
    }
    const count = await replayFailed(store, window, flags.connector, Date.now());
    if (count.events === 0) return nothingMatched(flags);
    return { code: 0, stdout: describe(count) };
  } finally {
    await store.close();
  }
}

async function checkFlags(store: Store, config: RouterConfig, flags: DeadLetterFlags): Promise<Outcome | undefined> {
  if (flags.connector) {
    const unknown = await checkConnector(store, config, flags.connector);
    if (unknown) return unknown;
  }
  if (flags.event && !KNOWN_EVENT_TYPES.includes(flags.event)) {
    // The router stores event names it does not know too: one in the store is fine.
    const stored = await store.searchEvents({ event: flags.event, limit: 1 });
    if (stored.events.length === 0)
      return usage(
        `--event: unknown event type "${flags.event}"${didYouMean(flags.event, KNOWN_EVENT_TYPES)}, and no stored event has it`,
      );
  }
  return undefined;
}

/** Send again the failed or dead deliveries of the window's events; route again those with none. */
async function replayFailed(
  store: Store,
  window: Pick<EventSearch, 'since' | 'until' | 'event'>,
  connector: string | undefined,
  now: number,
): Promise<ReplayCount> {
  const count: ReplayCount = { deliveries: 0, events: 0, rerouted: 0 };
  let before: number | undefined;
  do {
    const page = await store.searchEvents({ ...window, limit: 500, ...(before === undefined ? {} : { before }) });
    for (const event of page.events) {
      count.events++;
      if (event.deliveries.length === 0 && connector === undefined) {
        if (await store.replayEvent(event.id)) count.rerouted++;
        continue;
      }
      const ids = chosen(event, connector);
      if (ids.length > 0) count.deliveries += await store.redeliver(ids, now);
    }
    before = page.next;
  } while (before !== undefined);
  return count;
}

/** Dead, or pending after an attempt failed (not delivered, not skipped, not yet tried). */
function chosen(event: EventSummary, connector: string | undefined): string[] {
  return event.deliveries
    .filter((d) => connector === undefined || d.connector === connector)
    .filter((d) => d.status === 'dead' || (d.status === 'pending' && d.attempts > 0))
    .map((d) => d.id);
}

function describe(count: ReplayCount): string {
  const parts = [
    `${count.deliveries} failed or dead deliver${count.deliveries === 1 ? 'y' : 'ies'} set to be delivered again`,
  ];
  if (count.rerouted > 0)
    parts.push(`${count.rerouted} event${count.rerouted === 1 ? '' : 's'} without deliveries routed again`);
  const delivered = 'deliveries that succeeded are left alone (--include-delivered sends those too)';
  return `${parts.join('; ')} (of ${count.events} event${count.events === 1 ? '' : 's'} in that time); ${delivered}.\n`;
}

function nothingMatched(flags: DeadLetterFlags): Outcome {
  return {
    code: 0,
    stdout: `Nothing matched: no stored event${flags.event ? ` of type ${flags.event}` : ''} received in that time.\n`,
  };
}
