import { createHash } from 'node:crypto';
import type { ConnectorLogger, ConnectorState, ExchangeInput } from '../../src/sdk/index.ts';
import { SlackCallError, describeFailure, type SlackApi } from './client.ts';

/**
 * chat.postMessage has no idempotency key, so a call whose answer was lost (a deadline, a reset
 * connection, a 5xx or a garbled answer after Slack posted) would post the message again on the
 * retry. Every message therefore carries message metadata naming its delivery, and an attempt is
 * marked in the connector's state (`posting:<key>` → when it started) until Slack's answer says
 * how it went. A later attempt that finds the mark reads the channel (or the thread) back from
 * that time on, and takes the message it finds there instead of posting a second one.
 *
 * Reading back needs the `channels:history` scope (`groups:history` for private channels). Without
 * it, or when the message cannot be looked for, the message is posted again: a possible duplicate
 * (at least once), logged once per connector, rather than a message never posted.
 */

/** The `event_type` of the message metadata the connector tags its posts with. */
export const METADATA_TYPE = 'wa_router_delivery';
/** How far before the marked attempt to read back: Slack's clock and the router's may differ. */
const CLOCK_MARGIN_S = 300;
/** Pages of 200 messages read back at most; a channel busier than that since the attempt gets a post. */
const MAX_PAGES = 5;
/** Slack errors of the read-back that no retry cures: post instead (a possible duplicate). */
const CANNOT_LOOK = new Set([
  'missing_scope',
  'not_in_channel',
  'channel_not_found',
  'thread_not_found',
  'no_permission',
  'not_allowed_token_type',
]);

/** The key of one delivery's message in one channel, as put in the message's metadata. */
export function postKey(idempotencyKey: string, channel: string): string {
  return createHash('sha256').update(`${idempotencyKey}\u0000${channel}`).digest('hex').slice(0, 32);
}

/** The metadata that names a delivery's message. */
export function metadataOf(key: string): { event_type: string; event_payload: { key: string } } {
  return { event_type: METADATA_TYPE, event_payload: { key } };
}

export class PostLedger {
  private warned = false;

  constructor(
    private readonly api: SlackApi,
    private readonly state: ConnectorState,
    private readonly log: ConnectorLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Note that an attempt is about to post (before the call, so a crash mid-call is covered too). */
  mark(key: string): Promise<void> {
    return this.state.set(`posting:${key}`, (this.now() / 1000).toFixed(6));
  }

  /** Slack's answer settled it (posted, or surely not posted): forget the mark. */
  async clear(key: string): Promise<void> {
    try {
      await this.state.delete(`posting:${key}`);
    } catch {
      // A mark left behind only costs the next attempt (if any) a read of the channel.
    }
  }

  /**
   * The ts of this delivery's message when an earlier, unanswered attempt posted it, with the
   * exchange of the read that found it; undefined when
   * no attempt is marked, or the message is not there, or it cannot be looked for. Throws
   * SlackCallError when Slack could not be read for a reason a retry may cure.
   */
  async earlier(
    key: string,
    channel: string,
    threadTs: string | undefined,
    signal: AbortSignal,
  ): Promise<{ ts: string; exchange: ExchangeInput } | undefined> {
    const since = Number(await this.state.get(`posting:${key}`));
    if (!Number.isFinite(since) || since <= 0) return undefined;
    const oldest = Math.max(0, since - CLOCK_MARGIN_S).toFixed(6);
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await this.api.readMessages({ channel, threadTs, oldest, cursor }, signal);
        const found = result.messages.find(
          (message) =>
            message.metadata?.event_type === METADATA_TYPE && message.metadata.event_payload?.['key'] === key,
        );
        if (found) return { ts: found.ts, exchange: result.exchange };
        if (!result.cursor) return undefined;
        cursor = result.cursor;
      }
      return undefined;
    } catch (error) {
      if (!(error instanceof SlackCallError)) throw error;
      const failure = error.failure;
      if (failure.kind !== 'platform' || !CANNOT_LOOK.has(failure.error)) throw error;
      if (!this.warned) {
        this.warned = true;
        this.log.warn(
          { slack: describeFailure(failure), needed: failure.needed },
          'Slack: cannot read the channel back to find a message whose answer was lost, so it is posted again (add the channels:history / groups:history scope to avoid duplicates).',
        );
      }
      return undefined;
    }
  }
}
