import { createHash } from 'node:crypto';

/**
 * Names of stored files (pure). A file is content-addressed by its Wassenger file id: its key is
 * the SHA-256 of that id, so a redelivered webhook or a replay finds it, and nothing from the
 * payload (file names, paths) ever reaches the file system or a bucket key.
 */

const KEY = /^[0-9a-f]{64}$/;

/** The storage key (and link id) of a Wassenger file id. */
export function keyOf(fileId: string): string {
  return createHash('sha256').update(`wassenger-file:${fileId}`).digest('hex');
}

/** Whether a link id has the shape of a key (anything else is answered 404 without a look). */
export function isKey(value: string): boolean {
  return KEY.test(value);
}

/** Types a browser would run or render as a page: served as attachments only. */
const ACTIVE =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|[a-z]+\/[a-z0-9.+-]*\+xml|(text|application)\/(x-)?(java|ecma)script|text\/javascript)$/;

/** The bare type of a Content-Type value, lower case; a safe default when missing or malformed. */
export function cleanMime(mime: string | undefined): string {
  const bare = (mime ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(bare) ? bare : 'application/octet-stream';
}

export function isActiveType(mime: string): boolean {
  return ACTIVE.test(cleanMime(mime));
}

/** A file name fit for a header: no path, no control characters, at most 150 characters. */
export function safeFilename(name: string | undefined, key: string, mime: string): string {
  const base = (name ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/["\p{Cc}]/gu, '')
    .trim()
    .slice(0, 150);
  if (base !== '' && base !== '.' && base !== '..') return base;
  const ext = /^[a-z]+\/([a-z0-9]{1,8})$/.exec(cleanMime(mime))?.[1];
  return ext ? `${key.slice(0, 12)}.${ext}` : key.slice(0, 12);
}

/**
 * Content-Disposition with the file name, ASCII fallback plus RFC 5987 `filename*` for the rest.
 * `inline` unless the type is one a browser would run.
 */
export function contentDisposition(filename: string, mime: string): string {
  const kind = isActiveType(mime) ? 'attachment' : 'inline';
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/[\\"]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
