/**
 * The fault-conformance suite: the faults every connector must survive, checked the same way for
 * built-ins and plugins, against the connector's own fake of its service (a sibling of
 * `checkConnector`). The connector's test says which faults its fake can make; the suite makes
 * them and checks the contract: nothing is reported delivered that the destination does not have,
 * an answer lost after the destination acted is retried (without a duplicate where the destination
 * deduplicates), a hang ends at the deadline, hostile event values never throw nor walk a URL path,
 * a success status with an error inside is not delivered, and odd `Retry-After` values give a sane wait.
 */
import type { Connector, ConnectorContext, ConnectorDefinition, ConnectorState } from './connector.ts';
import {
  checkDelivered,
  deliver,
  type FaultHarness,
  type FaultKind,
  type FaultReport,
  type FaultRun,
  faultEvent,
  HOSTILE_VALUES,
  hostileEvent,
  ODD_RETRY_AFTER,
  problem,
  timesActed,
} from './fault-check.ts';

export type { FaultHarness, FaultKind, FaultMaker, FaultReport } from './fault-check.ts';
export { HOSTILE_VALUES, ODD_RETRY_AFTER } from './fault-check.ts';

const MAX_WAIT_MS = 24 * 3_600_000;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Run the fault-conformance suite against a connector and its fake. Resolves with a report whose
 * `problems` must be empty; `covered` says how the connector met each fault (print it, e.g. with
 * `t.diagnostic`) and `notCovered` which faults the fake could not make, and why.
 *
 * @example
 * ```ts
 * const report = await checkConnectorFaults(definition, {
 *   config: { url: `${sink.url}/in` },
 *   faults: { hang: () => sink.reply({ hang: true }), errorIn200: 'a 2xx is success for a generic endpoint' },
 *   heal: () => sink.heal(),
 *   acted: () => sink.requests.map((r) => JSON.parse(r.body).id),
 * });
 * assert.deepEqual(report.problems, []);
 * ```
 */
export async function checkConnectorFaults(
  definition: ConnectorDefinition,
  harness: FaultHarness,
): Promise<FaultReport> {
  const report: FaultReport = { problems: [], covered: [], notCovered: [] };
  const connector = await start(definition, harness, report);
  if (!connector) return report;
  const params = definition.params ? definition.params.parse(harness.params ?? {}) : undefined;
  const run: FaultRun = { connector, harness, params, report, refs: new Map(), serial: 0 };
  try {
    await harness.heal();
    const first = await deliver(run, 'no fault', { ...faultEvent, id: 'evt_fault_ok' });
    if (first?.status !== 'delivered') {
      problem(run, `no fault: expected delivered, got ${JSON.stringify(first)}; the other checks need a working fake`);
      return report;
    }
    await checkDelivered(run, 'no fault', 'evt_fault_ok', first);
    await hostileValues(run);
    await answerLost(run, 'lostAnswer');
    await answerLost(run, 'resetAfterActing');
    await single(run, 'hang', (outcome) => outcome === 'retry' || `expected retry, got ${outcome}`);
    await single(run, 'garbage', () => true);
    await single(run, 'errorIn200', (outcome) => outcome !== 'delivered' || 'an error inside a 2xx was delivered');
    await rateLimited(run);
    await diskFull(run);
  } finally {
    await harness.heal();
    await connector.close?.();
  }
  return report;
}

async function start(
  definition: ConnectorDefinition,
  harness: FaultHarness,
  report: FaultReport,
): Promise<Connector | undefined> {
  const config = definition.config.safeParse(harness.config);
  if (!config.success) {
    report.problems.push(`config does not parse: ${config.error.message}`);
    return undefined;
  }
  const map = new Map<string, string>();
  const state: ConnectorState = {
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    delete: async (key) => void map.delete(key),
  };
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const context: ConnectorContext = { name: `${definition.type}-faults`, log: quiet, configDir: process.cwd(), state };
  try {
    return await definition.create(config.data, context);
  } catch (error) {
    report.problems.push(`create threw: ${(error as Error).message}`);
    return undefined;
  }
}

/** Make a fault when the fake can; records it as not covered otherwise. */
async function make(run: FaultRun, kind: FaultKind, retryAfter?: string): Promise<boolean> {
  const maker = run.harness.faults[kind];
  if (typeof maker === 'function') {
    await maker(retryAfter);
    return true;
  }
  if (retryAfter === undefined || retryAfter === ODD_RETRY_AFTER[0])
    run.report.notCovered.push(`${kind}: ${maker ?? 'the fake cannot make it'}`);
  return false;
}

async function hostileValues(run: FaultRun): Promise<void> {
  const seen: string[] = [];
  for (const [index, { name, value }] of HOSTILE_VALUES.entries()) {
    const event = hostileEvent(`evt_fault_hostile_${index}`, value);
    try {
      run.connector.preview?.({
        id: 'preview',
        idempotencyKey: `${event.id}:p`,
        attempt: 1,
        route: 'faults',
        event,
        params: run.params,
      });
    } catch (error) {
      if (!(error instanceof Error)) problem(run, `hostile ${name}: preview threw a non-Error: ${String(error)}`);
    }
    const outcome = await deliver(run, `hostile ${name}`, event);
    await checkDelivered(run, `hostile ${name}`, event.id, outcome);
    const why = outcome && 'reason' in outcome ? ` (${outcome.reason.slice(0, 60)})` : '';
    seen.push(`${name} → ${outcome?.status ?? 'problem'}${why}`);
    await run.harness.heal();
  }
  for (const path of run.harness.paths?.() ?? []) {
    const segments = path.split(/[?#]/, 1)[0]!.split('/');
    const pattern = run.harness.pathPattern;
    if (segments.some((segment) => DOT_SEGMENT.test(segment)) || (pattern && !pattern.test(path)))
      problem(run, `a request went to ${path.slice(0, 200)}: an event value walked the URL path`);
  }
  run.report.covered.push(`hostile values: ${seen.join(', ')}`);
}

/** The destination acted, the answer was lost: retry, and the retry does not act twice where it can dedupe. */
async function answerLost(run: FaultRun, kind: 'lostAnswer' | 'resetAfterActing'): Promise<void> {
  const event = { ...faultEvent, id: `evt_fault_${kind}` };
  if (!(await make(run, kind))) return;
  const first = await deliver(run, kind, event, { short: true });
  await checkDelivered(run, kind, event.id, first);
  if (first && first.status !== 'retry' && first.status !== 'delivered')
    problem(run, `${kind}: expected retry (the destination may have acted), got ${first.status}: ${first.reason}`);
  await run.harness.heal();
  // As the dispatcher does: a delivered event is not sent again.
  const second = first?.status === 'delivered' ? first : await deliver(run, `${kind}, retried`, event, { attempt: 2 });
  if (second && second.status !== 'delivered')
    problem(run, `${kind}: the retry was not delivered: ${JSON.stringify(second)}`);
  const times = await timesActed(run, event.id);
  if (run.harness.idempotent && times > 1) problem(run, `${kind}: the destination acted ${times} times on one event`);
  const course =
    second === first ? 'delivered at once' : `${first?.status ?? 'problem'}, then ${second?.status ?? 'problem'}`;
  run.report.covered.push(`${kind}: ${course}; acted ${times}×`);
}

async function single(run: FaultRun, kind: FaultKind, expect: (status: string) => true | string): Promise<void> {
  const event = { ...faultEvent, id: `evt_fault_${kind}` };
  if (!(await make(run, kind))) return;
  const outcome = await deliver(run, kind, event, { short: kind === 'hang' });
  await run.harness.heal();
  if (!outcome) return;
  if (outcome.status === 'delivered') await checkDelivered(run, kind, event.id, outcome);
  const verdict = expect(outcome.status);
  if (verdict !== true) problem(run, `${kind}: ${verdict}`);
  run.report.covered.push(
    `${kind}: ${outcome.status}${'reason' in outcome ? ` (${outcome.reason.slice(0, 80)})` : ''}`,
  );
}

async function rateLimited(run: FaultRun): Promise<void> {
  const waits: string[] = [];
  for (const [index, value] of ODD_RETRY_AFTER.entries()) {
    if (!(await make(run, 'rateLimited', value))) return;
    const outcome = await deliver(run, `429 Retry-After ${JSON.stringify(value)}`, {
      ...faultEvent,
      id: `evt_fault_429_${index}`,
    });
    await run.harness.heal();
    if (!outcome) continue;
    if (outcome.status !== 'retry') {
      problem(run, `429 Retry-After ${JSON.stringify(value)}: expected retry, got ${outcome.status}`);
      continue;
    }
    const wait = outcome.retryAfterMs;
    if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0 && wait <= MAX_WAIT_MS))
      problem(run, `429 Retry-After ${JSON.stringify(value)}: retryAfterMs ${wait} is not a sane wait`);
    waits.push(`${JSON.stringify(value)}→${wait ?? 'default'}`);
  }
  run.report.covered.push(`rateLimited: retry, waits ${waits.join(' ')}`);
}

async function diskFull(run: FaultRun): Promise<void> {
  const event = { ...faultEvent, id: 'evt_fault_disk' };
  if (!(await make(run, 'diskFull'))) return;
  const first = await deliver(run, 'diskFull', event);
  await checkDelivered(run, 'diskFull', event.id, first);
  if (first && first.status !== 'retry') problem(run, `diskFull: expected retry, got ${first.status}`);
  await run.harness.heal();
  const second = await deliver(run, 'diskFull, retried', event, { attempt: 2 });
  if (second?.status !== 'delivered') problem(run, `diskFull: the retry was not delivered: ${JSON.stringify(second)}`);
  const times = await timesActed(run, event.id);
  if (times !== 1) problem(run, `diskFull: the destination holds the event ${times} times, expected once`);
  run.report.covered.push(
    `diskFull: ${first?.status ?? 'problem'}, then ${second?.status ?? 'problem'}; held ${times}×`,
  );
}
