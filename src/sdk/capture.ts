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
const SECRET_PART = /secret|token|key|signature|password|passwd|auth|session|credential/;
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
  return SECRET_PART.test(lower);
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
    const key = wellFormed(name.slice(0, 128));
    const kept = wellFormed(shown);
    // A header named __proto__ stays a header (an assignment would set the prototype).
    if (key === '__proto__') Object.defineProperty(out, key, { value: kept, enumerable: true, writable: true });
    else out[key] = kept;
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
/**
 * A character text does not hold: a C0 control but tab, LF, VT, FF, CR and ESC (colours), or
 * U+FFFD (bytes that were not UTF-8). One regular expression: the scan runs on every captured body.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const NOT_TEXT = /[^\t\n\v\f\r\u001b\u0020-\ufffc\ufffe\uffff]/;
const looksBinary = (text: string): boolean => NOT_TEXT.test(text);
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

/**
 * The largest index of `text` whose UTF-8 prefix fits in `limit` bytes, never inside a surrogate
 * pair. Byte counts are native; only the few characters around the cut are counted one by one.
 */
function utf16Boundary(text: string, limit: number): number {
  const head = text.slice(0, limit); // no more than `limit` characters fit
  const bytes = Buffer.byteLength(head);
  let end = head.length;
  if (bytes > limit) {
    end = Math.floor((head.length * limit) / bytes); // a guess from the average width…
    if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
    let used = Buffer.byteLength(text.slice(0, end));
    // …moved to the exact place, one UTF-16 unit at a time.
    while (used > limit) used -= unitBytes(text, --end);
    for (let size = unitBytes(text, end); end < text.length && used + size <= limit; size = unitBytes(text, end)) {
      used += size;
      end++;
    }
  }
  return end < text.length && isHighSurrogate(text.charCodeAt(end - 1)) ? end - 1 : end;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** UTF-8 bytes of the UTF-16 unit at `i`: each half of a surrogate pair counts 2 of its 4. */
function unitBytes(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (isHighSurrogate(code)) return isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 3;
  if (isLowSurrogate(code)) return isHighSurrogate(text.charCodeAt(i - 1)) ? 2 : 3;
  return 3;
}

/** ES2024's `String.prototype.toWellFormed` (Node 20 has it; the TypeScript lib here is ES2023). */
type WellFormedString = string & { toWellFormed(): string };

/**
 * Text any store keeps: NUL removed and lone surrogates made U+FFFD (PostgreSQL refuses both in
 * JSON, and a result that cannot be written would hold its delivery back).
 */
export function wellFormed(text: string): string {
  const out = text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
  return (out as WellFormedString).toWellFormed();
}
