import type { CompiledRoute, RoutingTable } from '../domain/route.ts';
import { explainWhen } from '../rules/index.ts';
import type { RoutedEvent } from '../domain/event.ts';
import { planEvent, routeTakes } from './plan.ts';
import type { ConnectorContext } from '../sdk/connector.ts';
import { normalizeItem } from '../wassenger/normalize.ts';
import { parseWebhookBody } from '../wassenger/payload.ts';

export interface DryRunDelivery {
  readonly connector: string;
  readonly type: string;
  readonly route: string;
  readonly idempotencyKey: string;
  /** What the connector would send (its `preview`), or the event and params when it has none. */
  readonly wouldSend?: unknown;
  readonly error?: string;
}

export interface DryRunEvent {
  readonly event: RoutedEvent;
  readonly matchedRoutes: readonly string[];
  /** Each route that did not match, with the first condition of its `when` that failed. */
  readonly unmatchedRoutes: readonly { readonly route: string; readonly reason: string }[];
  readonly deliveries: readonly DryRunDelivery[];
}

/** Why a route did not match: the first condition of its `when` the event fails. */
function firstFailure(route: CompiledRoute, event: RoutedEvent): string {
  try {
    return explainWhen(route.matches, event)?.message ?? 'matched';
  } catch {
    return 'its condition is false for this event';
  }
}

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Route a payload without sending or storing anything: which routes match each event, and exactly
 * what each connector would be sent. Connectors are created (no I/O happens in `create`) and asked
 * for their `preview`.
 */
export async function dryRun(
  config: RoutingTable,
  body: unknown,
  receivedAt = new Date(),
): Promise<
  | { ok: true; events: DryRunEvent[] }
  | { ok: false; error: string; issues: readonly { path: string; message: string }[] }
> {
  const parsed = parseWebhookBody(body);
  if (!parsed.ok) return { ok: false, error: parsed.error, issues: parsed.issues };
  const events: DryRunEvent[] = [];
  for (const item of parsed.items) {
    const event = normalizeItem(item, receivedAt);
    const plan = planEvent(event, config.routes);
    const deliveries: DryRunDelivery[] = [];
    for (const planned of plan.deliveries) {
      const instance = config.connectors.get(planned.connector)!;
      const target = config.routes
        .find((route) => route.name === planned.route)
        ?.targets.find((t) => t.connector === planned.connector);
      const delivery = {
        id: 'dry-run',
        idempotencyKey: `${event.id}:${instance.name}`,
        attempt: 1,
        route: planned.route,
        event,
        params: target?.params,
      };
      const base = {
        connector: instance.name,
        type: instance.type,
        route: planned.route,
        idempotencyKey: delivery.idempotencyKey,
      };
      try {
        const context: ConnectorContext = {
          name: instance.name,
          log: quietLog,
          configDir: config.dir,
          state: { get: async () => undefined, set: async () => {}, delete: async () => {} },
        };
        const connector = await instance.definition.create(instance.config, context);
        const wouldSend = connector.preview ? connector.preview(delivery) : { event, params: planned.params };
        await connector.close?.();
        deliveries.push({ ...base, wouldSend });
      } catch (error) {
        deliveries.push({ ...base, error: error instanceof Error ? error.message : String(error) });
      }
    }
    const unmatchedRoutes = config.routes
      .filter((route) => !plan.matched.includes(route.name) && routeTakes(route, event))
      .map((route) => ({ route: route.name, reason: firstFailure(route, event) }));
    events.push({ event, matchedRoutes: plan.matched, unmatchedRoutes, deliveries });
  }
  return { ok: true, events };
}

/**
 * The dry run as `wa-router route` prints it: a rendered `body` (or file `line`) that is JSON is
 * shown as JSON, indented with the rest, rather than as one escaped string.
 */
export function printable(events: readonly DryRunEvent[]): unknown {
  return {
    events: events.map(({ event, deliveries, ...rest }) => ({
      id: event.id,
      event: event.event,
      ...rest,
      deliveries: deliveries.map((delivery) =>
        delivery.wouldSend === undefined ? delivery : { ...delivery, wouldSend: expandJson(delivery.wouldSend) },
      ),
    })),
  };
}

function expandJson(wouldSend: unknown): unknown {
  if (wouldSend === null || typeof wouldSend !== 'object' || Array.isArray(wouldSend)) return wouldSend;
  const out: Record<string, unknown> = { ...(wouldSend as Record<string, unknown>) };
  for (const key of ['body', 'line']) {
    const value = out[key];
    if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) continue;
    try {
      out[key] = JSON.parse(value);
    } catch {
      // not JSON after all: shown as the text it is
    }
  }
  return out;
}
