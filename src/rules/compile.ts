import type { RoutedEvent } from '../domain/event.ts';
import { type FieldOperatorName, fieldOperator, isOperatorMapping } from './operators.ts';
import type { WhenDocument, WhenValue } from './types.ts';
import { checkWhen } from './validate.ts';
import { allOf, anyOf, copyValue, equals, isMapping, type Test } from './values.ts';

/**
 * The `when` filter of a route, compiled once into a predicate over the normalized event.
 *
 * Semantics (MongoDB / Hookdeck style):
 * - A document is an AND of its entries. A key is a dotted path into the event, or `$and`,
 *   `$or`, `$not`. A mapping without `$` keys is shorthand for dotted paths:
 *   `device: { id: x }` is `device.id: x`.
 * - A literal means "equals" (deep equality for lists and mappings); when the event holds a list,
 *   it also matches if one element equals the literal. `null` matches null or a missing path.
 * - An operator mapping applies each of its operators (ANDed) to the value at the path; what
 *   each operator does is in the operator table (`operators.ts`).
 * - A missing path reads as `undefined`.
 * - Lookups read own properties only, so `__proto__`, `constructor` and the like never resolve
 *   to anything the event did not carry itself.
 *
 * The document is first turned into a plan (kept for `explainWhen`), then the plan into nested
 * closures: the predicate does no interpretation per event.
 */

export type WhenPredicate = (event: RoutedEvent) => boolean;

/** One test of the value at a path, with what was written, for the explanation. */
export interface PlannedTest {
  readonly operator: FieldOperatorName;
  /** True for the literal shorthand (`chat.type: group`), written without `$eq`. */
  readonly shorthand: boolean;
  readonly expected: WhenValue;
  readonly test: Test;
}

/** A compiled `when` document, before it becomes closures. */
export type Plan =
  | { readonly kind: 'all'; readonly parts: readonly Plan[] }
  | { readonly kind: 'any'; readonly parts: readonly Plan[] }
  | { readonly kind: 'not'; readonly part: Plan; readonly expected: WhenValue }
  | {
      readonly kind: 'path';
      readonly path: string;
      readonly segments: readonly string[];
      readonly tests: readonly PlannedTest[];
    };

type Match = (root: unknown) => boolean;

/**
 * Where a predicate keeps its plan: a symbol-keyed property of the function itself. A WeakMap
 * would do, but its entries cost the garbage collector more than compiling the filter does.
 */
const PLAN = Symbol('when plan');
type Planned = WhenPredicate & { readonly [PLAN]?: Plan };

function withPlan(match: WhenPredicate, plan: Plan): WhenPredicate {
  Object.defineProperty(match, PLAN, { value: plan });
  return match;
}

const matchAll = withPlan(() => true, { kind: 'all', parts: [] });

/**
 * Compiles a `when` document into a predicate; an absent or empty document matches every event.
 * Throws a TypeError naming the first problem (the config loader reports them all before this).
 */
export function compileWhen(when: WhenDocument | undefined): WhenPredicate {
  if (when === undefined) return matchAll;
  checkWhen(when, 'open', (path, reason) => {
    throw new TypeError(`invalid when filter at ${['when', ...path].map(String).join('.')}: ${reason}`);
  });
  const plan = planDocument(when);
  return withPlan(toMatch(plan), plan);
}

/** The plan behind a predicate made by `compileWhen`. */
export function planOf(match: WhenPredicate): Plan | undefined {
  return (match as Planned)[PLAN];
}

/** The value at `segments` (own properties only); `undefined` when missing. */
export function readPath(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function planDocument(document: Readonly<Record<string, unknown>>): Plan {
  const parts: Plan[] = [];
  for (const [key, condition] of Object.entries(document)) {
    if (condition === undefined) continue;
    if (key === '$and' || key === '$or') {
      const documents = (condition as readonly Readonly<Record<string, unknown>>[]).map(planDocument);
      parts.push({ kind: key === '$and' ? 'all' : 'any', parts: documents });
    } else if (key === '$not') {
      const inner = condition as Readonly<Record<string, unknown>>;
      parts.push({ kind: 'not', part: planDocument(inner), expected: copyValue(inner) });
    } else {
      planPath([], key, condition, parts);
    }
  }
  return { kind: 'all', parts };
}

/** Adds to `out` the plans of `key: condition`; nested field mappings flatten into dotted paths. */
function planPath(prefix: readonly string[], key: string, condition: unknown, out: Plan[]): void {
  const segments = [...prefix, ...key.split('.')];
  const path = segments.join('.');
  if (isOperatorMapping(condition)) {
    out.push({ kind: 'path', path, segments, tests: planOperators(condition) });
  } else if (isMapping(condition)) {
    for (const [child, value] of Object.entries(condition)) {
      if (value !== undefined) planPath(segments, child, value, out);
    }
  } else {
    const expected = copyValue(condition);
    out.push({
      kind: 'path',
      path,
      segments,
      tests: [{ operator: '$eq', shorthand: true, expected, test: equals(expected) }],
    });
  }
}

function planOperators(operators: Readonly<Record<string, unknown>>): PlannedTest[] {
  const tests: PlannedTest[] = [];
  for (const [name, argument] of Object.entries(operators)) {
    if (argument === undefined) continue;
    const test = fieldOperator(name)!.compile(argument, nestedTest);
    tests.push({ operator: name as FieldOperatorName, shorthand: false, expected: copyValue(argument), test });
  }
  return tests;
}

function nestedTest(operators: Readonly<Record<string, unknown>>): Test {
  return allOf(planOperators(operators).map((planned) => planned.test));
}

function toMatch(plan: Plan): Match {
  switch (plan.kind) {
    case 'all':
      return allOf(plan.parts.map(toMatch));
    case 'any':
      return anyOf(plan.parts.map(toMatch));
    case 'not': {
      const inner = toMatch(plan.part);
      return (root) => !inner(root);
    }
    case 'path':
      return atPath(plan.segments, allOf(plan.tests.map((planned) => planned.test)));
  }
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
