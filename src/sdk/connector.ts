import type { z } from 'zod';
import type { Readable } from 'node:stream';
import type { EventMedia, RoutedEvent } from '../domain/event.ts';
import type { Outcome } from './outcome.ts';

/** Version of this SDK contract; a plugin built for another version is refused at load. */
export const SDK_VERSION = 1 as const;

/** How the dispatcher feeds a connector. Every field can be overridden per instance under `delivery:`. */
export interface DeliveryPolicy {
  /** Most deliveries handed to one `deliver()` call. */
  readonly maxBatch: number;
  /** Most `deliver()` calls running at once for one connector instance. */
  readonly maxInFlight: number;
  /** Most deliveries started per second (token bucket); 0 means unlimited. */
  readonly ratePerSec: number;
  /**
   * Most `deliver()` calls started per second, whatever their batch size (0: unlimited). For
   * services that limit requests rather than items, e.g. 0.5 for Google's 60 writes a minute.
   */
  readonly callsPerSec: number;
  /** Deadline of one `deliver()` call; past it the batch is retried. */
  readonly timeoutMs: number;
  /** Attempts before a retried delivery becomes a dead letter. */
  readonly maxAttempts: number;
  /** Age (since the event was received) past which a retried delivery becomes a dead letter. */
  readonly maxAgeMs: number;
  /** First backoff step; the n-th retry waits a random time in [0, min(maxBackoffMs, base·2^(n-1))]. */
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
  /**
   * `chat`: no delivery of a chat overtakes an earlier one. Deliveries of one chat are in flight
   * only together, in one batch, in order (a claim that fills one batch, as when one slot is free,
   * may take several of a chat); a connector keeping order must then answer them alike, or retry
   * the later ones with an earlier one (Kafka does: a partition's records succeed or fail together).
   */
  readonly orderBy: 'none' | 'chat';
}

/** The delivery policy a connector type gets when its definition and the config say nothing. */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = Object.freeze({
  maxBatch: 1,
  maxInFlight: 4,
  ratePerSec: 0,
  callsPerSec: 0,
  timeoutMs: 10_000,
  maxAttempts: 12,
  maxAgeMs: 24 * 3_600_000,
  backoffBaseMs: 1_000,
  maxBackoffMs: 10 * 60_000,
  orderBy: 'none',
});

/** One event to deliver to one connector instance. */
export interface Delivery<P = unknown> {
  /** The store's delivery id. */
  readonly id: string;
  /** Stable across retries and replays: `<event id>:<connector name>`. Send it as the idempotency key. */
  readonly idempotencyKey: string;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Name of the first route that sent this event to this connector. */
  readonly route: string;
  readonly event: RoutedEvent;
  /** The route's `with:` block, parsed with the definition's `params` schema (undefined when none). */
  readonly params: P;
}

/** The minimal logger connectors get (a pino child bound to the connector). */
export interface ConnectorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A small durable key-value space per connector instance, kept in the router's store. */
export interface ConnectorState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Forget a key; forgetting one that is not there is not an error. */
  delete(key: string): Promise<void>;
}

/** A media file as the router stored it, opened for reading. */
export interface MediaFile {
  /** The router's id of the file (content address; the id in `message.media.url`). */
  readonly key: string;
  /** Content type, e.g. "image/jpeg". */
  readonly mime: string;
  /** The file name to show (from the payload, cleaned); never a path. */
  readonly filename: string;
  /** Size in bytes. */
  readonly size: number;
  /** The bytes. Read it to the end or destroy it, or the file stays open. */
  readonly stream: Readable;
}

/**
 * The router's stored media files (`media:` configured). A connector reads the bytes of an
 * event's file here, without the Wassenger API key: the dispatcher delivers a media event only
 * once its file is stored (`message.media.url` set) or known lost (`message.media.error`).
 */
export interface MediaFiles {
  /** Open the stored file of `media` (an event's `message.media`); undefined when it is not stored. */
  open(media: EventMedia): Promise<MediaFile | undefined>;
}

/** What `create()` receives besides its parsed config. */
export interface ConnectorContext {
  /** Instance name from the config (`connectors.<name>`). */
  readonly name: string;
  readonly log: ConnectorLogger;
  readonly state: ConnectorState;
  /** Folder of the config file, to resolve relative paths in connector config. */
  readonly configDir: string;
  /** Stored media files; present only when the config has a `media:` section. */
  readonly media?: MediaFiles | undefined;
}

/** A running connector instance. */
export interface Connector<P = unknown> {
  /**
   * Deliver a batch; return exactly one outcome per item, in the same order.
   * Never sleep or retry; a thrown error counts as `retry` for the whole batch.
   * `signal` aborts when the delivery deadline (`timeoutMs`) passes.
   */
  deliver(batch: readonly Delivery<P>[], signal: AbortSignal): Promise<readonly Outcome[]>;
  /**
   * What `deliver` would send for this delivery, without sending it (used by `wa-router route`).
   * Must be pure: no network, no files.
   */
  preview?(delivery: Delivery<P>): unknown;
  /** Cheap check that the destination is reachable and the credentials work; no writes. */
  healthcheck?(signal: AbortSignal): Promise<void>;
  /** Flush and release clients. Called once at shutdown or when a reload replaces the instance. */
  close?(): Promise<void>;
}

/** An example config shown in the docs and validated by the tests. */
export interface ConnectorExample<C> {
  readonly title: string;
  readonly config: C;
}

/** Everything the router knows about a connector type: schema, docs, delivery policy and constructor. */
export interface ConnectorDefinition<C extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType> {
  readonly sdkVersion: typeof SDK_VERSION;
  /** Name used as `type:` in config: lower snake_case, unique across built-ins and plugins. */
  readonly type: string;
  /** One line for docs and `validate` output. */
  readonly summary: string;
  /** Schema of the instance config (besides `type` and `delivery`), strict so typos are reported. */
  readonly config: C;
  /** Schema of a route's `with:` block for this connector. */
  readonly params?: P;
  readonly examples?: readonly ConnectorExample<z.input<C>>[];
  /** Defaults of the delivery policy for this type; instances may override. */
  readonly delivery?: Partial<DeliveryPolicy>;
  /** Build an instance. No network I/O here: connect lazily in `deliver`. */
  create(config: z.output<C>, ctx: ConnectorContext): Connector<z.output<P>> | Promise<Connector<z.output<P>>>;
}

/**
 * Declare a connector. Returns its argument, typed; built-in connectors and plugin modules both use it.
 *
 * @example
 * ```ts
 * import { defineConnector, delivered, z } from 'wa-router/sdk';
 * export default defineConnector({
 *   sdkVersion: 1,
 *   type: 'console',
 *   summary: 'Print each event id.',
 *   config: z.object({ prefix: z.string().default('') }).strict(),
 *   create: (config) => ({
 *     async deliver(batch) { return batch.map((d) => { console.log(config.prefix + d.event.id); return delivered(); }); },
 *   }),
 * });
 * ```
 */
export function defineConnector<C extends z.ZodType, P extends z.ZodType = z.ZodUndefined>(
  definition: ConnectorDefinition<C, P>,
): ConnectorDefinition<C, P> {
  return definition;
}
