import {
  apiRequest,
  continueWith,
  endWith,
  errorOutcome,
  failed,
  retry,
  skipped,
  type ApiClient,
  type ApiResult,
  type ConnectorContext,
  type Delivery,
} from '../../src/sdk/index.ts';
import { type Search, searchSent } from './search.ts';

/**
 * Sending the reply of a delivery: at most once per chat per `cooldownMs`, and once per delivery.
 *
 * Wassenger's `POST /v1/messages` has no idempotency key, so an attempt that got no answer it can
 * trust (a deadline, a reset connection, a 5xx, a 2xx without the message id) may have queued the
 * message. State: `reply:<idempotency key>` is `pending:<time>` while a send is unanswered and
 * `sent:<message id>` after; `replied:<message id>` names the delivery a message belongs to. A
 * retry that finds `pending` looks the message up among those sent (search.ts): found, it is the
 * reply (delivered, not sent again); surely absent, it is sent. When the search cannot tell, the
 * reply is not sent again and the delivery becomes a dead letter saying so: a duplicate WhatsApp
 * message is worse than a missing automatic reply.
 */

/** What `sendReply` needs of the connector. */
export interface ReplyContext {
  readonly cooldownMs: number;
  readonly ctx: ConnectorContext;
  readonly client: ApiClient;
}

/** Send the reply once per delivery and once per chat per cooldown. */
export async function sendReply(
  { cooldownMs, ctx, client }: ReplyContext,
  delivery: Delivery,
  body: Record<string, unknown>,
  signal: AbortSignal,
): Promise<ApiResult<string>> {
  const replyKey = `reply:${delivery.idempotencyKey}`;
  const recorded = await ctx.state.get(replyKey);
  if (recorded?.startsWith('sent:')) return continueWith(`${recorded.slice(5)} (already sent)`);
  const chatKey = `cooldown:${body['device']}:${delivery.event.chat?.id ?? ''}`;
  const settle = async (id: string, found: boolean): Promise<ApiResult<string>> => {
    await ctx.state.set(replyKey, `sent:${id}`);
    await ctx.state.set(`replied:${id}`, delivery.idempotencyKey);
    if (cooldownMs > 0) await ctx.state.set(chatKey, String(Date.now()));
    return continueWith(found ? `${id} (found after an unanswered attempt)` : id);
  };
  if (recorded?.startsWith('pending:')) {
    const since = Number(recorded.slice('pending:'.length));
    const owned = async (id: string) => (await ctx.state.get(`replied:${id}`)) !== undefined;
    const search: ApiResult<Search> = await searchSent(client, body, since, owned, signal);
    if (!search.ok) return search;
    if (search.value === 'unknown') {
      return endWith(
        failed(
          'an earlier attempt sent this reply and got no answer, so it may have reached the chat, and Wassenger could not be searched for it; it is not sent again (at most once, to avoid a duplicate WhatsApp message)',
        ),
        false,
      );
    }
    if (search.value !== 'absent') return settle(search.value.found, true);
    // Surely not queued: send it as a first attempt would, cooldown included.
  }
  if (cooldownMs > 0) {
    const last = Number(await ctx.state.get(chatKey));
    const ago = Date.now() - last;
    if (Number.isFinite(last) && last > 0 && ago < cooldownMs) {
      return endWith(
        skipped(
          `cooldown: this chat got a reply ${Math.round(ago / 1000)} s ago (cooldownMs ${cooldownMs}); not replying again so two bots cannot talk forever`,
        ),
        false,
      );
    }
  }
  await ctx.state.set(replyKey, `pending:${Date.now()}`);
  const answer = await apiRequest(client, 'POST', '/v1/messages', body, signal);
  if (!answer.ok) {
    if (!answer.maybeApplied) await ctx.state.set(replyKey, 'none');
    return answer;
  }
  if (answer.value.status >= 300) {
    // An answer other than 5xx means the message was not queued: a retry may send it.
    if (answer.value.status < 500) await ctx.state.set(replyKey, 'none');
    return endWith(errorOutcome(client, answer.value, 'sending the reply'));
  }
  const id = (answer.value.json as { id?: unknown } | undefined)?.id;
  // A success without the message id (an HTML page from a proxy, an error inside a 200) proves
  // nothing: the reply stays pending, and the next attempt looks for it.
  if (typeof id !== 'string' || id === '')
    return endWith(
      retry(`Wassenger answered HTTP ${answer.value.status} without the id of the message; it may have been queued`),
    );
  return settle(id, false);
}
