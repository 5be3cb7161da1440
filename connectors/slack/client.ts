import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel, Logger, WebClient } from '@slack/web-api';
import { type ConnectorLogger, type ExchangeInput, parseRetryAfter } from '../../src/sdk/index.ts';
import { answered, refused, slackRequest } from './exchange.ts';
import { SlackCallError, toFailure } from './failures.ts';
import type { PostMessageArgs } from './message.ts';

export { SlackCallError, describeFailure, type SlackFailure } from './failures.ts';

/**
 * The only place that touches @slack/web-api's WebClient. It is set up for a router:
 * - no retries inside the client (`retries: 0`) and `rejectRateLimitedCalls: true`, so a 429
 *   throws at once with its Retry-After instead of pausing the client's whole queue: the
 *   dispatcher owns waiting and retrying, for every connector alike;
 * - every call is bound to the delivery's AbortSignal (the dispatcher's deadline) through the
 *   client's `fetch` hook, since WebClient methods take no signal of their own; the same hook
 *   reads a 429's Retry-After itself (WebClient's parseInt makes `99999999999` thousands of
 *   years and an HTTP date unreadable), through the SDK's parser, which caps it at an hour;
 * - the token goes in the Authorization header only, and the client's own logging (which prints
 *   request bodies at debug level) is reduced to warnings without arguments.
 * Errors are turned into a `SlackFailure`, a plain value the outcome mapping reads.
 */

export interface SlackClientOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly log: ConnectorLogger;
}

/** One conversation as conversations.list returns it (the fields used here). */
export interface SlackConversation {
  readonly id: string;
  readonly name: string;
}

/** A message read back from a channel or thread, with its metadata (when it has some). */
export interface SlackMessage {
  readonly ts: string;
  readonly metadata?: { readonly event_type?: string; readonly event_payload?: Record<string, unknown> } | undefined;
}

/** Where to read messages back: a channel's top level, or one thread; from `oldest` (a ts) on. */
export interface ReadMessages {
  readonly channel: string;
  readonly threadTs?: string | undefined;
  readonly oldest: string;
  readonly cursor?: string | undefined;
}

/**
 * The Slack calls the connector makes. Those whose answer can decide an outcome give their
 * `exchange` (exchange.ts); every failed call throws a SlackCallError carrying its own.
 */
export interface SlackApi {
  postMessage(
    args: PostMessageArgs,
    signal: AbortSignal,
  ): Promise<{ ts: string; channel: string; exchange: ExchangeInput }>;
  /** One page of conversations.history (or .replies in a thread), with message metadata. */
  readMessages(
    read: ReadMessages,
    signal: AbortSignal,
  ): Promise<{ messages: SlackMessage[]; cursor: string; exchange: ExchangeInput }>;
  /** One page of public channels; `cursor` is empty when there is no next page. */
  listChannels(
    cursor: string | undefined,
    signal: AbortSignal,
  ): Promise<{ channels: SlackConversation[]; cursor: string }>;
  authTest(signal: AbortSignal): Promise<{ team?: string | undefined; user?: string | undefined }>;
  /** files.getUploadURLExternal: where to send a file's bytes, and its file id. */
  getUploadURL(filename: string, length: number, signal: AbortSignal): Promise<{ uploadUrl: string; fileId: string }>;
  /** files.completeUploadExternal: share an uploaded file into a channel (a thread), with a comment. */
  completeUpload(upload: CompleteUpload, signal: AbortSignal): Promise<{ exchange: ExchangeInput }>;
}

/** A file whose bytes were sent to its upload URL, to share. */
export interface CompleteUpload {
  readonly fileId: string;
  readonly title: string;
  readonly channel: string;
  readonly threadTs?: string | undefined;
  readonly comment?: string | undefined;
}

/** A Slack Logger that passes only warnings and errors on, as text, and never request bodies. */
function quietLogger(log: ConnectorLogger, warn: LogLevel): Logger {
  let level = warn;
  return {
    debug() {},
    info() {},
    warn(...msg: unknown[]) {
      log.warn({ slack: String(msg[0] ?? '') }, 'Slack client warning');
    },
    error(...msg: unknown[]) {
      log.error({ slack: String(msg[0] ?? '') }, 'Slack client error');
    },
    setLevel(next: LogLevel) {
      level = next;
    },
    getLevel: () => level,
    setName() {},
  };
}

/** One call's delivery signal, and what the fetch hook saw of a 429 answer. */
interface CallContext {
  readonly signal: AbortSignal;
  /** The 429's Retry-After value ('' when absent); undefined when the answer was not a 429. */
  rateLimited?: string;
}

/** A call of Web API `method` with `args`: its result and exchange, or a SlackCallError with the exchange. */
type Call = <A extends object, T>(
  signal: AbortSignal,
  method: string,
  args: A,
  run: (args: A) => Promise<T>,
) => Promise<{ result: T; exchange: ExchangeInput }>;

export async function createSlackApi(options: SlackClientOptions): Promise<SlackApi> {
  // Loaded here, not at module load: @slack/web-api costs memory at start even when no slack connector is configured.
  const lib = await import('@slack/web-api');
  const calls = new AsyncLocalStorage<CallContext>();
  const web = new lib.WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // The dispatcher bounds concurrency; the client's queue must never hold a call back, or it
    // would run under another call's AsyncLocalStorage context (and signal).
    maxRequestConcurrency: 10_000,
    // A safety net only: each call is also bound to its delivery's deadline.
    timeout: 60_000,
    logger: quietLogger(options.log, lib.LogLevel.WARN),
    fetch: async (input, init) => {
      const context = calls.getStore();
      const signals = [init?.signal, context?.signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
      const response = await fetch(input, {
        ...init,
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      });
      if (context && response.status === 429) context.rateLimited = response.headers.get('retry-after') ?? '';
      return response;
    },
  });

  const call: Call = async (signal, method, args, run) => {
    if (signal.aborted) throw new SlackCallError({ kind: 'aborted' });
    const request = slackRequest(options.apiUrl, method, args);
    const context: CallContext = { signal };
    try {
      const result = await calls.run(context, () => run(args));
      return { result, exchange: answered(request, result) };
    } catch (error) {
      if (signal.aborted) throw new SlackCallError({ kind: 'aborted' }, { request });
      const exchange = refused(lib, request, error, context.rateLimited);
      // Whatever WebClient made of the 429 (an error, or a plain Error naming the URL when it could
      // not read Retry-After), the header as sent decides the wait.
      if (context.rateLimited !== undefined)
        throw new SlackCallError(
          { kind: 'rate_limited', retryAfterMs: parseRetryAfter(context.rateLimited) },
          exchange,
        );
      throw new SlackCallError(toFailure(lib, error), exchange);
    }
  };
  return slackMethods(web, call);
}

/** The calls, each through `call` (bound to its delivery's signal, with its exchange). */
function slackMethods(web: WebClient, call: Call): SlackApi {
  return {
    async postMessage(args, signal) {
      const { result, exchange } = await call(signal, 'chat.postMessage', { ...args }, (a) => web.chat.postMessage(a));
      if (typeof result.ts !== 'string')
        throw new SlackCallError({ kind: 'other', message: 'chat.postMessage answered ok without a ts' }, exchange);
      return { ts: result.ts, channel: result.channel ?? args.channel, exchange };
    },
    async readMessages(read, signal) {
      const common = {
        channel: read.channel,
        oldest: read.oldest,
        inclusive: true,
        include_all_metadata: true,
        limit: 200,
        ...(read.cursor ? { cursor: read.cursor } : {}),
      };
      const { result, exchange } = read.threadTs
        ? await call(signal, 'conversations.replies', { ...common, ts: read.threadTs }, (a) =>
            web.conversations.replies(a),
          )
        : await call(signal, 'conversations.history', common, (a) => web.conversations.history(a));
      const messages = (result.messages ?? [])
        .filter((m): m is typeof m & { ts: string } => typeof m.ts === 'string')
        .map((m) => ({ ts: m.ts, metadata: m.metadata as SlackMessage['metadata'] }));
      return { messages, cursor: result.response_metadata?.next_cursor ?? '', exchange };
    },
    async listChannels(cursor, signal) {
      const args = { types: 'public_channel', exclude_archived: true, limit: 200, ...(cursor ? { cursor } : {}) };
      const { result } = await call(signal, 'conversations.list', args, (a) => web.conversations.list(a));
      const channels = (result.channels ?? [])
        .filter((c): c is { id: string; name: string } => typeof c.id === 'string' && typeof c.name === 'string')
        .map((c) => ({ id: c.id, name: c.name }));
      return { channels, cursor: result.response_metadata?.next_cursor ?? '' };
    },
    async getUploadURL(filename, length, signal) {
      const { result, exchange } = await call(signal, 'files.getUploadURLExternal', { filename, length }, (a) =>
        web.files.getUploadURLExternal(a),
      );
      if (typeof result.upload_url !== 'string' || typeof result.file_id !== 'string')
        throw new SlackCallError(
          { kind: 'other', message: 'files.getUploadURLExternal answered ok without a URL' },
          exchange,
        );
      return { uploadUrl: result.upload_url, fileId: result.file_id };
    },
    async completeUpload(upload, signal) {
      const args = {
        files: [{ id: upload.fileId, title: upload.title }] as [{ id: string; title: string }],
        channel_id: upload.channel,
        ...(upload.threadTs ? { thread_ts: upload.threadTs } : {}),
        ...(upload.comment ? { initial_comment: upload.comment } : {}),
      };
      const { exchange } = await call(signal, 'files.completeUploadExternal', args, (a) =>
        web.files.completeUploadExternal(a),
      );
      return { exchange };
    },
    async authTest(signal) {
      const { result } = await call(signal, 'auth.test', {}, () => web.auth.test());
      return { team: result.team, user: result.user };
    },
  };
}
