import type { RoutedEvent } from '../domain/event.ts';
import { type Plan, type PlannedTest, planOf, readPath, type WhenPredicate } from './compile.ts';
import { FIELD_OPERATORS } from './operators.ts';
import type { WhenValue } from './types.ts';

/** The condition of a `when` filter that an event failed, as the route preview shows it. */
export interface WhenMismatch {
  /** Dotted path into the event (`message.body`); `''` for a document-level `$not`. */
  readonly path: string;
  /** The operator that failed; `$eq` for the literal shorthand (`chat.type: group`). */
  readonly operator: string;
  /** The operator's argument as written in the filter. */
  readonly expected: WhenValue;
  /** The event's value at `path`; `undefined` when the path is missing. */
  readonly actual: unknown;
  /** A short sentence: `message.body: "hi" does not match $regex "refund"`. */
  readonly message: string;
}

/** Longest rendering of a value in a sentence; the rest becomes "…". */
const SHOWN = 80;

/**
 * Why an event does not match a compiled `when` filter: the first condition that failed, in the
 * order the filter is written, or `undefined` when the event matches. A failed `$or` gives its
 * first branch's failure, with a message saying no branch matched. Agrees with the predicate:
 * the result is `undefined` exactly when `match(event)` is true.
 *
 * @param match a predicate returned by `compileWhen` (throws a TypeError for any other function)
 */
export function explainWhen(match: WhenPredicate, event: RoutedEvent): WhenMismatch | undefined {
  const plan = planOf(match);
  if (plan === undefined) throw new TypeError('explainWhen: the predicate was not made by compileWhen');
  return explainPlan(plan, event);
}

function explainPlan(plan: Plan, event: RoutedEvent): WhenMismatch | undefined {
  switch (plan.kind) {
    case 'all':
      for (const part of plan.parts) {
        const mismatch = explainPlan(part, event);
        if (mismatch !== undefined) return mismatch;
      }
      return undefined;
    case 'any': {
      let first: WhenMismatch | undefined;
      for (const part of plan.parts) {
        const mismatch = explainPlan(part, event);
        if (mismatch === undefined) return undefined;
        first ??= mismatch;
      }
      if (first === undefined) return undefined;
      const count = plan.parts.length === 1 ? 'the $or branch' : `none of the ${plan.parts.length} $or branches`;
      return { ...first, message: `${count} matches; the first fails: ${first.message}` };
    }
    case 'not':
      if (explainPlan(plan.part, event) !== undefined) return undefined;
      return {
        path: '',
        operator: '$not',
        expected: plan.expected,
        actual: undefined,
        message: `the event matches $not ${show(plan.expected)}`,
      };
    case 'path': {
      const actual = readPath(event, plan.segments);
      const failed = plan.tests.find((planned) => !planned.test(actual));
      return failed === undefined ? undefined : mismatch(plan.path, failed, actual);
    }
  }
}

function mismatch(path: string, failed: PlannedTest, actual: unknown): WhenMismatch {
  const { operator, shorthand, expected } = failed;
  const shown = actual === undefined ? 'missing' : show(actual);
  const written = shorthand ? '' : ` ${operator}`;
  const message = `${path}: ${shown} ${FIELD_OPERATORS[operator].failure}${written} ${show(expected)}`;
  return { path, operator, expected, actual, message };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= SHOWN ? text : `${text.slice(0, SHOWN - 1)}…`;
}
