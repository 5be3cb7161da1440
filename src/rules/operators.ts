import type { WhenValue } from './types.ts';
import {
  compileRegex,
  contains,
  copyValue,
  describe,
  equals,
  isMapping,
  negate,
  onStrings,
  oneOf,
  ordered,
  type Test,
} from './values.ts';

/**
 * The `when` language, defined once. Each operator is one entry: what it means (the JSON Schema
 * descriptions and the generated reference come from here), what its argument must be (the
 * validator reports these messages), how it tests a value (the compiler builds these closures)
 * and how a failure reads (the preview's explanation). Nothing else lists the operators.
 */

export type JsonSchema = Readonly<Record<string, unknown>>;
export type Path = readonly PropertyKey[];
export type Report = (path: Path, message: string) => void;

/** Deeper than this is a YAML alias cycle or a mistake, never a filter someone wrote. */
export const MAX_DEPTH = 32;

/** Where an operator's argument is checked, and what the check may ask of the validator. */
export interface ArgumentContext {
  readonly operator: string;
  /** Path of the operator key inside the `when` document. */
  readonly path: Path;
  readonly depth: number;
  readonly report: Report;
  /** Reports a value that can never match the field the operator applies to. */
  readonly operand: (value: unknown, path: Path) => void;
  /** Checks a nested operator mapping (the argument of `$not` under a path). */
  readonly operators: (operators: Readonly<Record<string, unknown>>, path: Path, depth: number) => void;
}

/** An operator applied to the value at a path. */
export interface FieldOperator {
  /** One line: the JSON Schema description, the first words of the reference. */
  readonly summary: string;
  /** The rest of the reference: lists in the event, missing paths, types. */
  readonly details: string;
  /** What the argument is, in words. */
  readonly argument: string;
  /** JSON Schema of the argument. */
  readonly schema: JsonSchema;
  /** A condition using it, as written in YAML. */
  readonly example: string;
  /** How a failed test reads: `"hi" does not match $regex "refund"`. */
  readonly failure: string;
  /** Reports what is wrong with the argument, in words a config author understands. */
  readonly check: (argument: unknown, context: ArgumentContext) => void;
  /** The test, from an argument `check` accepted; `nested` compiles an operator mapping. */
  readonly compile: (argument: unknown, nested: (operators: Readonly<Record<string, unknown>>) => Test) => Test;
}

/** An operator combining filter documents. */
export interface DocumentOperator {
  readonly summary: string;
  readonly argument: string;
  readonly schema: JsonSchema;
  readonly example: string;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });
const ORDERED: JsonSchema = { type: ['number', 'string'] };
const ON_LISTS = 'Against a list in the event, matches when one element does.';

/** Literals are what YAML can write: strings, numbers, booleans, null, lists and mappings. */
export function checkLiteral(value: unknown, path: Path, depth: number, report: Report): void {
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

function value(argument: unknown, { path, depth, report, operand }: ArgumentContext): void {
  checkLiteral(argument, path, depth, report);
  operand(argument, path);
}

function values(argument: unknown, { operator, path, depth, report, operand }: ArgumentContext): void {
  if (!Array.isArray(argument)) {
    return report(path, `${operator} expects a list of values, e.g. [a, b], got ${describe(argument)}`);
  }
  argument.forEach((item: unknown, index) => {
    checkLiteral(item, [...path, index], depth + 1, report);
    operand(item, [...path, index]);
  });
}

function bound(argument: unknown, { operator, path, report, operand }: ArgumentContext): void {
  if (typeof argument === 'string' || (typeof argument === 'number' && !Number.isNaN(argument))) {
    operand(argument, path);
  } else {
    report(path, `${operator} expects a number or a string (such as an ISO date), got ${describe(argument)}`);
  }
}

/** True for `{ $op: … }` mappings holding operators only (what `$not` under a path takes). */
export function isOperatorMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  if (!isMapping(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => key.startsWith('$'));
}

/** Field operators, in the order the reference and the error messages list them. */
export const FIELD_OPERATORS = {
  $eq: {
    summary: 'equals',
    details: `Deep equality for lists and mappings; no coercion between numbers and text. ${ON_LISTS} \`null\` also matches a missing path.`,
    argument: 'a value',
    schema: ref('when.literal'),
    example: 'chat.type: { $eq: group }',
    failure: 'does not equal',
    check: value,
    compile: (argument) => equals(copyValue(argument)),
  },
  $ne: {
    summary: 'differs from (or is missing)',
    details: 'The negation of `$eq`: against a list in the event, no element equals. A missing path matches.',
    argument: 'a value',
    schema: ref('when.literal'),
    example: 'message.ack: { $ne: read }',
    failure: 'is excluded by',
    check: value,
    compile: (argument) => negate(equals(copyValue(argument))),
  },
  $in: {
    summary: 'equals one of',
    details: `${ON_LISTS} A missing path matches only if the list holds \`null\`; an empty list never matches.`,
    argument: 'a list of values',
    schema: { type: 'array', items: ref('when.literal') },
    example: 'event: { $in: [message:in:new, message:out:new] }',
    failure: 'is not in',
    check: values,
    compile: (argument) => oneOf(copyValue(argument) as readonly WhenValue[]),
  },
  $nin: {
    summary: 'equals none of',
    details: 'The negation of `$in`: against a list in the event, no element is listed. A missing path matches.',
    argument: 'a list of values',
    schema: { type: 'array', items: ref('when.literal') },
    example: 'chat.labels: { $nin: [spam, blocked] }',
    failure: 'is excluded by',
    check: values,
    compile: (argument) => negate(oneOf(copyValue(argument) as readonly WhenValue[])),
  },
  $exists: {
    summary: 'is present (true) or missing (false)',
    details: 'A path holding `null` exists; a path below text or a missing mapping does not.',
    argument: 'true or false',
    schema: { type: 'boolean' },
    example: 'message.quoted: { $exists: true }',
    failure: 'fails',
    check: (argument, { path, report }) => {
      if (typeof argument !== 'boolean') report(path, `$exists expects true or false, got ${describe(argument)}`);
    },
    compile: (argument) => (argument === true ? (found) => found !== undefined : (found) => found === undefined),
  },
  $regex: {
    summary: 'matches a regular expression (leading (?i), (?m), (?s) flags allowed)',
    details: `A JavaScript pattern, case-sensitive unless it starts with \`(?i)\`. Matches text only. ${ON_LISTS}`,
    argument: 'a pattern (a string)',
    schema: { type: 'string' },
    example: 'message.body: { $regex: "(?i)refund|urgent" }',
    failure: 'does not match',
    check: (pattern, { path, report }) => {
      if (typeof pattern !== 'string') {
        return report(path, `$regex expects a pattern (a string), got ${describe(pattern)}`);
      }
      try {
        compileRegex(pattern);
      } catch (error) {
        report(path, `invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
      }
    },
    compile: (pattern) => {
      const regex = compileRegex(pattern as string);
      return onStrings((text) => regex.test(text));
    },
  },
  $gt: {
    summary: 'greater than',
    details: `Compares numbers with numbers and text with text (ISO dates order as text), never across. ${ON_LISTS}`,
    argument: 'a number or a string',
    schema: ORDERED,
    example: 'message.media.size: { $gt: 1000000 }',
    failure: 'is not',
    check: bound,
    compile: (limit) => ordered((found) => found > (limit as number | string), limit as number | string),
  },
  $gte: {
    summary: 'greater than or equal to',
    details: 'As `$gt`.',
    argument: 'a number or a string',
    schema: ORDERED,
    example: 'receivedAt: { $gte: "2024-05-01" }',
    failure: 'is not',
    check: bound,
    compile: (limit) => ordered((found) => found >= (limit as number | string), limit as number | string),
  },
  $lt: {
    summary: 'less than',
    details: 'As `$gt`.',
    argument: 'a number or a string',
    schema: ORDERED,
    example: 'data.timestamp: { $lt: 1714600000 }',
    failure: 'is not',
    check: bound,
    compile: (limit) => ordered((found) => found < (limit as number | string), limit as number | string),
  },
  $lte: {
    summary: 'less than or equal to',
    details: 'As `$gt`.',
    argument: 'a number or a string',
    schema: ORDERED,
    example: 'receivedAt: { $lte: "2024-12-31T23:59:59Z" }',
    failure: 'is not',
    check: bound,
    compile: (limit) => ordered((found) => found <= (limit as number | string), limit as number | string),
  },
  $contains: {
    summary: 'text contains, or list holds',
    details: 'Text: a substring. A list: an element equal to the value (never a substring of an element).',
    argument: 'a value',
    schema: ref('when.literal'),
    example: 'chat.labels: { $contains: vip }',
    failure: 'does not satisfy',
    check: value,
    compile: (argument) => contains(copyValue(argument)),
  },
  $startsWith: {
    summary: 'text starts with',
    details: `Matches text only. ${ON_LISTS}`,
    argument: 'a string',
    schema: { type: 'string' },
    example: 'contact.phone: { $startsWith: "+34" }',
    failure: 'does not satisfy',
    check: (prefix, { path, report, operand }) => {
      if (typeof prefix === 'string') operand(prefix, path);
      else report(path, `$startsWith expects a string, got ${describe(prefix)}`);
    },
    compile: (prefix) => onStrings((text) => text.startsWith(prefix as string)),
  },
  $not: {
    summary: 'none of these operators holds',
    details: 'Negates an operator mapping; a missing path matches unless the inner test matches a missing path.',
    argument: 'a mapping of operators',
    schema: ref('when.operators'),
    example: 'message.body: { $not: { $regex: "(?i)unsubscribe" } }',
    failure: 'is excluded by',
    check: (argument, { path, depth, report, operators }) => {
      if (isOperatorMapping(argument)) return operators(argument, path, depth + 1);
      report(
        path,
        `under a path, $not expects operators such as { $regex: "…" } (for "not equal" use $ne), got ${describe(argument)}`,
      );
    },
    compile: (argument, nested) => negate(nested(argument as Readonly<Record<string, unknown>>)),
  },
} as const satisfies Record<string, FieldOperator>;

/** Operators allowed as keys of a filter document (`$not` there takes a filter document). */
export const DOCUMENT_OPERATORS = {
  $and: {
    summary: 'Every document matches.',
    argument: 'a non-empty list of filter documents',
    schema: { type: 'array', minItems: 1, items: ref('when') },
    example: '$and: [{ chat.type: group }, { message.type: image }]',
  },
  $or: {
    summary: 'At least one document matches.',
    argument: 'a non-empty list of filter documents',
    schema: { type: 'array', minItems: 1, items: ref('when') },
    example: '$or: [{ chat.labels: vip }, { contact.metadata.TIER: gold }]',
  },
  $not: {
    summary: 'The document does not match.',
    argument: 'a filter document',
    schema: ref('when'),
    example: '$not: { event: message:out:ack }',
  },
} as const satisfies Record<string, DocumentOperator>;

export type FieldOperatorName = keyof typeof FIELD_OPERATORS;
export type DocumentOperatorName = keyof typeof DOCUMENT_OPERATORS;

export const FIELD_OPERATOR_NAMES = Object.keys(FIELD_OPERATORS) as readonly FieldOperatorName[];
export const DOCUMENT_OPERATOR_NAMES = Object.keys(DOCUMENT_OPERATORS) as readonly DocumentOperatorName[];

/** Document-level keys other filter languages have and this one does not, with what to write. */
export const NOT_DOCUMENT_OPERATORS: Readonly<Record<string, string>> = {
  // Close to "$or" by spelling, the opposite by meaning: say so rather than suggest it.
  $nor: '$nor is not supported: write { $not: { $or: [ … ] } }',
};

/** Keys under a path other filter languages have and this one does not, with what to write. */
export const NOT_FIELD_OPERATORS: Readonly<Record<string, string>> = {
  $options: '$options is not supported: start the $regex with inline flags instead, e.g. "(?i)refund"',
};

export function fieldOperator(name: string): FieldOperator | undefined {
  return Object.hasOwn(FIELD_OPERATORS, name) ? FIELD_OPERATORS[name as FieldOperatorName] : undefined;
}

export function isDocumentOperator(name: string): name is DocumentOperatorName {
  return Object.hasOwn(DOCUMENT_OPERATORS, name);
}
