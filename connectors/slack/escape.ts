/**
 * Slack mrkdwn escaping and Slack's length limits.
 *
 * Slack parses `<…>` as control sequences (`<!channel>`, `<@U123>`, `<https://x|label>`) and
 * decodes `&amp; &lt; &gt;`. Escaping exactly these three characters in text that came from
 * WhatsApp makes it display as written and never act as markup.
 */

/** Escape `&`, `<` and `>` as Slack asks (and nothing else: `*`, `_` and `~` are harmless). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (char) => (char === '&' ? '&amp;' : char === '<' ? '&lt;' : '&gt;'));
}

/**
 * A deep copy of a JSON-like value with every string escaped for mrkdwn. Templates rendered over
 * this copy insert escaped values, while the template's own text (the author's `*bold*`,
 * `<https://crm/…|CRM>` links, `<!here>`) is left as written.
 */
export function escapedCopy(value: unknown): unknown {
  if (typeof value === 'string') return escapeMrkdwn(value);
  if (Array.isArray(value)) return value.map(escapedCopy);
  if (value !== null && typeof value === 'object') {
    // Every object of the event is plain data (parsed JSON); anything else is copied the same way,
    // so no string reaches a template unescaped.
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: escapedCopy(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** What replaces the cut-off end of a text that is over a limit. */
export const TRUNCATION_MARKER = '… [truncated]';

/** Slack's limits, in characters (UTF-16 code units, which never undercounts Slack's count). */
export const LIMITS = Object.freeze({
  /** `text` of chat.postMessage: beyond it Slack answers `msg_too_long`. */
  text: 40_000,
  /** A text object (section text, context element, …). */
  blockText: 3_000,
  /** A `header` block's plain_text. */
  headerText: 150,
  /** One of a section's `fields`. */
  fieldText: 2_000,
  /** `username` override. */
  username: 80,
});

/**
 * Cut `text` to at most `max` characters, ending with the marker. Never splits a surrogate pair
 * or an `&amp;`-style entity produced by escaping.
 */
export function truncate(text: string, max: number, marker: string = TRUNCATION_MARKER): string {
  if (text.length <= max) return text;
  if (max <= marker.length) return marker.slice(0, max);
  let end = max - marker.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // high surrogate: keep the pair whole
  const amp = text.lastIndexOf('&', end - 1);
  if (amp !== -1 && end - amp < 5 && !text.slice(amp, end).includes(';')) {
    // An entity (&amp; &lt; &gt;) starts before the cut and ends after it: cut before it.
    const entity = /^&(amp|lt|gt);/.exec(text.slice(amp, amp + 5));
    if (entity && amp + entity[0].length > end) end = amp;
  }
  return text.slice(0, end) + marker;
}
