/**
 * Parts of the fault-conformance suite (`checkConnectorFaults` in fault-suite.ts): the faults, the
 * hostile values, and delivering one event under watch.
 */
import type { RoutedEvent } from '../domain/event.ts';
import type { Connector, Delivery } from './connector.ts';
import type { Outcome } from './outcome.ts';

/** The faults a fake can be told to make, for the next request (or write) only unless said otherwise. */
export type FaultKind =
  /** The destination acts, then never answers (the deadline fires). */
  | 'lostAnswer'
  /** The destination acts, then the connection is reset without an answer. */
  | 'resetAfterActing'
  /** No answer at all, nothing done. */
  | 'hang'
  /** A success status with a body that is not what the service answers (HTML, truncated JSON). */
  | 'garbage'
  /** A success status with an error inside (e.g. Slack's `{ "ok": false }`). */
  | 'errorIn200'
  /** 429 with the given Retry-After header value. */
  | 'rateLimited'
  /** Writes fail for lack of space (until healed). */
  | 'diskFull';

/** Make a fault; `retryAfter` is only given for `rateLimited`. A string instead says why the fault does not apply. */
export type FaultMaker = ((retryAfter?: string) => void | Promise<void>) | string;

/** What the connector's test provides: a config pointed at its fake, and the fake's controls. */
export interface FaultHarness {
  /** A valid instance config, pointed at the fake. */
  readonly config: unknown;
  /** The `with:` block (parsed by the params schema). */
  readonly params?: unknown;
  /** The faults this fake can make. Faults not listed are reported as not covered. */
  readonly faults: Partial<Record<FaultKind, FaultMaker>>;
  /** Back to normal answers (clear scripted faults, free the disk). */
  heal(): void | Promise<void>;
  /**
   * Event ids the destination has acted on, one entry per time it acted (so a duplicate shows twice).
   * A destination that honours the idempotency key counts a key once.
   */
  acted(): readonly string[] | Promise<readonly string[]>;
  /** The destination deduplicates retries (idempotency key, upsert, or a marker the connector finds again). */
  readonly idempotent?: boolean;
  /** Refs name one record each (offsets, ids): no two events may be delivered with the same ref. */
  readonly uniqueRefs?: boolean;
  /** Request paths the fake received, to prove no event value walked the path (HTTP fakes). */
  paths?(): readonly string[];
  /** Every request path (and query) must match this, e.g. `/^\/v1\/persons\/[^/]+\/notes$/`. */
  readonly pathPattern?: RegExp;
  /** Deadline given to `deliver()` when a fault may hang it (lost answer, hang); default 1 000 ms. */
  readonly deadlineMs?: number;
}

/** What the suite found: `problems` must be empty; `covered`/`notCovered` say which faults were tried. */
export interface FaultReport {
  readonly problems: string[];
  readonly covered: string[];
  readonly notCovered: string[];
}

/** Values event data may hold, each put in every string of the event's message, contact and chat. */
export const HOSTILE_VALUES: readonly { readonly name: string; readonly value: string }[] = [
  { name: 'dot segment', value: '.' },
  { name: 'dot-dot segment', value: '..' },
  { name: 'encoded dot-dot', value: '%2e%2e' },
  { name: 'encoded slashes', value: '..%2F..%2Fadmin' },
  { name: 'CRLF', value: 'a\r\nX-Injected: 1' },
  { name: 'NUL', value: 'a\u0000b' },
  { name: 'RTL mark', value: '\u202eevil\u200f' },
  { name: '1 MB string', value: 'x'.repeat(1024 * 1024) },
];

/** Odd Retry-After values a 429 may carry. */
export const ODD_RETRY_AFTER: readonly string[] = [
  '',
  'abc',
  '-5',
  '0',
  '1.5',
  '99999999999',
  'Wed, 21 Oct 2015 07:28:00 GMT',
  '1e3',
];

/** Deadline of a delivery under no fault that may hang it. */
const NORMAL_DEADLINE_MS = 15_000;
/** How long past its deadline `deliver()` may take to return. Generous: the suite asserts no timing. */
const RETURN_GRACE_MS = 30_000;

export const faultEvent: RoutedEvent = {
  id: 'evt_fault',
  event: 'message:in:new',
  receivedAt: '2026-01-01T00:00:00.000Z',
  device: { id: 'device-1', phone: '+10000000000' },
  chat: { id: '15550000001@c.us', type: 'user', name: 'Fault', labels: [] },
  contact: { wid: '15550000001@c.us', phone: '+15550000001', name: 'Fault', metadata: { CRM_CUSTOMER_ID: '7' } },
  message: { id: 'MSG1', type: 'text', body: 'hello', fromMe: false },
  data: { id: 'MSG1' },
};

/** Every string in `value` replaced by `hostile` (ids and types kept, so the event still routes). */
function poisoned(value: unknown, hostile: string, keep: ReadonlySet<string>, key = ''): unknown {
  if (typeof value === 'string') return keep.has(key) ? value : hostile;
  if (Array.isArray(value)) return value.map((item) => poisoned(item, hostile, keep));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poisoned(v, hostile, keep, k)]));
  return value;
}

export function hostileEvent(id: string, hostile: string): RoutedEvent {
  const keep = new Set(['type', 'wid', 'phone']);
  return {
    ...faultEvent,
    id,
    chat: poisoned(faultEvent.chat, hostile, keep) as RoutedEvent['chat'],
    contact: poisoned(faultEvent.contact, hostile, keep) as RoutedEvent['contact'],
    message: poisoned(faultEvent.message, hostile, keep) as RoutedEvent['message'],
  };
}

/** The state of one run of the suite. */
export type FaultRun = {
  readonly connector: Connector;
  readonly harness: FaultHarness;
  readonly params: unknown;
  readonly report: FaultReport;
  readonly refs: Map<string, string>;
  serial: number;
};

function deliveryOf(run: FaultRun, event: RoutedEvent, attempt = 1): Delivery {
  return {
    id: `${run.serial}`,
    idempotencyKey: `${event.id}:fault-check`,
    attempt,
    route: 'faults',
    event,
    params: run.params,
  };
}

/**
 * Deliver one event; returns its outcome, or undefined (with a problem) when deliver threw, hung or
 * answered wrong. `short`: under a fault that may hang, with the harness's deadline; otherwise a
 * generous one (a first delivery may connect, and the machine may be busy).
 */
export async function deliver(
  run: FaultRun,
  what: string,
  event: RoutedEvent,
  options: { attempt?: number; short?: boolean } = {},
): Promise<Outcome | undefined> {
  run.serial++;
  const attempt = options.attempt ?? 1;
  const deadline = options.short ? (run.harness.deadlineMs ?? 1_000) : NORMAL_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), deadline + RETURN_GRACE_MS)),
  );
  try {
    const outcomes = await Promise.race([
      run.connector.deliver([deliveryOf(run, event, attempt)], AbortSignal.timeout(deadline)),
      late,
    ]);
    if (outcomes === 'late') return problem(run, `${what}: deliver() did not return after its deadline`);
    const outcome = outcomes[0];
    if (outcomes.length !== 1 || !outcome || !['delivered', 'skipped', 'retry', 'failed'].includes(outcome.status))
      return problem(run, `${what}: deliver() returned ${JSON.stringify(outcomes)}, not one outcome`);
    if (outcome.status !== 'delivered' && /[\r\n]/.test(outcome.reason))
      problem(run, `${what}: the reason has a line break (a log injection): ${JSON.stringify(outcome.reason)}`);
    if (outcome.status === 'delivered' && outcome.ref !== undefined && run.harness.uniqueRefs) {
      const owner = run.refs.get(outcome.ref);
      if (owner !== undefined && owner !== event.id)
        problem(run, `${what}: delivered with ref ${outcome.ref}, already the ref of ${owner}`);
      run.refs.set(outcome.ref, event.id);
    }
    return outcome;
  } catch (error) {
    return problem(run, `${what}: deliver() threw (it must return outcomes): ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export function problem(run: FaultRun, text: string): undefined {
  run.report.problems.push(text);
  return undefined;
}

export async function timesActed(run: FaultRun, id: string): Promise<number> {
  try {
    return (await run.harness.acted()).filter((acted) => acted === id).length;
  } catch (error) {
    problem(run, `the destination's record is unreadable (a partial write?): ${(error as Error).message}`);
    return Number.NaN;
  }
}

/** Delivered must mean the destination has it. */
export async function checkDelivered(
  run: FaultRun,
  what: string,
  id: string,
  outcome: Outcome | undefined,
): Promise<void> {
  if (outcome?.status === 'delivered' && !((await timesActed(run, id)) > 0))
    problem(run, `${what}: reported delivered, but the destination does not have ${id}`);
}
