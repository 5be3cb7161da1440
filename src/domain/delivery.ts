import type { Exchange } from '../sdk/outcome.ts';
import type { RoutedEvent } from './event.ts';

/**
 * Deliveries and attempts: what routing plans, the dispatcher sends, and the admin API shows.
 * These are domain types, not storage details: every store adapter reads and writes them, and
 * the stages that use them import them from here. Times are epoch milliseconds.
 */

/** Where a delivery stands: `pending` (due now or later, maybe leased), or one of the final states. */
export type DeliveryStatus = 'pending' | 'delivered' | 'skipped' | 'dead';

/** What one attempt came to: what the connector said (or the dispatcher, for timeouts and throws). */
export type AttemptOutcome = 'delivered' | 'skipped' | 'retry' | 'failed';

/**
 * Which attempts keep their request and response (`capture.attempts` in the config): `all`,
 * `failures` (attempts answered `retry` or `failed`), or `off`.
 */
export type AttemptCapture = 'all' | 'failures' | 'off';

/** An attempt's request and response as stored: masked and cut (see the SDK's `captureExchange`). */
export type AttemptExchange = Exchange;

/** One delivery a routing decision asks for: an event to one connector, through one route. */
export interface PlannedDelivery {
  readonly connector: string;
  readonly route: string;
  readonly params?: unknown;
  /** Ordering key (the chat id), for connectors that keep per-chat order. */
  readonly chatKey?: string | undefined;
}

/** A delivery planned at ingest. */
export interface NewDelivery extends PlannedDelivery {
  /** Create it leased to this instance until then (attempt 1 in progress): the dispatcher has it in memory. */
  readonly leaseUntil?: number | undefined;
}

/** A delivery leased to this instance for one attempt: everything the dispatcher needs to send it. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly eventSeq: number;
  readonly eventId: string;
  readonly connector: string;
  readonly route: string;
  readonly params: unknown;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  readonly receivedAt: number;
  readonly body: string;
  readonly itemIndex: number;
  /** Set on deliveries leased at ingest: the lease they were created with. */
  readonly leaseUntil?: number | undefined;
  /** In memory only: the normalized event, on deliveries handed over at ingest (saves parsing the body again). */
  readonly event?: RoutedEvent | undefined;
}

/** The end of one attempt, and the delivery's state after it. */
export interface AttemptResult {
  readonly id: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /** What the connector said (or the dispatcher, for timeouts and throws). */
  readonly outcome: AttemptOutcome;
  /** The delivery's new state. */
  readonly status: DeliveryStatus;
  readonly nextAt?: number | undefined;
  readonly error?: string | undefined;
  readonly ref?: string | undefined;
  /** The request and response of this attempt, when the connector reported them and `capture.attempts` keeps them. */
  readonly exchange?: AttemptExchange | undefined;
}

/** A delivery as the admin API and the CLI show it. */
export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly event: string;
  readonly receivedAt: number;
  readonly connector: string;
  readonly route: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError?: string | undefined;
  readonly ref?: string | undefined;
  readonly updatedAt: number;
}

/** One attempt as the admin API shows it. */
export interface AttemptView {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: AttemptOutcome;
  readonly error?: string | undefined;
  readonly ref?: string | undefined;
  /** Its request and response, when they were recorded. */
  readonly exchange?: AttemptExchange | undefined;
}
