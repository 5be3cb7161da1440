import type { Delivery } from './connector.ts';

/**
 * What templates see for a delivery: the event's fields at the top level (`{{ contact.name }}`),
 * plus `route` and `params` (the route's `with:` block).
 */
export function templateScope(delivery: Delivery): object {
  return { ...delivery.event, route: delivery.route, params: delivery.params, idempotencyKey: delivery.idempotencyKey };
}
