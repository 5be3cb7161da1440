/**
 * What a connector reports for one delivery. Connectors never sleep or retry: they classify,
 * and the dispatcher retries, backs off and dead-letters for every connector alike.
 *
 * `exchange` (optional, on every status) is the request that decided the outcome and the answer to
 * it, as the event's timeline shows them. Attach it with `withExchange`, which masks secrets and
 * cuts bodies; the dispatcher records it per attempt when `capture.attempts` says so.
 */
export type Outcome =
  | { readonly status: 'delivered'; readonly ref?: string | undefined; readonly exchange?: Exchange | undefined }
  | { readonly status: 'skipped'; readonly reason: string; readonly exchange?: Exchange | undefined }
  | {
      readonly status: 'retry';
      readonly reason: string;
      readonly retryAfterMs?: number | undefined;
      /** The destination could not be reached at all (see {@link unreachable}). */
      readonly unreachable?: boolean | undefined;
      readonly exchange?: Exchange | undefined;
    }
  | { readonly status: 'failed'; readonly reason: string; readonly exchange?: Exchange | undefined };

/**
 * A request as an attempt records it: secret-bearing header values masked, secrets in the URL's
 * userinfo and query masked, the body cut to its first 4 KB (see `captureExchange`). For exchanges
 * that are not HTTP, `method` and `url` say what was done and to what (Kafka: `PRODUCE` and the topic).
 */
export interface ExchangeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** The answer to an {@link ExchangeRequest}, masked and cut alike. */
export interface ExchangeResponse {
  /** The HTTP status; absent when the exchange is not HTTP (Kafka says partition and offset in `headers`). */
  readonly status?: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** One attempt's request and response; either may be missing (no answer came, nothing was sent). */
export interface Exchange {
  readonly request?: ExchangeRequest | undefined;
  readonly response?: ExchangeResponse | undefined;
}

/** Delivered; `ref` is what the destination calls it (a Kafka offset, a Slack `ts`, an HTTP status). */
export function delivered(ref?: string): Outcome {
  return ref === undefined ? { status: 'delivered' } : { status: 'delivered', ref };
}

/** Nothing to do for this event (e.g. no CRM id in the contact's metadata); not an error. */
export function skipped(reason: string): Outcome {
  return { status: 'skipped', reason };
}

/** A transient failure: the dispatcher tries again later, no sooner than `retryAfterMs` when given. */
export function retry(reason: string, retryAfterMs?: number): Outcome {
  return retryAfterMs === undefined ? { status: 'retry', reason } : { status: 'retry', reason, retryAfterMs };
}

/**
 * A transient failure of the destination as a whole: it could not be reached (connection refused
 * or reset, DNS failure, no answer in time). When a whole batch comes back unreachable the
 * dispatcher treats the connector as down: it stops sending, probes with one delivery at a time,
 * and resumes every delivery as soon as one gets through. Attempts made while the connector is
 * down never turn a delivery into a dead letter. Use `retry` for failures of one delivery.
 */
export function unreachable(reason: string, retryAfterMs?: number): Outcome {
  return retryAfterMs === undefined
    ? { status: 'retry', reason, unreachable: true }
    : { status: 'retry', reason, retryAfterMs, unreachable: true };
}

/** A permanent failure: the delivery becomes a dead letter with this reason. */
export function failed(reason: string): Outcome {
  return { status: 'failed', reason };
}
