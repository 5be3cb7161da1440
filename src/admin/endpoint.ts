import type Koa from 'koa';
import type { z } from 'zod';
import type { RouterConfig } from '../config/load.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { Logger } from '../observability/logger.ts';
import type { StoreInspector, StoreReplay } from '../store/store.ts';
import type { HealthCache } from './health.ts';

export interface AdminDeps {
  /** The admin token of the running config; empty: the admin API and the console are off (404). */
  readonly token: () => string;
  /** The admin API sees what the store holds and the replays, nothing of the queue. */
  readonly store: StoreInspector & StoreReplay;
  readonly dispatcher: Dispatcher;
  readonly config: () => RouterConfig;
  readonly reload: () => Promise<boolean>;
  /** Events were marked unrouted: route them now rather than at the next poll. */
  readonly wakeRouting: () => void;
  readonly log: Logger;
}

/** What every handler gets: the router's parts, plus state the admin API keeps (health results). */
export interface AdminContext extends AdminDeps {
  readonly health: HealthCache;
}

export interface HandlerInput<Q, B> {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Q;
  readonly body: B;
  readonly admin: AdminContext;
  readonly ctx: Koa.Context;
}

/** One route of the admin API: what it accepts (zod) and the named function that answers it. */
export interface Endpoint<Q = unknown, B = unknown> {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly name: string;
  readonly query?: z.ZodType<Q>;
  /** A JSON body; absent: the endpoint reads none. */
  readonly body?: z.ZodType<B>;
  readonly handler: (input: HandlerInput<Q, B>) => Promise<object>;
}

/** Keeps each entry of the table typed by its own schemas. */
export const endpoint = <Q, B>(entry: Endpoint<Q, B>): Endpoint => entry as unknown as Endpoint;
