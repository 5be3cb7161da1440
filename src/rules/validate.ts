import { z } from 'zod';
import { closest } from '../util/suggest.ts';
import { checkOperand, describeKind, EVENT, type FieldKind } from './event-fields.ts';
import {
  checkLiteral,
  DOCUMENT_OPERATOR_NAMES,
  FIELD_OPERATOR_NAMES,
  fieldOperator,
  isDocumentOperator,
  MAX_DEPTH,
  NOT_DOCUMENT_OPERATORS,
  NOT_FIELD_OPERATORS,
  type Path,
  type Report,
} from './operators.ts';
import type { WhenDocument } from './types.ts';
import { describe, isMapping } from './values.ts';

/**
 * Validation of a route's `when` filter as written in YAML. Every problem is reported (not only
 * the first), each with the path of the offending key inside the document, so the config loader
 * can point at its `file:line:col`. What each operator accepts is in the operator table
 * (`operators.ts`); this file walks the document and knows the event's fields, to say what a
 * user most likely meant when a filter cannot do what it says.
 */

/**
 * Zod schema of a `when` filter document. The output is the document itself (compile it with
 * `compileWhen`); issues are `custom` ones whose `path` is relative to the document, e.g.
 * `["message.body", "$regex"]`, and whose message says what was expected.
 */
export const WhenSchema = z.custom<WhenDocument>().superRefine((value, ctx) => {
  checkWhen(value, EVENT, (path, message) => {
    ctx.addIssue({ code: 'custom', path: [...path], message });
  });
});

/**
 * Reports every problem of a `when` document. With `root` the event's fields, paths and literals
 * are checked against them too; with `'open'`, only the language itself (what the compiler needs).
 */
export function checkWhen(document: unknown, root: FieldKind, report: Report): void {
  checkDocument(document, root, [], 0, true, report);
}

function checkDocument(
  document: unknown,
  root: FieldKind,
  path: Path,
  depth: number,
  allowEmpty: boolean,
  report: Report,
): void {
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
      if (!Array.isArray(condition) || condition.length === 0) {
        report(here, `${key} expects a non-empty list of filter documents, got ${describe(condition)}`);
      } else {
        condition.forEach((item: unknown, i) => checkDocument(item, root, [...here, i], depth + 1, false, report));
      }
    } else if (key === '$not') {
      checkDocument(condition, root, here, depth + 1, false, report);
    } else if (fieldOperator(key) !== undefined) {
      report(here, `operator "${key}" must be applied to a path, e.g. { "message.body": { "${key}": … } }`);
    } else if (Object.hasOwn(NOT_DOCUMENT_OPERATORS, key)) {
      report(here, NOT_DOCUMENT_OPERATORS[key]!);
    } else if (key.startsWith('$')) {
      report(here, unknownOperator(key, DOCUMENT_OPERATOR_NAMES));
    } else {
      checkPath(root, [], key, condition, here, depth, report);
    }
  }
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
      const operator = closest(`$${segment}`, FIELD_OPERATOR_NAMES);
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
    const operator = closest(`$${segment}`, DOCUMENT_OPERATOR_NAMES);
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
    const definition = fieldOperator(operator);
    if (definition !== undefined) {
      definition.check(argument, {
        operator,
        path: here,
        depth,
        report,
        operand: (value, at) => checkOperand(kind, segments, value, at, report),
        operators: (inner, at, innerDepth) => checkOperators(inner, kind, segments, at, innerDepth, report),
      });
    } else if (isDocumentOperator(operator)) {
      report(
        here,
        `${operator} combines filter documents and belongs at document level, e.g. ` +
          `{ ${operator}: [{ "${segments.join('.')}": … }, { … }] }; to match one of several values use $in`,
      );
    } else if (Object.hasOwn(NOT_FIELD_OPERATORS, operator)) {
      report(here, NOT_FIELD_OPERATORS[operator]!);
    } else {
      report(here, unknownOperator(operator, FIELD_OPERATOR_NAMES));
    }
  }
}

function unknownOperator(operator: string, known: readonly string[]): string {
  const hint = closest(operator, known);
  return hint === undefined
    ? `unknown operator "${operator}" (expected one of ${known.join(', ')})`
    : `unknown operator "${operator}" (did you mean "${hint}"?)`;
}

function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}
