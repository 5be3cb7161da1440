import type { RoutedEvent } from '../domain/event.ts';
import type { Connector, ConnectorContext, ConnectorDefinition, ConnectorState, Delivery } from './connector.ts';
import { SDK_VERSION } from './connector.ts';

export { checkConnectorFaults, HOSTILE_VALUES, ODD_RETRY_AFTER } from './fault-suite.ts';
export type { FaultHarness, FaultKind, FaultMaker, FaultReport } from './fault-suite.ts';

/**
 * Connector state kept in a Map, for a connector's own tests (the router keeps it in its store).
 * Pass a Map to look at or seed what the connector stored.
 */
export function memoryState(map: Map<string, string> = new Map()): ConnectorState {
  return {
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    delete: async (key) => void map.delete(key),
  };
}

/** Options of the conformance check. */
export interface CheckOptions {
  /** A valid instance config, pointed at a local fake of the service. */
  readonly config: unknown;
  /** The `with:` block to deliver with (parsed by the definition's params schema). */
  readonly params?: unknown;
  /** Events to deliver; a minimal inbound message when absent. */
  readonly events?: readonly RoutedEvent[];
}

const sampleEvent: RoutedEvent = {
  id: 'evt_conformance',
  event: 'message:in:new',
  receivedAt: '2026-01-01T00:00:00.000Z',
  device: { id: 'device-1', phone: '+10000000000' },
  chat: { id: '15550000001@c.us', type: 'user', name: 'Conformance', labels: [] },
  contact: { wid: '15550000001@c.us', phone: '+15550000001', name: 'Conformance', metadata: {} },
  message: { id: 'MSG1', type: 'text', body: 'hello <world> & "friends"', fromMe: false },
  data: { id: 'MSG1' },
};

/**
 * The contract every connector must keep, checked the same way for built-ins and custom modules.
 * Returns the list of violations (empty when it conforms); call it from the connector's test,
 * with a config that points at a local fake of the service:
 * - the definition has the required shape and every example parses with its config schema;
 * - `create` succeeds; `deliver` returns one valid outcome per delivery, in a batch of 3;
 * - `preview` (if any) returns JSON-serializable data; `close` can be called twice.
 */
export async function checkConnector(definition: ConnectorDefinition, options: CheckOptions): Promise<string[]> {
  const problems: string[] = [];
  if (definition.sdkVersion !== SDK_VERSION)
    problems.push(`sdkVersion is ${String(definition.sdkVersion)}, expected ${SDK_VERSION}`);
  for (const example of definition.examples ?? []) {
    const parsed = definition.config.safeParse(example.config);
    if (!parsed.success)
      problems.push(
        `example "${example.title}" does not parse: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
  }
  const config = definition.config.safeParse(options.config);
  if (!config.success) return [...problems, `config does not parse: ${config.error.message}`];
  let params: unknown;
  if (definition.params) {
    const parsed = definition.params.safeParse(options.params ?? {});
    if (!parsed.success) return [...problems, `params do not parse: ${parsed.error.message}`];
    params = parsed.data;
  }
  const context: ConnectorContext = {
    name: `${definition.type}-conformance`,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir: process.cwd(),
    state: memoryState(),
  };
  let connector: Connector;
  try {
    connector = await definition.create(config.data, context);
  } catch (error) {
    return [...problems, `create threw: ${(error as Error).message}`];
  }
  const events = options.events ?? [
    sampleEvent,
    { ...sampleEvent, id: 'evt_conformance_2' },
    { ...sampleEvent, id: 'evt_conformance_3' },
  ];
  const batch: Delivery[] = events.map((event, index) => ({
    id: String(index + 1),
    idempotencyKey: `${event.id}:${context.name}`,
    attempt: 1,
    route: 'conformance',
    event,
    params,
  }));
  if (connector.preview) {
    try {
      JSON.stringify(connector.preview(batch[0]!));
    } catch (error) {
      problems.push(`preview failed: ${(error as Error).message}`);
    }
  }
  try {
    const outcomes = await connector.deliver(batch, AbortSignal.timeout(10_000));
    if (!Array.isArray(outcomes) || outcomes.length !== batch.length) {
      problems.push(
        `deliver returned ${Array.isArray(outcomes) ? outcomes.length : typeof outcomes} outcomes for ${batch.length} deliveries`,
      );
    } else {
      outcomes.forEach((outcome, index) => {
        if (!['delivered', 'skipped', 'retry', 'failed'].includes(outcome?.status))
          problems.push(`outcome ${index} has no valid status`);
        if (outcome?.status !== 'delivered' && !('reason' in outcome && typeof outcome.reason === 'string'))
          problems.push(`outcome ${index} (${outcome?.status}) has no reason`);
      });
    }
  } catch (error) {
    problems.push(`deliver threw (connectors must return outcomes): ${(error as Error).message}`);
  }
  try {
    await connector.close?.();
    await connector.close?.();
  } catch (error) {
    problems.push(`close is not safe to call twice: ${(error as Error).message}`);
  }
  return problems;
}
