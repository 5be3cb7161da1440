import type { FieldKind } from '../domain/event-fields.ts';
import { didYouMean } from '../util/suggest.ts';
import type { Path, Report } from './operators.ts';
import { describe } from './values.ts';

export { EVENT, type FieldKind } from '../domain/event-fields.ts';

export function describeKind(kind: FieldKind): string {
  if (kind === 'boolean') return 'is true or false';
  if (kind === 'labels') return 'is a list of labels';
  return 'is text';
}

/**
 * Catches values that can never match the known type of the field: a number against text
 * (YAML reads `CRM_ID: 12345` as a number, and metadata values are always strings), a quoted
 * "true" against a boolean, a misspelt chat type. `null` is always allowed (it means missing).
 */
export function checkOperand(
  kind: FieldKind,
  segments: readonly string[],
  value: unknown,
  path: Path,
  report: Report,
): void {
  if (value === null || value === undefined || kind === 'open') return;
  const name = `"${segments.join('.')}"`;
  const scalar = typeof value === 'number' || typeof value === 'boolean';
  const structured = typeof value === 'object';
  if (kind === 'text' || kind === 'labels' || (typeof kind === 'object' && 'oneOf' in kind)) {
    if (scalar) {
      report(path, `${name} holds text, never ${describe(value)}; quote it: "${String(value)}"`);
    } else if (structured && !(kind === 'labels' && Array.isArray(value))) {
      report(path, `${name} holds text, never ${describe(value)}`);
    } else if (typeof kind === 'object' && typeof value === 'string' && !kind.oneOf.includes(value)) {
      report(
        path,
        `${JSON.stringify(value)} is not a possible ${name}${didYouMean(value, kind.oneOf)}; expected one of ${kind.oneOf.join(', ')}`,
      );
    }
  } else if (kind === 'boolean') {
    if (value === 'true' || value === 'false') {
      report(path, `${name} is true or false, not text; write ${value} without quotes`);
    } else if (typeof value !== 'boolean') {
      report(path, `${name} is true or false, never ${describe(value)}`);
    }
  } else if (!structured) {
    // A field mapping (device, chat, contact, message, contact.metadata) against a scalar.
    const example = kind === 'metadata' ? `${segments.join('.')}.KEY` : `${segments.join('.')}.id`;
    report(path, `${name} is a mapping, never ${describe(value)}; compare one of its fields, e.g. "${example}"`);
  }
}
