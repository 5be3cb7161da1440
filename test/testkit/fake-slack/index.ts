import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBlocks, checkText } from './checks.ts';
import { history, replies } from './history.ts';
import { FakeUploads } from './uploads.ts';

export type { FakeUpload } from './uploads.ts';

/**
 * A local Slack Web API for tests, which the real @slack/web-api WebClient talks to over HTTP
 * (point its `slackApiUrl`, the connector's `apiUrl`, at `fake.apiUrl`).
 *
 * It behaves like Slack where the connector can tell: `POST /api/<method>` with a form-encoded
 * or JSON body; the token from `Authorization: Bearer` (or a `token` field); errors as HTTP 200
 * `{ok:false, error}`; rate limits as HTTP 429 with `Retry-After` and `{ok:false,error:"ratelimited"}`.
 * Methods: auth.test, chat.postMessage (channel, membership, archive, text and Block Kit checks;
 * increasing `ts` values; `metadata` kept), conversations.list (public channels, cursor
 * pagination), conversations.history and conversations.replies (see history.ts), and the
 * external file upload (files.getUploadURLExternal, the upload URL, files.completeUploadExternal;
 * `uploads` records what was shared into which thread).
 * Channel names are not accepted by chat.postMessage here (real Slack takes some): a test that
 * posts to `#name` thereby proves the connector resolved it to an id.
 *
 * Failures are scriptable per method: `failNext('chat.postMessage', { rateLimited: 1 }, { status: 500 })`,
 * including the ambiguous ones: `applyThenHang` posts the message and never answers,
 * `applyThenDrop` posts it and resets the connection. `heal()` drops what is scripted.
 */

export interface FakeChannel {
  readonly id: string;
  readonly name: string;
  /** Whether the bot is a member (default true); posting otherwise answers not_in_channel. */
  readonly isMember?: boolean;
  readonly isArchived?: boolean;
}

/** One message chat.postMessage accepted. */
export interface FakeMessage {
  readonly channel: string;
  readonly ts: string;
  readonly thread_ts?: string | undefined;
  readonly text?: string | undefined;
  readonly blocks?: unknown[] | undefined;
  readonly username?: string | undefined;
  readonly icon_emoji?: string | undefined;
  readonly unfurl_links?: boolean | undefined;
  readonly unfurl_media?: boolean | undefined;
  /** `metadata` as sent (`{ event_type, event_payload }`), parsed. */
  readonly metadata?: unknown;
  readonly at: number;
}

/** Every request received, whatever the answer. */
export interface FakeCall {
  readonly method: string;
  /** The request path and query, as received. */
  readonly path: string;
  readonly args: Record<string, unknown>;
  readonly contentType: string;
  readonly authorization: string | undefined;
  /** HTTP status answered (0 for a hang). */
  readonly status: number;
  /** The `error` answered, when not ok. */
  readonly error?: string | undefined;
  readonly at: number;
}

/** A scripted answer replacing the normal handling of one call. */
export type FakeFailure =
  /** 429 with this Retry-After value (any string, as a broken server may send). */
  | { readonly rateLimited: number | string }
  | { readonly status: number; readonly body?: string }
  | { readonly error: string }
  | { readonly hang: true }
  /** Handle the call (post the message), then never answer. */
  | { readonly applyThenHang: true }
  /** Handle the call, then reset the connection without an answer. */
  | { readonly applyThenDrop: true }
  | { readonly delayMs: number };

export interface FakeSlackOptions {
  readonly token?: string;
  readonly channels?: readonly FakeChannel[];
  /** Default page size of conversations.list when the client sends no `limit`. */
  readonly pageSize?: number;
  /** Whether the token has channels:history (default true); without it the history methods answer missing_scope. */
  readonly historyScope?: boolean;
}

export const FAKE_TOKEN = 'xoxb-fake-0123456789';

const DEFAULT_CHANNELS: readonly FakeChannel[] = [
  { id: 'C0GENERAL', name: 'general' },
  { id: 'C0SUPPORT', name: 'support' },
  { id: 'C0SALES', name: 'sales' },
  { id: 'C0OUTSIDE', name: 'outside', isMember: false },
  { id: 'C0OLD', name: 'old', isArchived: true },
];

export class FakeSlack {
  readonly messages: FakeMessage[] = [];
  readonly calls: FakeCall[] = [];
  readonly channels: FakeChannel[];
  /** Files uploaded and shared (files.completeUploadExternal), with their bytes. */
  readonly uploadFlow = new FakeUploads();
  private readonly scripts = new Map<string, FakeFailure[]>();
  private readonly hanging = new Set<ServerResponse>();
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly token: string,
    channels: readonly FakeChannel[],
    private readonly pageSize: number,
    private readonly historyScope: boolean,
  ) {
    this.channels = [...channels];
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    const fake = new FakeSlack(
      server,
      options.token ?? FAKE_TOKEN,
      options.channels ?? DEFAULT_CHANNELS,
      options.pageSize ?? 100,
      options.historyScope ?? true,
    );
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => void fake.route(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What to give the connector as `apiUrl`. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** Answer the next calls of `method` with these failures, in order, then normally again. */
  failNext(method: string, ...failures: FakeFailure[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...failures]);
  }

  /** Calls of one method. */
  callsOf(method: string): FakeCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Messages that started a thread or stand alone (no thread_ts), in a channel. */
  roots(channel?: string): FakeMessage[] {
    return this.messages.filter((m) => m.thread_ts === undefined && (channel === undefined || m.channel === channel));
  }

  /** Replies in the thread of `ts`. */
  replies(ts: string): FakeMessage[] {
    return this.messages.filter((m) => m.thread_ts === ts);
  }

  /** Drop scripted failures not used yet and end hanging calls: normal answers again. */
  heal(): void {
    this.scripts.clear();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** Forget messages, calls and scripted failures (channels stay). */
  reset(): void {
    this.messages.length = 0;
    this.calls.length = 0;
    this.uploadFlow.shared.length = 0;
    this.scripts.clear();
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Like Slack's: the time of posting in seconds and microseconds, always increasing. */
  private nextTs(): string {
    this.counter = Math.max(this.counter + 1, Date.now() * 1000);
    return `${Math.floor(this.counter / 1_000_000)}.${String(this.counter % 1_000_000).padStart(6, '0')}`;
  }

  get uploads() {
    return this.uploadFlow.shared;
  }

  /** Upload URLs take raw bytes (no token: the URL is the credential); everything else is the Web API. */
  private async route(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const upload = /^\/upload\/v1\/([A-Z0-9]+)$/.exec(new URL(req.url ?? '/', 'http://fake').pathname);
    if (!upload) return this.handle(req, res, body.toString('utf8'));
    const answer = await this.uploadFlow.receive(upload[1]!, body, String(req.headers['content-type'] ?? ''));
    res.writeHead(answer.status, { 'content-type': 'text/plain' });
    res.end(String(answer.body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : '';
    const contentType = String(req.headers['content-type'] ?? '');
    const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    if (contentType.startsWith('application/json')) {
      try {
        Object.assign(args, JSON.parse(body || '{}'));
      } catch {
        return this.answer(res, { method, args, contentType, req }, 200, { ok: false, error: 'invalid_json' });
      }
    } else {
      Object.assign(args, Object.fromEntries(new URLSearchParams(body)));
    }
    const call: CallInfo = { method, args, contentType, req };

    const scripted = this.scripts.get(method)?.shift();
    if (scripted && 'applyThenHang' in scripted) call.after = 'hang';
    else if (scripted && 'applyThenDrop' in scripted) call.after = 'drop';
    else if (scripted) {
      if ('hang' in scripted) {
        this.hanging.add(res);
        this.record(call, 0);
        return;
      }
      if ('rateLimited' in scripted)
        return this.answer(
          res,
          call,
          429,
          { ok: false, error: 'ratelimited' },
          { 'retry-after': String(scripted.rateLimited) },
        );
      if ('status' in scripted)
        return this.answer(res, call, scripted.status, scripted.body ?? 'Internal Server Error', {});
      if ('error' in scripted) return this.answer(res, call, 200, { ok: false, error: scripted.error });
      await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    }

    // The token: Bearer header (what WebClient sends), or a `token` field of a form body.
    const authorization = req.headers.authorization;
    const token = authorization?.startsWith('Bearer ')
      ? authorization.slice('Bearer '.length)
      : typeof args.token === 'string'
        ? args.token
        : undefined;
    if (!token) return this.answer(res, call, 200, { ok: false, error: 'not_authed' });
    if (token !== this.token) return this.answer(res, call, 200, { ok: false, error: 'invalid_auth' });

    switch (method) {
      case 'auth.test':
        return this.answer(res, call, 200, {
          ok: true,
          url: 'https://fake-workspace.slack.com/',
          team: 'Fake Workspace',
          user: 'wa-router',
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
          is_enterprise_install: false,
        });
      case 'chat.postMessage':
        return this.postMessage(res, call);
      case 'conversations.list':
        return this.conversationsList(res, call);
      case 'conversations.history':
      case 'conversations.replies':
        return this.readHistory(res, call);
      case 'files.getUploadURLExternal': {
        const answer = this.uploadFlow.getUploadURL(args, this.url);
        return this.answer(res, call, answer.status, answer.body);
      }
      case 'files.completeUploadExternal': {
        const answer = this.uploadFlow.complete(args, (id) => this.channelError(id));
        return this.answer(res, call, answer.status, answer.body);
      }
      default:
        return this.answer(res, call, 200, { ok: false, error: 'unknown_method' });
    }
  }

  private postMessage(res: ServerResponse, call: CallInfo): void {
    const { args } = call;
    const channelId = typeof args.channel === 'string' ? args.channel : '';
    const channel = this.channels.find((c) => c.id === channelId);
    if (!channel) return this.answer(res, call, 200, { ok: false, error: 'channel_not_found' });
    if (channel.isArchived) return this.answer(res, call, 200, { ok: false, error: 'is_archived' });
    if (channel.isMember === false) return this.answer(res, call, 200, { ok: false, error: 'not_in_channel' });
    let blocks: unknown[] | undefined;
    if (args.blocks !== undefined) {
      const checked = checkBlocks(args.blocks);
      if (checked.error) return this.answer(res, call, 200, { ok: false, error: checked.error });
      blocks = checked.blocks;
    }
    const textError = checkText(args.text, (blocks?.length ?? 0) > 0);
    if (textError) return this.answer(res, call, 200, { ok: false, error: textError });
    const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
    const ts = this.nextTs();
    const text = typeof args.text === 'string' ? args.text : undefined;
    this.messages.push({
      channel: channel.id,
      ts,
      thread_ts: threadTs,
      text,
      blocks,
      username: str(args.username),
      icon_emoji: str(args.icon_emoji),
      unfurl_links: bool(args.unfurl_links),
      unfurl_media: bool(args.unfurl_media),
      ...(args.metadata !== undefined ? { metadata: parsed(args.metadata) } : {}),
      at: Date.now(),
    });
    return this.answer(res, call, 200, {
      ok: true,
      channel: channel.id,
      ts,
      message: {
        type: 'message',
        subtype: 'bot_message',
        text: text ?? '',
        bot_id: 'B0BOT',
        ts,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(blocks ? { blocks } : {}),
      },
    });
  }

  private readHistory(res: ServerResponse, call: CallInfo): void {
    if (!this.historyScope)
      return this.answer(res, call, 200, {
        ok: false,
        error: 'missing_scope',
        needed: 'channels:history,groups:history',
        provided: 'chat:write,channels:read',
      });
    const channelId = typeof call.args.channel === 'string' ? call.args.channel : '';
    const channel = this.channels.find((c) => c.id === channelId);
    if (!channel) return this.answer(res, call, 200, { ok: false, error: 'channel_not_found' });
    if (channel.isMember === false) return this.answer(res, call, 200, { ok: false, error: 'not_in_channel' });
    const read = call.method === 'conversations.history' ? history : replies;
    return this.answer(res, call, 200, read(this.messages, channel.id, call.args));
  }

  private channelError(id: string): string | undefined {
    const channel = this.channels.find((c) => c.id === id);
    if (!channel) return 'channel_not_found';
    if (channel.isArchived) return 'is_archived';
    if (channel.isMember === false) return 'not_in_channel';
    return undefined;
  }

  private conversationsList(res: ServerResponse, call: CallInfo): void {
    const { args } = call;
    const types = String(args.types ?? 'public_channel').split(',');
    const excludeArchived = args.exclude_archived === true || args.exclude_archived === 'true';
    const limit = Math.min(1000, Math.max(1, Number(args.limit ?? this.pageSize) || this.pageSize));
    let offset = 0;
    if (typeof args.cursor === 'string' && args.cursor !== '') {
      const decoded = /^offset:(\d+)$/.exec(Buffer.from(args.cursor, 'base64').toString('utf8'));
      if (!decoded) return this.answer(res, call, 200, { ok: false, error: 'invalid_cursor' });
      offset = Number(decoded[1]);
    }
    const visible = types.includes('public_channel')
      ? this.channels.filter((c) => !(excludeArchived && c.isArchived))
      : [];
    const page = visible.slice(offset, offset + Math.min(limit, this.pageSize));
    const next =
      offset + page.length < visible.length ? Buffer.from(`offset:${offset + page.length}`).toString('base64') : '';
    return this.answer(res, call, 200, {
      ok: true,
      channels: page.map((c) => ({
        id: c.id,
        name: c.name,
        is_channel: true,
        is_private: false,
        is_archived: c.isArchived ?? false,
        is_member: c.isMember ?? true,
      })),
      response_metadata: { next_cursor: next },
    });
  }

  private record(call: CallInfo, status: number, error?: string): void {
    this.calls.push({
      method: call.method,
      path: call.req.url ?? '',
      args: call.args,
      contentType: call.contentType,
      authorization: call.req.headers.authorization,
      status,
      error,
      at: Date.now(),
    });
  }

  private answer(
    res: ServerResponse,
    call: CallInfo,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const error =
      typeof body === 'object' && body !== null && (body as { ok?: boolean }).ok === false
        ? String((body as { error?: unknown }).error)
        : undefined;
    this.record(call, status, error);
    // The call was handled (a message posted): now lose the answer, as a scripted fault asks.
    if (call.after === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (call.after === 'drop') {
      res.socket?.destroy();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
      'x-oauth-scopes': 'chat:write,channels:read',
      ...headers,
    });
    res.end(text);
  }
}

interface CallInfo {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly contentType: string;
  readonly req: IncomingMessage;
  /** After handling: never answer, or reset the connection (an answer lost after the service acted). */
  after?: 'hang' | 'drop';
}

/** A JSON value sent as a string in a form body (what WebClient does with objects), parsed. */
function parsed(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}
