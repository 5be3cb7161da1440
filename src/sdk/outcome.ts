/**
 * What a connector reports for one delivery. Connectors never sleep or retry: they classify,
 * and the dispatcher retries, backs off and dead-letters for every connector alike.
 */
export type Outcome =
  | { readonly status: 'delivered'; readonly ref?: string | undefined }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'retry'; readonly reason: string; readonly retryAfterMs?: number | undefined }
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

/** A permanent failure: the delivery becomes a dead letter with this reason. */
export function failed(reason: string): Outcome {
  return { status: 'failed', reason };
}
