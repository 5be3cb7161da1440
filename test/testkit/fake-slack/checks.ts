/**
 * The checks Slack makes on chat.postMessage arguments, as far as the connector can hit them.
 * Each returns Slack's error code, or undefined when the arguments pass.
 */

/** Slack's documented limits. */
export const SLACK_LIMITS = Object.freeze({
  text: 40_000,
  blocks: 50,
  blockText: 3_000,
  headerText: 150,
  fields: 10,
  fieldText: 2_000,
});

const BLOCK_TYPES = new Set([
  'section',
  'header',
  'context',
  'divider',
  'image',
  'actions',
  'rich_text',
  'input',
  'file',
  'video',
  'markdown',
  'table',
  'context_actions',
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function badTextObject(value: unknown, max: number, plainOnly = false): boolean {
  if (!isObject(value)) return true;
  if (value.type !== 'plain_text' && (plainOnly || value.type !== 'mrkdwn')) return true;
  return typeof value.text !== 'string' || value.text.length < 1 || value.text.length > max;
}

/** `blocks` as the client sent them (a JSON string in a form body, or an array in a JSON body). */
export function checkBlocks(raw: unknown): { error?: string; blocks?: unknown[] } {
  let blocks: unknown = raw;
  if (typeof raw === 'string') {
    try {
      blocks = JSON.parse(raw);
    } catch {
      return { error: 'invalid_blocks' };
    }
  }
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  if (blocks.length > SLACK_LIMITS.blocks) return { error: 'invalid_blocks' };
  for (const block of blocks) {
    if (!isObject(block) || typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type))
      return { error: 'invalid_blocks' };
    if (block.type === 'header' && badTextObject(block.text, SLACK_LIMITS.headerText, true))
      return { error: 'invalid_blocks' };
    if (block.type === 'section') {
      if (block.text === undefined && block.fields === undefined) return { error: 'invalid_blocks' };
      if (block.text !== undefined && badTextObject(block.text, SLACK_LIMITS.blockText))
        return { error: 'invalid_blocks' };
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > SLACK_LIMITS.fields)
          return { error: 'invalid_blocks' };
        if (block.fields.some((field) => badTextObject(field, SLACK_LIMITS.fieldText)))
          return { error: 'invalid_blocks' };
      }
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0) return { error: 'invalid_blocks' };
      if (
        block.elements.some(
          (element) => isObject(element) && element.type !== 'image' && badTextObject(element, SLACK_LIMITS.blockText),
        )
      )
        return { error: 'invalid_blocks' };
    }
  }
  return { blocks };
}

/** `text`: required unless there are blocks; beyond 40,000 characters Slack answers msg_too_long. */
export function checkText(text: unknown, hasBlocks: boolean): string | undefined {
  if (text === undefined || text === '') return hasBlocks ? undefined : 'no_text';
  if (typeof text !== 'string') return 'invalid_arguments';
  if (text.length > SLACK_LIMITS.text) return 'msg_too_long';
  return undefined;
}
