/**
 * Checks of a request built from templates, before anything is sent. Event data is outside input:
 * a value may be `..`, carry CR/LF, or characters HTTP headers cannot hold. Such a request can
 * never succeed as built, so it is refused with a reason naming what is wrong and where, and the
 * delivery fails at once instead of being retried as if the network had failed.
 */

/** A request that cannot be sent as built (a URL that would walk its path, a header value HTTP cannot carry). */
export class UnsafeRequestError extends Error {
  override readonly name = 'UnsafeRequestError';
  /** Stable code, so callers that only see `code` (like `classifyNetworkError`) know no retry can help. */
  readonly code = 'ERR_UNSAFE_REQUEST';
}

/** Where a rendered URL must stay. */
export interface UrlBounds {
  /** The origin fixed in config, e.g. `https://api.example.com`. */
  readonly origin: string;
  /** A path prefix every request stays under, ending with "/" (e.g. `/v1/`); default: any path. */
  readonly pathPrefix?: string | undefined;
  /** Refuse an empty path segment (`/persons//notes`, a value that rendered empty). Default false. */
  readonly refuseEmptySegments?: boolean | undefined;
}

/** `.` and `..` as the WHATWG URL parser sees them, `%2e` included. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
// The URL parser drops tabs and newlines anywhere, so `.\t.` would become `..` after this check.
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
const SCHEME_AND_HOST = /^[a-z][a-z0-9+.-]*:[/\\]{2}[^/\\?#]*/i;

/**
 * The URL that will really be requested for a rendered URL template, or an UnsafeRequestError.
 * URL templates percent-encode `{{ }}` values, which keeps `/ ? # \` out of them, but not dots: a
 * value `..` filling a whole path segment would make the request go one level up (`/persons/../notes`
 * is `/notes`). Such segments are refused here, before the URL parser would resolve them, and the
 * result must keep the configured origin (and path prefix). Returns the normalized href, which is
 * also what a preview should show.
 */
export function checkedUrl(rendered: string, bounds: UrlBounds): string {
  if (hasControl(rendered)) throw new UnsafeRequestError('the rendered URL has a control character; refused');
  const afterOrigin = rendered.replace(SCHEME_AND_HOST, '');
  const path = afterOrigin.split(/[?#]/, 1)[0]!;
  const segments = path.split(/[/\\]/);
  if (segments.some((segment) => DOT_SEGMENT.test(segment))) {
    throw new UnsafeRequestError(
      'the rendered URL path has a "." or ".." segment (a value from the event?); refused, as it would walk the path',
    );
  }
  if (bounds.refuseEmptySegments && segments.slice(1).some((segment) => segment === '')) {
    throw new UnsafeRequestError(
      'the rendered URL path has an empty segment (a value from the event rendered empty?); refused',
    );
  }
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new UnsafeRequestError('the rendered URL is not a valid URL');
  }
  if (url.origin !== bounds.origin) throw new UnsafeRequestError(`the rendered URL leaves ${bounds.origin}`);
  if (bounds.pathPrefix !== undefined && !`${url.pathname}/`.startsWith(bounds.pathPrefix))
    throw new UnsafeRequestError(`the rendered URL leaves ${bounds.origin}${bounds.pathPrefix}`);
  return url.href;
}

/** What Node's HTTP client accepts in a header value: tab, visible ASCII, and Latin-1 (obs-text). */
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
/** An HTTP token (RFC 9110), what a header name is made of. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why a header cannot be sent, or undefined when it can. Names the header, never echoes the value
 * (it may be a credential).
 */
export function headerProblem(name: string, value: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `header name ${JSON.stringify(name)} is not a valid HTTP header name`;
  if (HEADER_VALUE.test(value)) return undefined;
  if (/[\r\n]/.test(value)) return `header "${name}" has a CR or LF in its value (a value from the event?)`;
  if (hasControl(value.replaceAll('\t', ''))) return `header "${name}" has a control character in its value`;
  return `header "${name}" has characters HTTP headers cannot carry (beyond Latin-1, e.g. emoji); encode them first`;
}

/** Throws an UnsafeRequestError naming the first header that cannot be sent. */
export function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(name, value);
    if (problem) throw new UnsafeRequestError(problem);
  }
}
