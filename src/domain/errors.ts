/** The store could not write or read; the receiver answers 503 so Wassenger retries. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
