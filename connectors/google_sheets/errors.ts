/** What a failed Sheets call means for the deliveries it carried. */
import { failed, parseRetryAfter, retry, unreachable, withExchange, type Outcome } from '../../src/sdk/index.ts';
import { SheetsApiError, UNREADABLE_ANSWER } from './client.ts';

const MAX_MESSAGE = 300;

/**
 * 429 and 5xx: retry (after Retry-After when Google sends one). 401: retry (a token refresh or a
 * fixed credential may cure it). 400 (bad range), 403 (not shared, wrong scope), 404 (no such
 * spreadsheet) and other 4xx: failed, with Google's message. No response (network error, the
 * delivery deadline): unreachable for a network error (the connector is probed as a whole), retry for
 * the deadline; the write may have happened, which the id column check handles. A success status
 * without a readable answer: retry, for the same reason. The outcome carries the call's exchange.
 */
export function classifySheetsError(error: unknown): Outcome {
  const outcome = outcomeOf(error);
  return error instanceof SheetsApiError ? withExchange(outcome, error.exchange) : outcome;
}

function outcomeOf(error: unknown): Outcome {
  if (!(error instanceof SheetsApiError))
    return retry(`Google Sheets call failed: ${error instanceof Error ? error.message : String(error)}`);
  const message = error.message.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE);
  if (error.code === UNREADABLE_ANSWER)
    return retry(
      `Google Sheets ${message} (the write may have happened; the id column is checked before the next append)`,
    );
  if (error.status === undefined) {
    if (error.aborted)
      return retry(
        'Google Sheets request timed out (the write may have happened; the id column is checked before the next append)',
      );
    return unreachable(`Google Sheets network error${error.code ? ` ${error.code}` : ''}: ${message}`);
  }
  const reason = `Google Sheets ${error.status}${error.code ? ` ${error.code}` : ''}: ${message}`;
  if (error.status === 429 || error.status === 408 || error.status >= 500 || error.status === 401)
    return retry(reason, parseRetryAfter(error.retryAfter));
  return failed(reason);
}

/** A 4xx other than 401/408/429: the request itself is wrong, and caches built on the sheet may be stale. */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof SheetsApiError &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    ![401, 408, 429].includes(error.status)
  );
}
