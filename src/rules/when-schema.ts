import { z } from 'zod';
import type { EventChat, EventContact, EventDevice, EventMessage, RoutedEvent } from '../domain/event.ts';
import { closest, didYouMean } from '../util/suggest.ts';
import { DOCUMENT_OPERATORS, FIELD_OPERATORS, compileRegex, isMapping, type WhenDocument } from './compile.ts';

/**
 * Validation of a route's `when` filter as written in YAML. Every problem is reported (not only
 * the first), each with the path of the offending key inside the document, so the config loader
 * can point at its `file:line:col`. The semantics live in `compile.ts`; this file only decides
 * what a user most likely meant when a filter cannot do what it says.
 */

export type { WhenDocument };

/** What a path into the event can reach; used to catch typos and never-matching literals. */
type FieldKind =
  | 'text'
  | 'boolean'
  /** A list of strings (chat labels). */
  | 'labels'
  /** contact.metadata: any key, text values. */
  | 'metadata'
  /** Anything below is accepted unchecked (the raw `data`, quoted messages, media). */
  | 'open'
  | { readonly oneOf: readonly string[] }
  | { readonly fields: Readonly<Record<string, FieldKind>> };

/** One kind per field of T, so tsc fails here when event.ts gains or loses a field. */
type FieldsOf<T> = { readonly [K in keyof T]-?: FieldKind };

const DEVICE_FIELDS = { id: 'text', phone: 'text', alias: 'text' } as const satisfies FieldsOf<EventDevice>;

const CHAT_FIELDS = {
  id: 'text',
  type: { oneOf: ['user', 'group', 'channel'] },
  name: 'text',
  labels: 'labels',
} as const satisfies FieldsOf<EventChat>;

const CONTACT_FIELDS = {
  wid: 'text',
  phone: 'text',
  name: 'text',
  metadata: 'metadata',
} as const satisfies FieldsOf<EventContact>;

const MESSAGE_FIELDS = {
  id: 'text',
  type: 'text',
  body: 'text',
  fromMe: 'boolean',
  ack: 'text',
  from: 'text',
  to: 'text',
  author: 'text',
  // Open, not checked: Wassenger adds fields to quoted messages and media over time.
  quoted: 'open',
  media: 'open',
  reference: 'text',
} as const satisfies FieldsOf<EventMessage>;

const EVENT_FIELDS = {
  id: 'text',
  event: 'text',
  receivedAt: 'text',
  device: { fields: DEVICE_FIELDS },
  chat: { fields: CHAT_FIELDS },
  contact: { fields: CONTACT_FIELDS },
  message: { fields: MESSAGE_FIELDS },
  data: 'open',
} as const satisfies FieldsOf<RoutedEvent>;

const EVENT: FieldKind = { fields: EVENT_FIELDS };

/** Deeper than this is a YAML alias cycle or a mistake, never a filter someone wrote. */
const MAX_DEPTH = 32;

type Path = readonly PropertyKey[];
type Report = (path: Path, message: string) => void;

/**
 * Zod schema of a `when` filter document. The output is the document itself (compile it with
 * `compileWhen`); issues are `custom` ones whose `path` is relative to the document, e.g.
 * `["message.body", "$regex"]`, and whose message says what was expected.
 */
export const WhenSchema = z.custom<WhenDocument>().superRefine((value, ctx) => {
  checkDocument(value, [], 0, true, (path, message) => {
    ctx.addIssue({ code: 'custom', path: [...path], message });
  });
});

function checkDocument(document: unknown, path: Path, depth: number, allowEmpty: boolean, report: Report): void {
  if (depth > MAX_DEPTH) return report(path, 'filter nested too deeply');
  if (!isMapping(document)) {
    const hint = depth === 0 ? '; omit "when" or write {} to match every event' : '';
    return report(
      path,
      `expected a filter document (a mapping of paths to conditions), got ${describe(document)}${hint}`,
    );
  }
  const entries = Object.entries(document).filter(([, condition]) => condition !== undefined);
  if (entries.length === 0 && !allowEmpty) {
    return report(path, 'empty filter document: it matches every event; give at least one condition');
  }
  for (const [key, condition] of entries) {
    const here = [...path, key];
    if (key === '$and' || key === '$or') {
      checkDocumentList(key, condition, here, depth, report);
    } else if (key === '$not') {
      checkDocument(condition, here, depth + 1, false, report);
    } else if (isFieldOperator(key)) {
      report(here, `operator "${key}" must be applied to a path, e.g. { "message.body": { "${key}": … } }`);
    } else if (key === '$nor') {
      // Close to "$or" by spelling, the opposite by meaning: say so rather than suggest it.
      report(here, '$nor is not supported: write { $not: { $or: [ … ] } }');
    } else if (key.startsWith('$')) {
      report(here, unknownOperator(key, DOCUMENT_OPERATORS));
    } else {
      checkPath(EVENT, [], key, condition, here, depth, report);
    }
  }
}

function checkDocumentList(operator: string, list: unknown, path: Path, depth: number, report: Report): void {
  if (!Array.isArray(list) || list.length === 0) {
    return report(path, `${operator} expects a non-empty list of filter documents, got ${describe(list)}`);
  }
  list.forEach((item: unknown, index) => checkDocument(item, [...path, index], depth + 1, false, report));
}

/**
 * Checks `key: condition`, where `key` is a dotted path below `parentSegments` (whose kind is
 * `parent`). A mapping without `$` keys continues the path, as shorthand for dotted keys.
 */
function checkPath(
  parent: FieldKind,
  parentSegments: readonly string[],
  key: string,
  condition: unknown,
  path: Path,
  depth: number,
  report: Report,
): void {
  if (depth > MAX_DEPTH) return report(path, 'filter nested too deeply');
  const segments = key.split('.');
  const full = [...parentSegments, ...segments];
  if (segments.includes('')) return report(path, `path "${full.join('.')}" has an empty segment`);
  const kind = descend(parent, parentSegments, segments, path, report);

  if (!isMapping(condition)) {
    checkLiteral(condition, path, depth, report);
    return checkOperand(kind, full, condition, path, report);
  }
  const keys = Object.keys(condition);
  if (keys.length === 0) {
    return report(path, `empty mapping under "${full.join('.')}": give a value, operators, or { $exists: true }`);
  }
  const operators = keys.filter((k) => k.startsWith('$'));
  if (operators.length === keys.length) return checkOperators(condition, kind, full, path, depth, report);
  if (operators.length > 0) {
    const fields = keys.filter((k) => !k.startsWith('$'));
    return report(
      path,
      `a mapping holds either operators or fields, not both: found ${quoteList(operators)} with ${quoteList(fields)}`,
    );
  }
  for (const [child, value] of Object.entries(condition)) {
    if (value !== undefined) checkPath(kind, full, child, value, [...path, child], depth + 1, report);
  }
}

/**
 * The kind reached by following `segments` from `parent`. An unknown name is reported once,
 * with the nearest valid path, and what lies below it is then left unchecked ('open').
 */
function descend(
  parent: FieldKind,
  before: readonly string[],
  segments: readonly string[],
  path: Path,
  report: Report,
): FieldKind {
  let kind = parent;
  const walked = [...before];
  for (const [index, segment] of segments.entries()) {
    if (kind === 'open') return kind;
    if (kind === 'metadata') {
      kind = 'text';
    } else if (typeof kind === 'object' && 'fields' in kind) {
      const next = Object.hasOwn(kind.fields, segment) ? kind.fields[segment] : undefined;
      if (next === undefined) {
        report(path, unknownField(kind.fields, walked, segment, segments.slice(index + 1)));
        return 'open';
      }
      kind = next;
    } else if (kind === 'labels' && /^(0|[1-9]\d*)$/.test(segment)) {
      kind = 'text';
    } else {
      const operator = closest(`$${segment}`, FIELD_OPERATORS);
      const hint = operator === undefined ? '' : ` (did you mean "${operator}"?)`;
      report(path, `"${walked.join('.')}" ${describeKind(kind)} and has no field "${segment}"${hint}`);
      return 'open';
    }
    walked.push(segment);
  }
  return kind;
}

function unknownField(
  fields: Readonly<Record<string, FieldKind>>,
  walked: readonly string[],
  segment: string,
  rest: readonly string[],
): string {
  const full = [...walked, segment, ...rest].join('.');
  const names = Object.keys(fields);
  const nearest = closest(segment, names);
  if (nearest !== undefined) {
    return `unknown field "${full}" (did you mean "${[...walked, nearest, ...rest].join('.')}"?)`;
  }
  // `or: [...]` instead of `$or: [...]`.
  if (walked.length === 0 && rest.length === 0) {
    const operator = closest(`$${segment}`, DOCUMENT_OPERATORS);
    if (operator !== undefined) return `unknown field "${full}" (did you mean "${operator}"?)`;
  }
  const where = walked.length === 0 ? 'the event' : `"${walked.join('.')}"`;
  return `unknown field "${full}": ${where} has ${names.join(', ')}`;
}

function checkOperators(
  operators: Readonly<Record<string, unknown>>,
  kind: FieldKind,
  segments: readonly string[],
  path: Path,
  depth: number,
  report: Report,
): void {
  for (const [operator, argument] of Object.entries(operators)) {
    if (argument === undefined) continue;
    const here = [...path, operator];
    switch (operator) {
      case '$eq':
      case '$ne':
      case '$contains':
        checkLiteral(argument, here, depth, report);
        checkOperand(kind, segments, argument, here, report);
        break;
      case '$in':
      case '$nin':
        if (!Array.isArray(argument)) {
          report(here, `${operator} expects a list of values, e.g. [a, b], got ${describe(argument)}`);
          break;
        }
        argument.forEach((item: unknown, index) => {
          checkLiteral(item, [...here, index], depth + 1, report);
          checkOperand(kind, segments, item, [...here, index], report);
        });
        break;
      case '$exists':
        if (typeof argument !== 'boolean') report(here, `$exists expects true or false, got ${describe(argument)}`);
        break;
      case '$regex':
        checkRegex(argument, here, report);
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof argument === 'string' || (typeof argument === 'number' && !Number.isNaN(argument))) {
          checkOperand(kind, segments, argument, here, report);
        } else {
          report(here, `${operator} expects a number or a string (such as an ISO date), got ${describe(argument)}`);
        }
        break;
      case '$startsWith':
        if (typeof argument === 'string') checkOperand(kind, segments, argument, here, report);
        else report(here, `$startsWith expects a string, got ${describe(argument)}`);
        break;
      case '$not':
        if (
          isMapping(argument) &&
          Object.keys(argument).length > 0 &&
          Object.keys(argument).every((k) => k.startsWith('$'))
        ) {
          checkOperators(argument, kind, segments, here, depth + 1, report);
        } else {
          report(
            here,
            `under a path, $not expects operators such as { $regex: "…" } (for "not equal" use $ne), got ${describe(argument)}`,
          );
        }
        break;
      case '$and':
      case '$or':
        report(
          here,
          `${operator} combines filter documents and belongs at document level, e.g. ` +
            `{ ${operator}: [{ "${segments.join('.')}": … }, { … }] }; to match one of several values use $in`,
        );
        break;
      case '$options':
        report(here, '$options is not supported: start the $regex with inline flags instead, e.g. "(?i)refund"');
        break;
      default:
        report(here, unknownOperator(operator, FIELD_OPERATORS));
    }
  }
}

function checkRegex(pattern: unknown, path: Path, report: Report): void {
  if (typeof pattern !== 'string') return report(path, `$regex expects a pattern (a string), got ${describe(pattern)}`);
  try {
    compileRegex(pattern);
  } catch (error) {
    report(path, `invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

/** Literals are what YAML can write: strings, numbers, booleans, null, lists and mappings. */
function checkLiteral(value: unknown, path: Path, depth: number, report: Report): void {
  if (depth > MAX_DEPTH) return report(path, 'value nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) report(path, 'NaN never equals anything');
    return;
  }
  if (Array.isArray(value)) {
    return value.forEach((item: unknown, index) => checkLiteral(item, [...path, index], depth + 1, report));
  }
  if (isMapping(value)) {
    for (const [key, item] of Object.entries(value)) checkLiteral(item, [...path, key], depth + 1, report);
    return;
  }
  report(path, `expected a string, number, true/false, null, list or mapping, got ${describe(value)}`);
}

/**
 * Catches values that can never match the known type of the field: a number against text
 * (YAML reads `CRM_ID: 12345` as a number, and metadata values are always strings), a quoted
 * "true" against a boolean, a misspelt chat type. `null` is always allowed (it means missing).
 */
function checkOperand(kind: FieldKind, segments: readonly string[], value: unknown, path: Path, report: Report): void {
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

function unknownOperator(operator: string, known: readonly string[]): string {
  const hint = closest(operator, known);
  return hint === undefined
    ? `unknown operator "${operator}" (expected one of ${known.join(', ')})`
    : `unknown operator "${operator}" (did you mean "${hint}"?)`;
}

function isFieldOperator(key: string): boolean {
  return (FIELD_OPERATORS as readonly string[]).includes(key) && key !== '$not';
}

function describeKind(kind: FieldKind): string {
  if (kind === 'boolean') return 'is true or false';
  if (kind === 'labels') return 'is a list of labels';
  return 'is text';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`;
  // A Date from a YAML 1.1 timestamp, a Map, a function: name what it is.
  if (typeof value === 'object') return `a ${Object.prototype.toString.call(value).slice(8, -1)}`;
  return `a ${typeof value}`;
}

function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}
