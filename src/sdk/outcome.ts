/**
 * What a connector reports for one delivery. Connectors never sleep or retry: they classify,
 * and the dispatcher retries, backs off and dead-letters for every connector alike.
 */
export type Outcome =
  | { readonly status: 'delivered'; readonly ref?: string | undefined }
  | { readonly status: 'skipped'; readonly reason: string }
  | {
      readonly status: 'retry';
      readonly reason: string;
      readonly retryAfterMs?: number | undefined;
      /** The destination could not be reached at all (see {@link unreachable}). */
      readonly unreachable?: boolean | undefined;
    }
  | { readonly status: 'failed'; readonly reason: string };

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
