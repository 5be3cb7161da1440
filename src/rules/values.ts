import type { WhenValue } from './types.ts';

/**
 * The primitives the operators are made of: how a value read from the event is tested against
 * the argument written in the filter. Each returns a closure built once at compile time and run
 * per event, so they avoid allocation on the matching side.
 */

/** A test of the value read at one path (`undefined` when the path is missing). */
export type Test = (value: unknown) => boolean;

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

/** A copy of a checked literal, so a compiled filter never reads the config document again. */
export function copyValue(value: unknown): WhenValue {
  if (Array.isArray(value)) return value.map(copyValue);
  if (isMapping(value)) {
    const copy: Record<string, WhenValue> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = copyValue(item);
    return copy;
  }
  return value as WhenValue;
}

/** Equality with MongoDB's list rule: a list in the event matches if one element equals. */
export function equals(expected: WhenValue): Test {
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
export function oneOf(candidates: readonly WhenValue[]): Test {
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
export function onStrings(predicate: (text: string) => boolean): Test {
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
export function ordered(holds: (value: number | string) => boolean, bound: number | string): Test {
  const type = typeof bound;
  const test = (value: unknown): boolean => typeof value === type && holds(value as number | string);
  return (value) => {
    if (test(value)) return true;
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (test(value[i])) return true;
    return false;
  };
}

/** Substring of a string, or element of a list (by deep equality, never by substring). */
export function contains(needle: WhenValue): Test {
  if (typeof needle === 'string') {
    return (value) =>
      typeof value === 'string' ? value.includes(needle) : Array.isArray(value) && value.includes(needle);
  }
  if (needle === null || typeof needle !== 'object') return (value) => Array.isArray(value) && value.includes(needle);
  return (value) => Array.isArray(value) && someDeepEqual(value, needle);
}

export function negate(test: Test): Test {
  return (value) => !test(value);
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

export function allOf<T>(predicates: readonly ((input: T) => boolean)[]): (input: T) => boolean {
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

export function anyOf<T>(predicates: readonly ((input: T) => boolean)[]): (input: T) => boolean {
  const [first, second] = predicates;
  if (first === undefined) return () => false;
  if (second === undefined) return first;
  const count = predicates.length;
  return (input) => {
    for (let i = 0; i < count; i++) if (predicates[i]!(input)) return true;
    return false;
  };
}

/** What a value is, for error messages: `the string "x"`, `a list`, `a Date`. */
export function describe(value: unknown): string {
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
