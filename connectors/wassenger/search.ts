import {
  apiRequest,
  continueWith,
  endWith,
  errorOutcome,
  retry,
  type ApiClient,
  type ApiResult,
} from '../../src/sdk/index.ts';

/**
 * After a send that got no answer it can trust, look for the message among those sent:
 * `GET /v1/messages` (Wassenger's list of the messages sent through the API) filtered by the
 * connector's `reference`, the reply's target and the time of the attempt, newest first.
 *
 * A message is this delivery's reply when it has the reference, the target, the text (and the
 * quoted message) of the reply, was created since the attempt, and no other delivery of this
 * connector took it as its own (`owned`: the state maps every message id sent or found to its
 * delivery, so the reply of an earlier message of the chat with the same text is never taken).
 *
 * The filters are not trusted: a listed message of another reference or chat means the API
 * ignored them, and the search cannot tell (as when it is refused with a 4xx, or lists a full page
 * without the reply): the caller then does not send again.
 */

export type Search = { readonly found: string } | 'absent' | 'unknown';

/** Room for the clocks of the router and of Wassenger when comparing creation times. */
const CLOCK_MARGIN_MS = 5 * 60_000;
/** Messages listed at most; a full page without the reply cannot tell. */
const PAGE_SIZE = 20;

interface Listed {
  readonly id?: unknown;
  readonly reference?: unknown;
  readonly phone?: unknown;
  readonly group?: unknown;
  readonly message?: unknown;
  readonly quote?: unknown;
  readonly createdAt?: unknown;
}

/** A group id with or without its `@g.us` (Wassenger accepts and may list either). */
const chatOf = (value: unknown): string => String(value ?? '').replace(/@g\.us$/, '');

export async function searchSent(
  client: ApiClient,
  body: Record<string, unknown>,
  since: number,
  owned: (id: string) => Promise<boolean>,
  signal: AbortSignal,
): Promise<ApiResult<Search>> {
  if (!Number.isFinite(since)) return continueWith('unknown');
  const target = body['phone'] !== undefined ? 'phone' : 'group';
  const from = since - CLOCK_MARGIN_MS;
  const query = new URLSearchParams({
    reference: String(body['reference']),
    [target]: String(body[target]),
    createdAfter: new Date(from).toISOString(),
    sort: 'date:desc',
    size: String(PAGE_SIZE),
  });
  const answer = await apiRequest(client, 'GET', `/v1/messages?${query}`, undefined, signal);
  if (!answer.ok) return answer;
  const { status, json } = answer.value;
  if (status === 429 || status >= 500)
    return endWith(errorOutcome(client, answer.value, 'looking for the reply of an unanswered attempt'));
  if (status >= 300) return continueWith('unknown');
  if (!Array.isArray(json))
    return endWith(retry('Wassenger answered the search for an unanswered reply without a list of messages'));
  const listed = json as Listed[];
  const foreign = (m: Listed) => m?.reference !== body['reference'] || chatOf(m?.[target]) !== chatOf(body[target]);
  if (listed.some(foreign)) return continueWith('unknown');
  for (const message of listed) {
    if (String(message.message ?? '').trim() !== String(body['message'] ?? '').trim()) continue;
    if (body['quote'] !== undefined && message.quote !== undefined && message.quote !== body['quote']) continue;
    const created = Date.parse(String(message.createdAt));
    if (!Number.isFinite(created) || typeof message.id !== 'string') return continueWith('unknown');
    if (created < from || (await owned(message.id))) continue;
    return continueWith({ found: message.id });
  }
  return continueWith(listed.length >= PAGE_SIZE ? 'unknown' : 'absent');
}
