import { isRouterEventName, type RoutedEvent } from '../domain/event.ts';
import type { PlannedDelivery } from '../domain/delivery.ts';
import type { CompiledRoute } from '../domain/route.ts';

export interface EventPlan {
  /** Names of every route whose `when` matched. */
  readonly matched: readonly string[];
  /** One delivery per connector, even when several routes name it (the first route's `with:` wins). */
  readonly deliveries: readonly PlannedDelivery[];
}

/**
 * Whether a route may consider an event at all: the router's own events only reach routes whose
 * `when` tests `event` (CompiledRoute.routerEvents), so a catch-all route never receives alerts.
 */
export function routeTakes(route: CompiledRoute, event: RoutedEvent): boolean {
  return route.routerEvents === true || !isRouterEventName(event.event);
}

/** Evaluate every route against an event (every matching route fires). Pure. */
export function planEvent(event: RoutedEvent, routes: readonly CompiledRoute[]): EventPlan {
  const matched: string[] = [];
  const deliveries: PlannedDelivery[] = [];
  const taken = new Set<string>();
  for (const route of routes) {
    if (!routeTakes(route, event) || !route.matches(event)) continue;
    matched.push(route.name);
    for (const target of route.targets) {
      if (taken.has(target.connector)) continue;
      taken.add(target.connector);
      deliveries.push({
        connector: target.connector,
        route: route.name,
        params: target.rawParams,
        chatKey: event.chat?.id,
      });
    }
  }
  return { matched, deliveries };
}

/** The debug line of a routing decision, the same from ingest and from the routing stage. */
export function logPlan(
  log: { debug(fields: object, message: string): void },
  event: RoutedEvent,
  plan: EventPlan,
): void {
  log.debug(
    { eventId: event.id, event: event.event, routes: plan.matched },
    plan.matched.length === 0 ? 'Event matched no route.' : 'Event routed.',
  );
}
