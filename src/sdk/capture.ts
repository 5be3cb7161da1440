/**
 * The pieces of a safe capture of a request and its response (see exchange.ts): header values and
 * URL parts that carry secrets are masked, bodies are cut to their first 4 KB on a UTF-8 boundary
 * and binary bodies are described instead of copied. Every function here is idempotent: a capture
 * masked and cut once comes out of them unchanged, so the dispatcher can run them again on captures
 * a plugin built by hand.
 */

/** Bytes of a body kept in a capture; the rest is replaced by a marker saying how much was cut. */
export const CAPTURE_BODY_BYTES = 4096;
/** What a masked value is replaced with (the word the router's logs and config dumps use). */
export const MASK = '[redacted]';

const MAX_HEADERS = 64;
const MAX_HEADER_CHARS = 1024;
const MAX_URL_CHARS = 2048;

/** Header (or query parameter) names whose whole value is a credential. */
const SECRET_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'sig', 'pwd', 'pass']);
/** A name containing one of these carries a secret: x-api-key, x-auth-token, webhook-signature, client_secret… */
const SECRET_PARTS = ['secret', 'token', 'key', 'signature', 'password', 'passwd', 'auth', 'session', 'credential'];
/** Idempotency keys are ids the router derives from the event, not credentials, and they match deliveries up. */
const NOT_SECRET = /idempotency[-_]?key$/;

/**
 * Whether a header or query parameter of this name carries a secret: authorization,
 * proxy-authorization, cookie, set-cookie, sig, pwd, pass, and any name containing secret, token,
 * key, signature, password, passwd, auth, session or credential (case aside), except idempotency
 * keys (`Idempotency-Key`, `wa-idempotency-key`), which name the delivery and are shown.
 */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_NAMES.has(lower)) return true;
  if (NOT_SECRET.test(lower)) return false;
  return SECRET_PARTS.some((part) => lower.includes(part));
}

/** Header values as HTTP clients give them: a record (node:http) or an iterable of pairs (fetch's `Headers`). */
export type HeaderInput =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

/**
 * Headers as a capture keeps them: one string per name (repeated values joined with ", "), at most
 * 64 of them, each value cut to 1024 characters, and the value of every secret-bearing name (see
 * {@link isSecretName}, plus `mask`) replaced by `[redacted]`. An `Authorization` keeps its scheme
 * (`Bearer [redacted]`): which kind of credential was sent helps, the credential never does.
 */
export function maskHeaders(headers: HeaderInput | undefined, mask: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined || headers === null) return out;
  const extra = mask.length === 0 ? undefined : new Set(mask.map((name) => name.toLowerCase()));
  let count = 0;
  const add = (name: string, value: unknown) => {
    if (value === undefined || count >= MAX_HEADERS) return;
    const text = Array.isArray(value) ? value.map(String).join(', ') : String(value);
    const secret = isSecretName(name) || extra?.has(name.toLowerCase()) === true;
    const shown = secret
      ? masked(name, text)
      : text.length > MAX_HEADER_CHARS
        ? `${text.slice(0, MAX_HEADER_CHARS)}…`
        : text;
    // defineProperty: a header named __proto__ stays a header.
    Object.defineProperty(out, wellFormed(name.slice(0, 128)), {
      value: wellFormed(shown),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    count++;
  };
  if (isIterable(headers)) for (const [name, value] of headers) add(name, value);
  else for (const name of Object.keys(headers)) add(name, headers[name]);
  return out;
}

function isIterable(value: HeaderInput): value is Iterable<readonly [string, string]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function masked(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^([A-Za-z][A-Za-z0-9._+-]{0,31})\s+\S/.exec(value);
    if (scheme) return `${scheme[1]} ${MASK}`;
  }
  return MASK;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A URL as a capture keeps it: the userinfo (`https://user:pass@host`) replaced by `[redacted]`, and
 * the value of each query or fragment parameter with a secret-bearing name (`token=`, `key=`,
 * `sig=`, `api_key=`, `access_token=`…; see {@link isSecretName}) replaced too. The rest is kept
 * exactly as written (no re-encoding). Text that is not a URL with a scheme (a Kafka topic) is kept.
 */
export function maskUrl(url: string): string {
  let text = url.length > MAX_URL_CHARS ? `${url.slice(0, MAX_URL_CHARS)}…` : url;
  const scheme = SCHEME.exec(text);
  if (!scheme) return wellFormed(text);
  const rest = text.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at !== -1) text = `${scheme[0]}${MASK}@${rest.slice(at + 1)}`;
  const query = text.search(/[?#]/);
  if (query === -1) return wellFormed(text);
  const params = text
    .slice(query)
    .replace(/([?&#;])([^=&#;]*)=([^&#;]*)/g, (whole, separator: string, name: string) =>
      isSecretName(decodeName(name)) ? `${separator}${name}=${MASK}` : whole,
    );
  return wellFormed(text.slice(0, query) + params);
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/** Media types whose bodies are never text. */
const BINARY_TYPE = /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|x-protobuf|protobuf)/i;
/** Controls text holds: tab, LF, VT, FF, CR and ESC (colours). */
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b]);

/** Whether `text` has what text does not hold: another C0 control, or U+FFFD (bytes that were not UTF-8). */
function looksBinary(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && !TEXT_CONTROLS.has(code)) || code === 0xfffd) return true;
  }
  return false;
}
const CUT_MARKER = /\n\[… (\d+) more bytes not shown\]$/;

/** Options of {@link captureBody}. */
export interface BodyOptions {
  /** The body's media type, when known: an image or a PDF is described without looking at it. */
  readonly contentType?: string | undefined;
  /** The body's whole size in bytes, when `body` holds only its start (a client that stopped reading). */
  readonly size?: number | undefined;
}

/**
 * A body as a capture keeps it: its first 4096 bytes of UTF-8, cut on a character boundary, followed
 * by a line `[… N more bytes not shown]` when it was longer; or, for a binary body (an image, bytes
 * that are not UTF-8 text), a description such as `[binary body, 5120 bytes, image/png]`. Undefined
 * for no body or an empty one.
 */
export function captureBody(body: string | Uint8Array | undefined, options: BodyOptions = {}): string | undefined {
  if (body === undefined || body === null || body.length === 0) return undefined;
  const bytes = typeof body === 'string' ? undefined : body;
  const known = options.size;
  if (options.contentType && BINARY_TYPE.test(options.contentType)) return described(body, options);
  if (bytes) {
    const end = utf8Boundary(bytes, Math.min(bytes.length, CAPTURE_BODY_BYTES));
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
    if (looksBinary(text)) return described(body, options);
    const total = Math.max(known ?? 0, bytes.length);
    return end < total ? `${text}\n[… ${total - end} more bytes not shown]` : text;
  }
  const text = body as string;
  const marker = text.endsWith(' more bytes not shown]') ? CUT_MARKER.exec(text) : null;
  if (marker && Buffer.byteLength(text.slice(0, marker.index)) <= CAPTURE_BODY_BYTES) return text; // cut already
  const end = text.length * 3 <= CAPTURE_BODY_BYTES ? text.length : utf16Boundary(text, CAPTURE_BODY_BYTES);
  const kept = text.slice(0, end);
  if (looksBinary(kept)) return described(body, options);
  if (end === text.length && (known === undefined || known <= Buffer.byteLength(text))) return wellFormed(kept);
  const total = Math.max(known ?? 0, Buffer.byteLength(text));
  return `${wellFormed(kept)}\n[… ${total - Buffer.byteLength(kept)} more bytes not shown]`;
}

function described(body: string | Uint8Array, options: BodyOptions): string {
  const size = Math.max(options.size ?? 0, typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  const type = options.contentType ? `, ${wellFormed(options.contentType.slice(0, 100))}` : '';
  return `[binary body, ${size} bytes${type}]`;
}

/** The largest end ≤ `end` that does not split a UTF-8 sequence of `bytes`. */
function utf8Boundary(bytes: Uint8Array, end: number): number {
  let start = end;
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  while (start > 0 && end - start < 4 && (bytes[start - 1]! & 0xc0) === 0x80) start--;
  if (start === 0 || end - start >= 4) return end;
  const lead = bytes[start - 1]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return end - (start - 1) >= length ? end : start - 1;
}

/** The largest index of `text` whose UTF-8 prefix fits in `limit` bytes, never inside a surrogate pair. */
function utf16Boundary(text: string, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > limit) return i;
    bytes += size;
    if (pair) i++;
  }
  return text.length;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text any store keeps: NUL removed and lone surrogates made U+FFFD (PostgreSQL refuses both in
 * JSON, and a result that cannot be written would hold its delivery back).
 */
export function wellFormed(text: string): string {
  let out = text;
  if (out.includes('\u0000')) out = out.replaceAll('\u0000', '');
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(out) ? out.replace(LONE_SURROGATE, '\ufffd') : out;
}
