import { continueWith, endWith, retry, type ApiResult, type ConnectorState } from '../../src/sdk/index.ts';

/**
 * Create something at most once per delivery, when the service has no idempotency key.
 *
 * `state` remembers, under `key`, that a create was sent (`pending:<time>`) and then what it
 * created (`id:<id>`). On a later attempt:
 * - `id:` → the object exists: return it, send nothing;
 * - `pending:` → an earlier attempt sent the create and never learnt the answer (timeout, dropped
 *   connection, 5xx): look for the object with `find` (a search by a marker the object carries).
 *   Found → return it. Not found → create only once `settleMs` has passed since that attempt
 *   (the service's search index lags behind writes); until then `retry` after the rest of it.
 * A create the service refused (4xx) or that never left clears `pending`, since nothing was created.
 */
export async function createOnce(
  state: ConnectorState,
  key: string,
  settleMs: number,
  find: () => Promise<ApiResult<string | undefined>>,
  create: () => Promise<ApiResult<string>>,
  what: string,
): Promise<ApiResult<{ id: string; existed: boolean }>> {
  const recorded = await state.get(key);
  if (recorded?.startsWith('id:')) return continueWith({ id: recorded.slice(3), existed: true });
  if (recorded?.startsWith('pending:')) {
    const found = await find();
    if (!found.ok) return found;
    if (found.value !== undefined) {
      await state.set(key, `id:${found.value}`);
      return continueWith({ id: found.value, existed: true });
    }
    const waited = Date.now() - Number(recorded.slice(8));
    if (waited < settleMs) {
      return endWith(
        retry(
          `an earlier attempt may have created ${what} (no answer was received); waiting for the search index before creating it`,
          settleMs - waited,
        ),
      );
    }
  }
  await state.set(key, `pending:${Date.now()}`);
  const created = await create();
  if (!created.ok) {
    // Refused (a 4xx answer) or never sent: nothing was created.
    if (!created.maybeApplied) await state.set(key, 'none');
    return created;
  }
  await state.set(key, `id:${created.value}`);
  return continueWith({ id: created.value, existed: false });
}
