/**
 * Routes and connector instances as the router runs them: what the config loader builds from
 * YAML and what routing, ingest and dispatch read. Types only; the loader lives in src/config.
 */
import type { ConnectorDefinition, DeliveryPolicy } from '../sdk/connector.ts';
import type { AttemptCapture } from './delivery.ts';
import type { RoutedEvent } from './event.ts';

/** A configured connector instance, validated against its type's schema. */
export interface ConnectorInstance {
  readonly name: string;
  readonly type: string;
  readonly definition: ConnectorDefinition;
  /** The instance config as parsed by the definition's schema (templates compiled). */
  readonly config: unknown;
  readonly policy: DeliveryPolicy;
}

/** One `to:` entry of a route. */
export interface RouteTarget {
  readonly connector: string;
  /** The `with:` block parsed by the connector's params schema. */
  readonly params: unknown;
  /** The `with:` block as written, stored with the delivery and parsed again when delivered. */
  readonly rawParams: unknown;
}

/** A route with its `when` compiled to a predicate. */
export interface CompiledRoute {
  readonly name: string;
  readonly matches: (event: RoutedEvent) => boolean;
  readonly targets: readonly RouteTarget[];
  /** The route's `when` tests `event`: only such routes may match the router's own events (router:*). */
  readonly routerEvents?: boolean;
}

/** What the stages need of a loaded config: its connectors and routes, and the secrets to keep out of texts. */
export interface RoutingTable {
  /** Folder of the config file (connectors resolve relative paths against it). */
  readonly dir: string;
  readonly connectors: ReadonlyMap<string, ConnectorInstance>;
  readonly routes: readonly CompiledRoute[];
  /** Values substituted from the environment, plus the webhook secret: never logged. */
  readonly secrets: readonly string[];
  /** Which attempts keep their request and response (`capture.attempts`); unset: `failures`. */
  readonly capture?: AttemptCapture | undefined;
}
