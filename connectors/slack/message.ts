import { compileTemplate, templateScope, type Delivery, type Template } from '../../src/sdk/index.ts';
import { LIMITS, escapedCopy, truncate } from './escape.ts';

/**
 * Rendering of the chat.postMessage arguments for one delivery. Pure: no network, no state, so
 * `preview` shows exactly what `deliver` sends (except the resolved channel id, `thread_ts` and
 * the `metadata` that names the delivery, see ledger.ts).
 */

/** The arguments sent to chat.postMessage (the token travels in the Authorization header only). */
export interface PostMessageArgs {
  channel: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  username?: string;
  icon_emoji?: string;
  unfurl_links: boolean;
  unfurl_media: boolean;
  /** Names the delivery, so a retry can find the message an unanswered attempt posted. */
  metadata?: { event_type: string; event_payload: { key: string } };
}

/** A Block Kit tree whose strings are templates, each rendered over the raw or the escaped event. */
export interface BlocksTemplate {
  readonly source: unknown;
  render(scopes: Scopes): unknown[];
}

/** The two views of a delivery templates read: as received, and with every string mrkdwn-escaped. */
export interface Scopes {
  readonly raw: object;
  readonly escaped: object;
}

export interface MessageTemplates {
  readonly text: Template;
  readonly blocks?: BlocksTemplate | undefined;
  readonly username?: Template | undefined;
  readonly iconEmoji?: string | undefined;
  readonly unfurlLinks: boolean;
  readonly unfurlMedia: boolean;
}

/**
 * Keys whose values Slack never parses as mrkdwn: they are rendered from the raw event, so that a
 * `&` in a URL or a button value is not turned into `&amp;`. Every other string is rendered from the
 * escaped event (the safe default for a key this list does not know).
 */
const VERBATIM_KEYS = new Set([
  'url',
  'image_url',
  'alt_text',
  'value',
  'action_id',
  'block_id',
  'type',
  'emoji',
  'verbatim',
]);

/** Compile the `blocks` option: every string leaf becomes a template; throws TemplateError on bad syntax. */
export function compileBlocks(source: unknown): BlocksTemplate {
  const root = compileNode(source, undefined, undefined);
  return {
    source,
    render(scopes) {
      const rendered = root(scopes);
      return applyBlockLimits(Array.isArray(rendered) ? rendered : []) as unknown[];
    },
  };
}

type Node = (scopes: Scopes) => unknown;

function compileNode(value: unknown, key: string | undefined, parent: Record<string, unknown> | undefined): Node {
  if (typeof value === 'string') {
    const template = compileTemplate(value);
    // plain_text is shown as written (no mentions, no links): the raw value is what users expect there.
    const verbatim = (key !== undefined && VERBATIM_KEYS.has(key)) || (key === 'text' && parent?.type === 'plain_text');
    return verbatim ? (scopes) => template.render(scopes.raw) : (scopes) => template.render(scopes.escaped);
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => compileNode(item, undefined, undefined));
    return (scopes) => items.map((item) => item(scopes));
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const entries = Object.entries(object).map(
      ([childKey, child]) => [childKey, compileNode(child, childKey, object)] as const,
    );
    return (scopes) => {
      const out: Record<string, unknown> = {};
      for (const [childKey, child] of entries) {
        const rendered = child(scopes);
        if (rendered !== undefined)
          Object.defineProperty(out, childKey, {
            value: rendered,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return out;
    };
  }
  return () => value;
}

/** Cut every text object to Slack's limit for where it sits (header 150, section field 2,000, else 3,000). */
function applyBlockLimits(blocks: unknown[]): unknown[] {
  return blocks.map((block) => limitNode(block, LIMITS.blockText, isObject(block) && block.type === 'header'));
}

function limitNode(value: unknown, max: number, inHeader: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => limitNode(item, max, inHeader));
  if (!isObject(value)) return value;
  if ((value.type === 'mrkdwn' || value.type === 'plain_text') && typeof value.text === 'string') {
    return { ...value, text: truncate(value.text, inHeader ? Math.min(max, LIMITS.headerText) : max) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = limitNode(child, key === 'fields' ? LIMITS.fieldText : max, inHeader);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The raw and escaped scopes of a delivery; `params` (the route's `with:`, written by the config author) stays raw. */
export function scopesOf(delivery: Delivery): Scopes {
  const raw = templateScope(delivery) as Record<string, unknown>;
  const { params, ...rest } = raw;
  return { raw, escaped: { ...(escapedCopy(rest) as object), params } };
}

/**
 * The chat.postMessage arguments for a delivery, with `channel` as given (an id, or a `#name` that
 * `deliver` resolves). Throws TemplateError when a template cannot render.
 */
export function renderMessage(templates: MessageTemplates, delivery: Delivery, channel: string): PostMessageArgs {
  const scopes = scopesOf(delivery);
  const args: PostMessageArgs = {
    channel,
    text: truncate(templates.text.renderString(scopes.escaped), LIMITS.text),
    unfurl_links: templates.unfurlLinks,
    unfurl_media: templates.unfurlMedia,
  };
  if (templates.blocks) args.blocks = templates.blocks.render(scopes);
  if (templates.username) {
    const username = templates.username.renderString(scopes.raw).trim();
    if (username) args.username = truncate(username, LIMITS.username, '…');
  }
  if (templates.iconEmoji) args.icon_emoji = templates.iconEmoji;
  return args;
}
