import {
  defineConnector,
  delivered,
  failed,
  retry,
  skipped,
  withExchange,
  type Delivery,
  type EventMedia,
  type ExchangeInput,
  type Outcome,
} from '../../src/sdk/index.ts';
import { ChannelDirectory } from './channels.ts';
import { SlackCallError, createSlackApi, describeFailure, type SlackApi } from './client.ts';
import { SlackConfig, SlackParams, type SlackConfigOutput, type SlackParamsOutput } from './config.ts';
import { PostLedger, metadataOf, postKey } from './ledger.ts';
import { renderMessage, type MessageTemplates, type PostMessageArgs } from './message.ts';
import { hintFor, outcomeOfError } from './outcomes.ts';
import { ChannelRateLimiter } from './rate-limit.ts';
import { ThreadMap } from './threads.ts';
import { MediaUploads, withLink } from './upload.ts';

/** How soon to try again a message whose chat's thread is being started by another delivery. */
const THREAD_START_WAIT_MS = 500;

/** Post each event to a Slack channel with chat.postMessage, optionally one thread per WhatsApp chat. */
export default defineConnector({
  sdkVersion: 1,
  type: 'slack',
  summary: 'Post each event to a Slack channel (chat.postMessage), optionally one thread per WhatsApp chat.',
  config: SlackConfig,
  params: SlackParams,
  examples: [
    {
      title: 'Inbound messages to #support, one thread per chat',
      config: {
        token: '${SLACK_BOT_TOKEN}',
        channel: '#support',
        text: '*{{ contact.name }}*: {{ message.body }}',
        threadBy: 'chat',
      },
    },
    {
      title: 'A Block Kit card, custom name and icon',
      config: {
        token: '${SLACK_BOT_TOKEN}',
        channel: 'C0123ABCD',
        text: 'WhatsApp message from {{ contact.name | default: contact.phone }}',
        username: 'WhatsApp',
        iconEmoji: ':speech_balloon:',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: '{{ contact.name | default: contact.phone }}' } },
          {
            type: 'section',
            fields: [
              { type: 'mrkdwn', text: '*Phone:*\n{{ contact.phone }}' },
              { type: 'mrkdwn', text: '*Device:*\n{{ device.alias | default: device.phone }}' },
            ],
          },
          { type: 'section', text: { type: 'mrkdwn', text: '{{ message.body | default: message.type }}' } },
        ],
      },
    },
  ],
  // One message per call, in chat order (so two messages of a new chat never start two threads),
  // at Slack's pace of about one message per second; each channel is also held to
  // `channelRatePerSec` inside the connector, for instances whose routes fan out to many channels.
  delivery: { maxBatch: 1, maxInFlight: 4, ratePerSec: 1, timeoutMs: 10_000, orderBy: 'chat' },
  async create(config, ctx) {
    const api = await createSlackApi({ token: config.token, apiUrl: config.apiUrl, log: ctx.log });
    // Files of media messages (a `media:` section): uploaded into the thread, or linked.
    const uploads = ctx.media && config.uploadMedia !== false ? new MediaUploads(api, ctx.state, ctx.media) : undefined;
    const ledger = new PostLedger(api, ctx.state, ctx.log);
    const slack = new SlackConnector(config, api, new ThreadMap(ctx.state), ledger, uploads);
    return {
      preview: (delivery) => slack.preview(delivery as Delivery<SlackParamsOutput | undefined>),
      async deliver(batch, signal) {
        const outcomes: Outcome[] = [];
        // In order, one at a time: a batch may hold several messages of one chat.
        for (const delivery of batch)
          outcomes.push(await slack.deliver(delivery as Delivery<SlackParamsOutput | undefined>, signal));
        return outcomes;
      },
      async healthcheck(signal) {
        try {
          await api.authTest(signal);
        } catch (error) {
          if (error instanceof SlackCallError) {
            const code = error.failure.kind === 'platform' ? error.failure.error : undefined;
            throw new Error(
              `Slack auth.test: ${describeFailure(error.failure)}${code && hintFor(code) ? `: ${hintFor(code)}` : ''}`,
            );
          }
          throw error;
        }
      },
      async close() {
        // WebClient holds no connections of its own (fetch's pool is shared): nothing to release.
      },
    };
  },
});

class SlackConnector {
  private readonly channels: ChannelDirectory;
  private readonly limiter: ChannelRateLimiter;
  private readonly templates: MessageTemplates;

  constructor(
    private readonly config: SlackConfigOutput,
    private readonly api: SlackApi,
    private readonly threads: ThreadMap,
    private readonly ledger: PostLedger,
    private readonly uploads?: MediaUploads | undefined,
  ) {
    this.channels = new ChannelDirectory(api);
    this.limiter = new ChannelRateLimiter(config.channelRatePerSec);
    this.templates = {
      text: config.text,
      blocks: config.blocks,
      username: config.username,
      iconEmoji: config.iconEmoji,
      unfurlLinks: config.unfurlLinks,
      unfurlMedia: config.unfurlMedia,
    };
  }

  private templatesFor(params: SlackParamsOutput | undefined): MessageTemplates {
    if (!params) return this.templates;
    return {
      ...this.templates,
      text: params.text ?? this.templates.text,
      blocks: params.blocks ?? this.templates.blocks,
    };
  }

  /** The chat.postMessage arguments, with the channel as configured (a #name is resolved when sending). */
  preview(delivery: Delivery<SlackParamsOutput | undefined>): PostMessageArgs {
    return renderMessage(this.templatesFor(delivery.params), delivery, delivery.params?.channel ?? this.config.channel);
  }

  async deliver(delivery: Delivery<SlackParamsOutput | undefined>, signal: AbortSignal): Promise<Outcome> {
    const channel = delivery.params?.channel ?? this.config.channel;
    let args: PostMessageArgs;
    try {
      args = renderMessage(this.templatesFor(delivery.params), delivery, channel);
    } catch (error) {
      return failed(`cannot render the Slack message: ${(error as Error).message}`);
    }
    if (args.text.trim() === '' && !args.blocks?.length)
      return skipped('nothing to post: the text rendered empty and there are no blocks');

    let channelId: string | undefined;
    try {
      channelId = await this.channels.resolve(channel, signal);
    } catch (error) {
      return error instanceof SlackCallError
        ? outcomeOfError(error, 'conversations.list')
        : retry(`resolving ${channel}: ${(error as Error).message}`);
    }
    if (!channelId) {
      return failed(
        `Slack channel_not_found: no public channel named ${channel} is visible to the bot: ${hintFor('channel_not_found')}`,
      );
    }
    args.channel = channelId;

    const threadKey = this.config.threadBy === 'chat' ? this.threads.keyOf(channelId, delivery.event) : undefined;
    let starting = false;
    if (threadKey) {
      let ts: string | undefined;
      try {
        ts = await this.threads.get(threadKey);
      } catch (error) {
        return retry(`cannot read the thread of this chat from the store: ${(error as Error).message}`);
      }
      if (ts) args.thread_ts = ts;
      else if (this.threads.claimStart(threadKey)) starting = true;
      else return retry('another message of this chat is starting its thread', THREAD_START_WAIT_MS);
    }

    try {
      const waitMs = this.limiter.take(channelId);
      if (waitMs > 0) {
        const why = this.limiter.isHeldBySlack(channelId)
          ? 'Slack rate-limited it (Retry-After)'
          : `it is at its limit of ${this.config.channelRatePerSec} message(s) per second`;
        return retry(`channel ${channelId} waits ${waitMs} ms: ${why}`, waitMs);
      }
      const media = delivery.event.message?.media;
      if (media?.url !== undefined) {
        const file = media as EventMedia & { readonly url: string };
        if (this.uploads) {
          const key = threadKey;
          return await this.uploads.deliver({
            args,
            media: file,
            key: `${delivery.idempotencyKey}:${channelId}`,
            startThread: starting && key ? (ts) => this.threads.set(key, ts).catch(() => undefined) : undefined,
            signal,
          });
        }
        args.text = withLink(args.text, file);
      }
      const posted = await this.postOnce(args, postKey(delivery.idempotencyKey, channelId), signal);
      if ('status' in posted) return posted;
      if (starting && threadKey) {
        try {
          await this.threads.set(threadKey, posted.ts);
        } catch {
          // The message is posted: reporting a retry would post it twice. The chat's next message
          // starts a new thread instead.
        }
      }
      return withExchange(delivered(posted.ts), posted.exchange);
    } finally {
      if (starting && threadKey) this.threads.releaseStart(threadKey);
    }
  }

  /**
   * Post the message, once per delivery and channel: when an earlier attempt got no answer, the
   * message it may have posted is looked for first (by its metadata, see ledger.ts).
   */
  private async postOnce(
    args: PostMessageArgs,
    key: string,
    signal: AbortSignal,
  ): Promise<{ ts: string; exchange: ExchangeInput } | Outcome> {
    try {
      // Found: the read that found it is the exchange of this attempt.
      const earlier = await this.ledger.earlier(key, args.channel, args.thread_ts, signal);
      if (earlier) {
        await this.ledger.clear(key);
        return earlier;
      }
      await this.ledger.mark(key);
    } catch (error) {
      if (error instanceof SlackCallError)
        return outcomeOfError(error, 'looking for the message of an unanswered attempt');
      return retry(`cannot read or note the attempt in the store: ${(error as Error).message}`);
    }
    try {
      const posted = await this.api.postMessage({ ...args, metadata: metadataOf(key) }, signal);
      await this.ledger.clear(key);
      return posted;
    } catch (error) {
      if (!(error instanceof SlackCallError)) return retry(`chat.postMessage: ${(error as Error).message}`);
      const failure = error.failure;
      if (failure.kind === 'rate_limited' && failure.retryAfterMs !== undefined)
        this.limiter.holdUntil(args.channel, Date.now() + failure.retryAfterMs);
      const outcome = outcomeOfError(error, 'chat.postMessage');
      // Slack surely did not post (a refusal, a 429): the next attempt need not look first.
      if (outcome.status === 'failed' || failure.kind === 'rate_limited') await this.ledger.clear(key);
      return outcome;
    }
  }
}
