/**
 * conversations.history and conversations.replies of the fake Slack, over the messages it holds:
 * newest first for history (thread replies left out), parent first for replies, `oldest`/`latest`
 * bounds (exclusive unless `inclusive`), `limit` with a cursor, and message `metadata` only when
 * `include_all_metadata` is true, as Slack does.
 */
import type { FakeMessage } from './index.ts';

/** What the fake answers: HTTP 200 with this body (an `ok: false` one for errors). */
export type HistoryAnswer = Record<string, unknown> & { readonly ok: boolean };

const flag = (value: unknown): boolean => value === true || value === 'true';

/** Slack's ts strings compare as numbers ("1767225600.000010" > "1767225600.000009"). */
const tsNumber = (ts: string): number => Number(ts);

function bounded(messages: readonly FakeMessage[], args: Record<string, unknown>): FakeMessage[] {
  const inclusive = flag(args.inclusive);
  const oldest = typeof args.oldest === 'string' && args.oldest !== '' ? tsNumber(args.oldest) : undefined;
  const latest = typeof args.latest === 'string' && args.latest !== '' ? tsNumber(args.latest) : undefined;
  return messages.filter((m) => {
    const ts = tsNumber(m.ts);
    if (oldest !== undefined && (inclusive ? ts < oldest : ts <= oldest)) return false;
    if (latest !== undefined && (inclusive ? ts > latest : ts >= latest)) return false;
    return true;
  });
}

function page(
  messages: readonly FakeMessage[],
  args: Record<string, unknown>,
): { items: FakeMessage[]; next: string } | { error: string } {
  const limit = Math.min(999, Math.max(1, Number(args.limit ?? 100) || 100));
  let offset = 0;
  if (typeof args.cursor === 'string' && args.cursor !== '') {
    const decoded = /^offset:(\d+)$/.exec(Buffer.from(args.cursor, 'base64').toString('utf8'));
    if (!decoded) return { error: 'invalid_cursor' };
    offset = Number(decoded[1]);
  }
  const items = messages.slice(offset, offset + limit);
  const next =
    offset + items.length < messages.length ? Buffer.from(`offset:${offset + items.length}`).toString('base64') : '';
  return { items, next };
}

function shown(message: FakeMessage, metadata: boolean, replies: readonly FakeMessage[]): Record<string, unknown> {
  const count = replies.filter((m) => m.thread_ts === message.ts).length;
  return {
    type: 'message',
    subtype: 'bot_message',
    bot_id: 'B0BOT',
    ts: message.ts,
    text: message.text ?? '',
    ...(message.thread_ts ? { thread_ts: message.thread_ts } : count > 0 ? { thread_ts: message.ts } : {}),
    ...(count > 0 ? { reply_count: count } : {}),
    ...(metadata && message.metadata ? { metadata: message.metadata } : {}),
  };
}

function answerPage(
  result: { items: FakeMessage[]; next: string } | { error: string },
  args: Record<string, unknown>,
  all: readonly FakeMessage[],
): HistoryAnswer {
  if ('error' in result) return { ok: false, error: result.error };
  return {
    ok: true,
    messages: result.items.map((m) => shown(m, flag(args.include_all_metadata), all)),
    has_more: result.next !== '',
    response_metadata: { next_cursor: result.next },
  };
}

/** conversations.history of one channel: its top-level messages, newest first. */
export function history(all: readonly FakeMessage[], channel: string, args: Record<string, unknown>): HistoryAnswer {
  const top = all.filter((m) => m.channel === channel && m.thread_ts === undefined);
  const newestFirst = bounded(top, args).sort((a, b) => tsNumber(b.ts) - tsNumber(a.ts));
  return answerPage(page(newestFirst, args), args, all);
}

/** conversations.replies of the thread whose parent is `ts`: the parent, then its replies, oldest first. */
export function replies(all: readonly FakeMessage[], channel: string, args: Record<string, unknown>): HistoryAnswer {
  const ts = typeof args.ts === 'string' ? args.ts : '';
  const parent = all.find((m) => m.channel === channel && m.ts === ts && m.thread_ts === undefined);
  if (!parent) return { ok: false, error: 'thread_not_found' };
  const thread = bounded(
    all.filter((m) => m.channel === channel && m.thread_ts === ts),
    args,
  ).sort((a, b) => tsNumber(a.ts) - tsNumber(b.ts));
  // Slack always returns the parent first, whatever the bounds.
  return answerPage(page([parent, ...thread], args), args, all);
}
