import type { RoutedEvent } from '../domain/event.ts';

/**
 * The `when` filter of a route, compiled once into a predicate over the normalized event.
 *
 * Semantics (MongoDB / Hookdeck style):
 * - A document is an AND of its entries. A key is a dotted path into the event, or `$and`,
 *   `$or`, `$not`. A mapping without `$` keys is shorthand for dotted paths:
 *   `device: { id: x }` is `device.id: x`.
 * - A literal means "equals" (deep equality for lists and mappings); when the event holds a list,
 *   it also matches if one element equals the literal. `null` matches null or a missing path.
 * - An operator mapping applies each of its operators (ANDed) to the value at the path. When the
 *   event holds a list, `$regex`, `$startsWith` and the comparisons match if one element does;
 *   `$ne` and `$nin` are the negations of `$eq` and `$in`, so they mean "no element equals".
 * - A missing path reads as `undefined`: only `$exists: false`, `$ne`, `$nin` and `$not` (of an
 *   operator that does not match) match it, besides `null` and `$in` lists that contain `null`.
 * - Lookups read own properties only, so `__proto__`, `constructor` and the like never resolve
 *   to anything the event did not carry itself.
 */

/** A value as written in the YAML config: what literals and operator arguments can hold. */
export type WhenValue = string | number | boolean | null | readonly WhenValue[] | { readonly [key: string]: WhenValue };

/** Operators that test the value at one path; several in one mapping are ANDed. */
export interface WhenOperators {
  readonly $eq?: WhenValue;
  readonly $ne?: WhenValue;
  readonly $in?: readonly WhenValue[];
  readonly $nin?: readonly WhenValue[];
  readonly $exists?: boolean;
  /** A JavaScript pattern; a leading inline flag group such as `(?i)` or `(?is)` sets its flags. */
  readonly $regex?: string;
  readonly $gt?: number | string;
  readonly $gte?: number | string;
  readonly $lt?: number | string;
  readonly $lte?: number | string;
  /** Substring of a string, or element of a list. */
  readonly $contains?: WhenValue;
  readonly $startsWith?: string;
  readonly $not?: WhenOperators;
}

/** What a path maps to: a literal, an operator mapping, or a mapping of sub-paths. */
export type WhenCondition = WhenValue | WhenOperators;

/** A `when` filter document: dotted paths to conditions, plus `$and`, `$or` and `$not`. */
export interface WhenDocument {
  readonly $and?: readonly WhenDocument[];
  readonly $or?: readonly WhenDocument[];
  readonly $not?: WhenDocument;
  readonly [path: string]: WhenCondition | readonly WhenDocument[] | WhenDocument | undefined;
}

/** Operators allowed under a path (`$not` there takes an operator mapping). */
export const FIELD_OPERATORS = [
  '$eq',
  '$ne',
  '$in',
  '$nin',
  '$exists',
  '$regex',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$contains',
  '$startsWith',
  '$not',
] as const;

/** Operators allowed as keys of a filter document (`$not` there takes a filter document). */
export const DOCUMENT_OPERATORS = ['$and', '$or', '$not'] as const;

/** A plain mapping, as YAML and JSON produce (not a list, not a class instance). */
export function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The flags JavaScript accepts from a leading inline group; `g`/`y` are stateful, so never. */
const INLINE_FLAGS = new Set(['i', 'm', 's']);
const INLINE_GROUP = /^\(\?([A-Za-z-]+)\)/;

/**
 * The RegExp for a `$regex` pattern. Patterns are written for PCRE/RE2-style routers (DESIGN's
 * example is `(?i)refund|urgent`), which JavaScript rejects, so a leading `(?flags)` group
 * becomes JS flags. Throws an Error whose message is the reason the pattern is invalid.
 */
export function compileRegex(pattern: string): RegExp {
  let source = pattern;
  let flags = '';
  const group = INLINE_GROUP.exec(pattern);
  if (group !== null) {
    const letters = group[1] ?? '';
    for (const letter of letters) {
      if (!INLINE_FLAGS.has(letter)) {
        throw new Error(`unsupported inline flag "${letter}" in "${group[0]}" (supported: i, m, s)`);
      }
      if (!flags.includes(letter)) flags += letter;
    }
    source = pattern.slice(group[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    // V8 says "Invalid regular expression: /(/: Unterminated group"; keep only the reason.
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''));
  }
}

/** Compiles a `when` document into a predicate; an absent or empty document matches every event. */
export function compileWhen(when: WhenDocument | undefined): (event: RoutedEvent) => boolean {
  if (when === undefined) return matchAll;
  return compileDocument(when, ['when']);
}

type Match = (root: unknown) => boolean;
type Test = (value: unknown) => boolean;
type ErrorPath = readonly (string | number)[];

const matchAll: Match = () => true;

function fail(path: ErrorPath, reason: string): never {
  throw new TypeError(`invalid when filter at ${path.join('.')}: ${reason}`);
}

function compileDocument(document: unknown, path: ErrorPath): Match {
  if (!isMapping(document)) fail(path, 'expected a filter document (a mapping)');
  const conjuncts: Match[] = [];
  for (const [key, condition] of Object.entries(document)) {
    if (condition === undefined) continue;
    const here = [...path, key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition) || condition.length === 0)
        fail(here, 'expected a non-empty list of filter documents');
      const parts = condition.map((item: unknown, index) => compileDocument(item, [...here, index]));
      conjuncts.push(key === '$and' ? allOf(parts) : anyOf(parts));
    } else if (key === '$not') {
      const inner = compileDocument(condition, here);
      conjuncts.push((root) => !inner(root));
    } else if (key.startsWith('$')) {
      fail(here, `unknown operator "${key}"`);
    } else {
      compileCondition([], key, condition, here, conjuncts);
    }
  }
  return allOf(conjuncts);
}

/** Adds to `out` the matchers of `key: condition`; nested field mappings flatten into dotted paths. */
function compileCondition(
  prefix: readonly string[],
  key: string,
  condition: unknown,
  path: ErrorPath,
  out: Match[],
): void {
  const segments = [...prefix, ...key.split('.')];
  if (segments.includes('')) fail(path, `path "${segments.join('.')}" has an empty segment`);
  if (isMapping(condition)) {
    const keys = Object.keys(condition);
    if (keys.length === 0) fail(path, 'empty mapping');
    const operators = keys.filter((k) => k.startsWith('$')).length;
    if (operators === keys.length) {
      const test = compileOperators(condition, path);
      out.push(atPath(segments, test));
      return;
    }
    if (operators > 0) fail(path, 'a mapping holds either operators or fields, not both');
    for (const [child, value] of Object.entries(condition)) {
      if (value !== undefined) compileCondition(segments, child, value, [...path, child], out);
    }
    return;
  }
  out.push(atPath(segments, equals(literal(condition, path))));
}

/** Reads the value at `segments` (own properties only) and tests it; allocation-free. */
function atPath(segments: readonly string[], test: Test): Match {
  const length = segments.length;
  return (root) => {
    let value = root;
    for (let i = 0; i < length; i++) {
      if (value === null || typeof value !== 'object') return test(undefined);
      const segment = segments[i]!;
      if (!Object.hasOwn(value, segment)) return test(undefined);
      value = (value as Record<string, unknown>)[segment];
    }
    return test(value);
  };
}

function compileOperators(operators: Readonly<Record<string, unknown>>, path: ErrorPath): Test {
  const tests: Test[] = [];
  for (const [operator, argument] of Object.entries(operators)) {
    if (argument === undefined) continue;
    const here = [...path, operator];
    switch (operator) {
      case '$eq':
        tests.push(equals(literal(argument, here)));
        break;
      case '$ne': {
        const test = equals(literal(argument, here));
        tests.push((value) => !test(value));
        break;
      }
      case '$in':
        tests.push(oneOf(list(argument, here)));
        break;
      case '$nin': {
        const test = oneOf(list(argument, here));
        tests.push((value) => !test(value));
        break;
      }
      case '$exists':
        if (typeof argument !== 'boolean') fail(here, 'expected true or false');
        tests.push(argument ? (value) => value !== undefined : (value) => value === undefined);
        break;
      case '$regex': {
        if (typeof argument !== 'string') fail(here, 'expected a pattern (a string)');
        let regex: RegExp;
        try {
          regex = compileRegex(argument);
        } catch (error) {
          fail(here, `invalid regular expression: ${(error as Error).message}`);
        }
        tests.push(onStrings((text) => regex.test(text)));
        break;
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        tests.push(comparison(operator, argument, here));
        break;
      case '$contains':
        tests.push(contains(literal(argument, here)));
        break;
      case '$startsWith': {
        if (typeof argument !== 'string') fail(here, 'expected a string');
        tests.push(onStrings((text) => text.startsWith(argument)));
        break;
      }
      case '$not': {
        if (
          !isMapping(argument) ||
          Object.keys(argument).length === 0 ||
          !Object.keys(argument).every((k) => k.startsWith('$'))
        ) {
          fail(here, 'expected an operator mapping');
        }
        const test = compileOperators(argument, here);
        tests.push((value) => !test(value));
        break;
      }
      default:
        fail(here, `unknown operator "${operator}"`);
    }
  }
  return allOf(tests);
}

function literal(value: unknown, path: ErrorPath): WhenValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown, index) => literal(item, [...path, index]));
  if (isMapping(value)) {
    const copy: Record<string, WhenValue> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = literal(item, [...path, key]);
    return copy;
  }
  return fail(path, 'expected a string, number, boolean, null, list or mapping');
}

function list(value: unknown, path: ErrorPath): readonly WhenValue[] {
  if (!Array.isArray(value)) fail(path, 'expected a list');
  return value.map((item: unknown, index) => literal(item, [...path, index]));
}

/** Equality with MongoDB's list rule: a list in the event matches if one element equals. */
function equals(expected: WhenValue): Test {
  if (expected === null) return isNullish;
  if (typeof expected !== 'object') {
    // The common case (`event: message:in:new`): a strict compare, no coercion.
    return (value) => value === expected || (Array.isArray(value) && value.includes(expected));
  }
  return (value) => deepEqual(value, expected) || (Array.isArray(value) && someDeepEqual(value, expected));
}

function isNullish(value: unknown): boolean {
  return value === null || value === undefined || (Array.isArray(value) && value.includes(null));
}

/** `$in`: scalars go in a Set so long lists cost one lookup per value. */
function oneOf(candidates: readonly WhenValue[]): Test {
  const scalars = new Set<unknown>();
  const structured: WhenValue[] = [];
  let withNull = false;
  for (const candidate of candidates) {
    if (candidate === null) withNull = true;
    else if (typeof candidate === 'object') structured.push(candidate);
    else scalars.add(candidate);
  }
  const matchesOne = (value: unknown): boolean => {
    if (value === null || value === undefined) return withNull;
    if (typeof value !== 'object') return scalars.has(value);
    for (let i = 0; i < structured.length; i++) if (deepEqual(value, structured[i])) return true;
    return false;
  };
  return (value) => {
    if (matchesOne(value)) return true;
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (matchesOne(value[i])) return true;
    return false;
  };
}

/** Applies a string predicate to a string, or to each string element of a list; else false. */
function onStrings(predicate: (text: string) => boolean): Test {
  return (value) => {
    if (typeof value === 'string') return predicate(value);
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (typeof element === 'string' && predicate(element)) return true;
    }
    return false;
  };
}

/** Orders only values of the bound's own type (numbers, or strings such as ISO dates). */
function comparison(operator: '$gt' | '$gte' | '$lt' | '$lte', bound: unknown, path: ErrorPath): Test {
  if (!(typeof bound === 'string' || (typeof bound === 'number' && !Number.isNaN(bound)))) {
    fail(path, 'expected a number or a string');
  }
  const type = typeof bound;
  const holds =
    operator === '$gt'
      ? (value: number | string) => value > bound
      : operator === '$gte'
        ? (value: number | string) => value >= bound
        : operator === '$lt'
          ? (value: number | string) => value < bound
          : (value: number | string) => value <= bound;
  const test = (value: unknown): boolean => typeof value === type && holds(value as number | string);
  return (value) => {
    if (test(value)) return true;
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (test(value[i])) return true;
    return false;
  };
}

/** Substring of a string, or element of a list (by deep equality, never by substring). */
function contains(needle: WhenValue): Test {
  if (typeof needle === 'string') {
    return (value) =>
      typeof value === 'string' ? value.includes(needle) : Array.isArray(value) && value.includes(needle);
  }
  if (needle === null || typeof needle !== 'object') return (value) => Array.isArray(value) && value.includes(needle);
  return (value) => Array.isArray(value) && someDeepEqual(value, needle);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function someDeepEqual(values: readonly unknown[], expected: unknown): boolean {
  for (let i = 0; i < values.length; i++) if (deepEqual(values[i], expected)) return true;
  return false;
}

function allOf<T>(predicates: readonly ((input: T) => boolean)[]): (input: T) => boolean {
  const [first, second] = predicates;
  if (first === undefined) return () => true;
  if (second === undefined) return first;
  if (predicates.length === 2) return (input) => first(input) && second(input);
  const count = predicates.length;
  return (input) => {
    for (let i = 0; i < count; i++) if (!predicates[i]!(input)) return false;
    return true;
  };
}

function anyOf<T>(predicates: readonly ((input: T) => boolean)[]): (input: T) => boolean {
  const [first, second] = predicates;
  if (first === undefined) return () => false;
  if (second === undefined) return first;
  const count = predicates.length;
  return (input) => {
    for (let i = 0; i < count; i++) if (predicates[i]!(input)) return true;
    return false;
  };
}
