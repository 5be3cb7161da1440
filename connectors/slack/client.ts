import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel, Logger } from '@slack/web-api';
import type { ConnectorLogger } from '../../src/sdk/index.ts';
import type { PostMessageArgs } from './message.ts';

/**
 * The only place that touches @slack/web-api's WebClient. It is set up for a router:
 * - no retries inside the client (`retries: 0`) and `rejectRateLimitedCalls: true`, so a 429
 *   throws at once with its Retry-After instead of pausing the client's whole queue: the
 *   dispatcher owns waiting and retrying, for every connector alike;
 * - every call is bound to the delivery's AbortSignal (the dispatcher's deadline) through the
 *   client's `fetch` hook, since WebClient methods take no signal of their own;
 * - the token goes in the Authorization header only, and the client's own logging (which prints
 *   request bodies at debug level) is reduced to warnings without arguments.
 * Errors are turned into a `SlackFailure`, a plain value the outcome mapping reads.
 */

/** Why a Slack call did not succeed, independent of the client library's error classes. */
export type SlackFailure =
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number }
  | { readonly kind: 'http'; readonly status: number; readonly retryAfter?: string | undefined; readonly body: string }
  | { readonly kind: 'network'; readonly error: Error }
  | { readonly kind: 'platform'; readonly error: string; readonly needed?: string | undefined }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'other'; readonly message: string };

/** A failed call: `failure` says why. */
export class SlackCallError extends Error {
  override readonly name = 'SlackCallError';
  constructor(readonly failure: SlackFailure) {
    super(describeFailure(failure));
  }
}

export function describeFailure(failure: SlackFailure): string {
  switch (failure.kind) {
    case 'rate_limited':
      return `rate limited (HTTP 429, Retry-After ${Math.round(failure.retryAfterMs / 1000)} s)`;
    case 'http':
      return `HTTP ${failure.status}${failure.body ? `: ${failure.body}` : ''}`;
    case 'network': {
      const cause = (failure.error as { cause?: { code?: string; message?: string } }).cause;
      return `network error${cause?.code ? ` ${cause.code}` : ''}: ${cause?.message ?? failure.error.message}`;
    }
    case 'platform':
      return failure.error;
    case 'aborted':
      return 'request aborted at the delivery deadline';
    case 'other':
      return failure.message;
  }
}

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

/** The Slack calls the connector makes. */
export interface SlackApi {
  postMessage(args: PostMessageArgs, signal: AbortSignal): Promise<{ ts: string; channel: string }>;
  /** One page of public channels; `cursor` is empty when there is no next page. */
  listChannels(
    cursor: string | undefined,
    signal: AbortSignal,
  ): Promise<{ channels: SlackConversation[]; cursor: string }>;
  authTest(signal: AbortSignal): Promise<{ team?: string | undefined; user?: string | undefined }>;
  /** files.getUploadURLExternal: where to send a file's bytes, and its file id. */
  getUploadURL(filename: string, length: number, signal: AbortSignal): Promise<{ uploadUrl: string; fileId: string }>;
  /** files.completeUploadExternal: share an uploaded file into a channel (a thread), with a comment. */
  completeUpload(upload: CompleteUpload, signal: AbortSignal): Promise<void>;
}

/** A file whose bytes were sent to its upload URL, to share. */
export interface CompleteUpload {
  readonly fileId: string;
  readonly title: string;
  readonly channel: string;
  readonly threadTs?: string | undefined;
  readonly comment?: string | undefined;
}

/** The library's module, loaded when a client is created. */
type SlackLib = typeof import('@slack/web-api');

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

const MAX_BODY_DETAIL = 200;

export async function createSlackApi(options: SlackClientOptions): Promise<SlackApi> {
  // Loaded here, not at module load: @slack/web-api costs memory at start even when no slack connector is configured.
  const lib = await import('@slack/web-api');
  const callSignal = new AsyncLocalStorage<AbortSignal>();
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
    fetch: (input, init) => {
      const signal = callSignal.getStore();
      const signals = [init?.signal, signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
      return fetch(input, { ...init, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] });
    },
  });

  async function call<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    if (signal.aborted) throw new SlackCallError({ kind: 'aborted' });
    try {
      return await callSignal.run(signal, run);
    } catch (error) {
      throw new SlackCallError(signal.aborted ? { kind: 'aborted' } : toFailure(lib, error));
    }
  }

  return {
    async postMessage(args, signal) {
      const result = await call(signal, () => web.chat.postMessage({ ...args }));
      if (typeof result.ts !== 'string')
        throw new SlackCallError({ kind: 'other', message: 'chat.postMessage answered ok without a ts' });
      return { ts: result.ts, channel: result.channel ?? args.channel };
    },
    async listChannels(cursor, signal) {
      const result = await call(signal, () =>
        web.conversations.list({
          types: 'public_channel',
          exclude_archived: true,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        }),
      );
      const channels = (result.channels ?? [])
        .filter((c): c is { id: string; name: string } => typeof c.id === 'string' && typeof c.name === 'string')
        .map((c) => ({ id: c.id, name: c.name }));
      return { channels, cursor: result.response_metadata?.next_cursor ?? '' };
    },
    async getUploadURL(filename, length, signal) {
      const result = await call(signal, () => web.files.getUploadURLExternal({ filename, length }));
      if (typeof result.upload_url !== 'string' || typeof result.file_id !== 'string')
        throw new SlackCallError({ kind: 'other', message: 'files.getUploadURLExternal answered ok without a URL' });
      return { uploadUrl: result.upload_url, fileId: result.file_id };
    },
    async completeUpload(upload, signal) {
      await call(signal, () =>
        web.files.completeUploadExternal({
          files: [{ id: upload.fileId, title: upload.title }],
          channel_id: upload.channel,
          ...(upload.threadTs ? { thread_ts: upload.threadTs } : {}),
          ...(upload.comment ? { initial_comment: upload.comment } : {}),
        }),
      );
    },
    async authTest(signal) {
      const result = await call(signal, () => web.auth.test());
      return { team: result.team, user: result.user };
    },
  };
}

/** Map what WebClient throws to a SlackFailure. */
function toFailure(lib: SlackLib, error: unknown): SlackFailure {
  const { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } = lib;
  if (error instanceof WebAPIRateLimitedError)
    return { kind: 'rate_limited', retryAfterMs: Math.max(0, error.retryAfter) * 1000 };
  if (error instanceof WebAPIPlatformError) {
    const needed = (error.data as { needed?: unknown }).needed;
    return {
      kind: 'platform',
      error: String(error.data.error),
      needed: typeof needed === 'string' ? needed : undefined,
    };
  }
  if (error instanceof WebAPIHTTPError) {
    const body = typeof error.body === 'string' ? error.body.slice(0, MAX_BODY_DETAIL).replace(/\s+/g, ' ').trim() : '';
    return { kind: 'http', status: error.statusCode, retryAfter: error.headers['retry-after'], body };
  }
  if (error instanceof WebAPIRequestError) {
    const original = error.original;
    if (original.name === 'AbortError' || original.name === 'TimeoutError') return { kind: 'aborted' };
    return { kind: 'network', error: original };
  }
  // e.g. a 429 without a readable Retry-After, which the client reports as a plain Error.
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}
