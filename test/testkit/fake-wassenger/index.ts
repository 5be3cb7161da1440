import { randomBytes } from 'node:crypto';
import { ScriptedFake, type JsonReply, type RecordedRequest } from '../fake-hubspot/scripted-server.ts';

export type { Fault, RecordedRequest } from '../fake-hubspot/scripted-server.ts';

/** A message the fake accepted on POST /v1/messages. */
export interface SentMessage {
  readonly id: string;
  readonly waId: string;
  readonly device: string;
  readonly phone?: string;
  readonly group?: string;
  readonly message: string;
  readonly quote?: string;
  readonly reference?: string;
  /** `media: { url }` of a media message (Wassenger downloads the file from there). */
  readonly media?: { readonly url: string };
}

export interface FakeWassengerOptions {
  /** The API key the fake accepts in the `Token` header. */
  readonly token: string;
  /** `GET /v1/messages` ignores its filters and lists the latest messages (as an API that cannot search would). */
  readonly searchIgnoresFilters?: boolean;
}

const PHONE = /^\+[1-9]\d{1,14}$/;
const TARGETS = ['phone', 'group', 'channel', 'chat'] as const;
/** Fields Wassenger's validator knows on POST /v1/messages (a subset; enough for the connector). */
const MESSAGE_FIELDS = new Set([
  ...TARGETS,
  'message',
  'device',
  'reference',
  'quote',
  'priority',
  'enqueue',
  'live',
  'retries',
  'deliverAt',
  'schedule',
  'expiration',
  'label',
  'agent',
  'media',
  'location',
  'contacts',
  'actions',
  'typing',
  'sendReadAck',
  'order',
  'reaction',
  'reactionMessage',
]);
const METADATA_KEY = /^[A-Za-z0-9_:.-]{1,30}$/;

/**
 * A local stand-in for the Wassenger REST API: send a message, list the messages sent (filters
 * `reference`, `phone`, `group`, `createdAfter`; newest first; `size`), change chat labels, upsert
 * contact metadata. Checks the
 * `Token` header (401 otherwise), validates bodies the way Wassenger's validator does (one
 * target, E.164 phone, unknown fields rejected), answers in its JSON shapes,
 * and can be scripted to fail (`fail`). `echoOf` builds the `message:out:new` webhook Wassenger
 * would send for a message sent here.
 */
export class FakeWassenger extends ScriptedFake {
  readonly messages: SentMessage[] = [];
  /** Labels per `device/chat`. */
  readonly labels = new Map<string, string[]>();
  /** When each message (by id) was accepted; kept apart so `messages` holds what was sent. */
  private readonly createdAt = new Map<string, string>();
  /** Contact metadata per `device/contact wid`. */
  readonly metadata = new Map<string, { key: string; value: string }[]>();

  private constructor(private readonly options: FakeWassengerOptions) {
    super();
  }

  static async start(options: FakeWassengerOptions): Promise<FakeWassenger> {
    const fake = new FakeWassenger(options);
    await fake.server.listen();
    return fake;
  }

  metadataOf(device: string, wid: string): Record<string, string> {
    return Object.fromEntries((this.metadata.get(`${device}/${wid}`) ?? []).map((entry) => [entry.key, entry.value]));
  }

  protected handle(request: RecordedRequest): JsonReply {
    const token = request.headers['token'];
    if (typeof token !== 'string' || token !== this.options.token) {
      return {
        status: 401,
        body: {
          status: 401,
          message: 'Invalid or missing API key. Please provide a valid API key in the "Token" header.',
          errorCode: 'auth:invalid',
        },
      };
    }
    const { method, path } = request;
    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/messages') return this.send(request);
    if (method === 'GET' && path === '/v1/messages') return this.search(request);
    if (method === 'PATCH' && (match = /^\/v1\/chat\/([^/]+)\/chats\/([^/]+)\/labels$/.exec(path))) {
      return this.patchLabels(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!), request);
    }
    if (method === 'PATCH' && (match = /^\/v1\/chat\/([^/]+)\/contacts\/([^/]+)\/metadata$/.exec(path))) {
      return this.patchMetadata(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!), request);
    }
    return invalid(404, 'route:not_found', `Cannot ${method} ${path}`);
  }

  private send(request: RecordedRequest): JsonReply {
    const body = request.json as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return invalid(400, 'body:invalid', 'Request body must be a JSON object');
    const unknown = Object.keys(body).filter((key) => !MESSAGE_FIELDS.has(key));
    if (unknown.length > 0) return invalid(400, 'body:invalid', `"${unknown[0]}" is not allowed`);
    const targets = TARGETS.filter((key) => body[key] !== undefined);
    if (targets.length !== 1)
      return invalid(400, 'target:required', 'One of "phone", "group", "channel" or "chat" is required');
    if (body['phone'] !== undefined && !(typeof body['phone'] === 'string' && PHONE.test(body['phone'])))
      return invalid(400, 'phone:invalid', 'Invalid phone number: it must be in E.164 format, e.g. +12345678909');
    if (body['group'] !== undefined && !(typeof body['group'] === 'string' && body['group'].endsWith('@g.us')))
      return invalid(400, 'group:invalid', 'Invalid group id');
    const media = body['media'] as { url?: unknown } | undefined;
    if (media !== undefined && !(typeof media?.url === 'string' && /^https?:\/\//.test(media.url)))
      return invalid(400, 'media:invalid', '"media.url" must be an http(s) URL');
    if (media === undefined && (typeof body['message'] !== 'string' || body['message'] === ''))
      return invalid(400, 'message:required', '"message" is required for a text message');
    if (body['message'] !== undefined && typeof body['message'] !== 'string')
      return invalid(400, 'message:invalid', '"message" must be a string');
    if (typeof body['message'] === 'string' && body['message'].length > 10_000)
      return invalid(400, 'message:invalid', '"message" must not be longer than 10000 characters');
    if (body['reference'] !== undefined && (typeof body['reference'] !== 'string' || body['reference'].length > 100))
      return invalid(400, 'reference:invalid', '"reference" must be a string up to 100 characters');
    const sent: SentMessage = {
      id: randomBytes(12).toString('hex'),
      waId: `3EB0${randomBytes(8).toString('hex').toUpperCase()}`,
      device: String(body['device'] ?? ''),
      message: typeof body['message'] === 'string' ? body['message'] : '',
      ...(media ? { media: { url: String(media.url) } } : {}),
      ...(typeof body['phone'] === 'string' ? { phone: body['phone'] } : {}),
      ...(typeof body['group'] === 'string' ? { group: body['group'] } : {}),
      ...(typeof body['quote'] === 'string' ? { quote: body['quote'] } : {}),
      ...(typeof body['reference'] === 'string' ? { reference: body['reference'] } : {}),
    };
    const createdAt = new Date().toISOString();
    this.createdAt.set(sent.id, createdAt);
    this.messages.push(sent);
    return {
      status: 201,
      body: {
        id: sent.id,
        waId: sent.waId,
        phone: sent.phone,
        group: sent.group,
        message: sent.message,
        reference: sent.reference,
        device: sent.device,
        status: 'queued',
        deliveryStatus: 'queued',
        priority: 'normal',
        createdAt,
      },
    };
  }

  /** The messages sent, newest first, as Wassenger lists them (a JSON array). */
  private search(request: RecordedRequest): JsonReply {
    const { query } = request;
    const size = Math.min(100, Math.max(1, Number(query.get('size') ?? 20) || 20));
    const after = Date.parse(query.get('createdAfter') ?? '');
    const matches = (m: SentMessage): boolean =>
      (!query.has('reference') || query.getAll('reference').includes(m.reference ?? '')) &&
      (!query.has('phone') || query.get('phone') === m.phone) &&
      (!query.has('group') || query.get('group') === m.group) &&
      (Number.isNaN(after) || Date.parse(this.createdAt.get(m.id) ?? '') > after);
    const matching = this.options.searchIgnoresFilters ? this.messages : this.messages.filter(matches);
    const page = [...matching].reverse().slice(0, size);
    return {
      status: 200,
      body: page.map((m) => ({
        id: m.id,
        waId: m.waId,
        phone: m.phone,
        group: m.group,
        message: m.message,
        quote: m.quote,
        reference: m.reference,
        device: m.device,
        status: 'queued',
        deliveryStatus: 'queued',
        createdAt: this.createdAt.get(m.id),
      })),
    };
  }

  private patchLabels(device: string, chat: string, request: RecordedRequest): JsonReply {
    const labels = request.json;
    if (
      !Array.isArray(labels) ||
      !labels.every((label) => typeof label === 'string' && label.length >= 1 && label.length <= 30)
    ) {
      return invalid(400, 'labels:invalid', 'Body must be an array of label names (1 to 30 characters)');
    }
    const key = `${device}/${chat}`;
    const current = this.labels.get(key) ?? [];
    let next: string[];
    if (request.query.get('remove') === 'true') next = current.filter((label) => !labels.includes(label));
    else if (request.query.get('upsert') === 'true') next = [...new Set([...current, ...(labels as string[])])];
    else next = [...(labels as string[])];
    this.labels.set(key, next);
    return { status: 200, body: next };
  }

  private patchMetadata(device: string, wid: string, request: RecordedRequest): JsonReply {
    const entries = request.json;
    if (!Array.isArray(entries)) return invalid(400, 'metadata:invalid', 'Body must be an array of {key, value}');
    for (const entry of entries as { key?: unknown; value?: unknown }[]) {
      if (typeof entry?.key !== 'string' || !METADATA_KEY.test(entry.key))
        return invalid(400, 'metadata:invalid', `Invalid metadata key: ${JSON.stringify(entry?.key)}`);
      if (typeof entry.value !== 'string' || entry.value.length > 300)
        return invalid(
          400,
          'metadata:invalid',
          `Invalid metadata value for ${entry.key}: a string up to 300 characters`,
        );
    }
    const key = `${device}/${wid}`;
    const current = this.metadata.get(key) ?? [];
    for (const entry of entries as { key: string; value: string }[]) {
      const existing = current.find((item) => item.key === entry.key);
      if (existing) existing.value = entry.value;
      else current.push({ key: entry.key, value: entry.value });
    }
    this.metadata.set(key, current);
    return { status: 200, body: current };
  }
}

function invalid(status: number, errorCode: string, message: string): JsonReply {
  return { status, body: { status, message, errorCode } };
}

/**
 * The `message:out:new` webhook Wassenger sends after a message sent through the API: built from a
 * `message:out:new` fixture (parsed), with this message's ids, text, chat and `reference`.
 */
export function echoOf(sent: SentMessage, fixture: { device: object; data: Record<string, unknown> }): object {
  return {
    ...fixture,
    event: 'message:out:new',
    device: { ...fixture.device, id: sent.device },
    data: {
      ...fixture.data,
      id: sent.waId,
      body: sent.message,
      flow: 'outbound',
      reference: sent.reference,
      ...(sent.phone ? { to: `${sent.phone.slice(1)}@c.us`, toNumber: sent.phone } : {}),
    },
  };
}
export { FakeWassengerFiles, type FakeFile, type FileDownload, type FileFault } from './files.ts';
