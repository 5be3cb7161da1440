/**
 * The `when` filter language of routes, defined once in the operator table (`operators.ts`):
 * validation (`WhenSchema`), compilation to a predicate (`compileWhen`), the explanation of a
 * non-match for the route preview (`explainWhen`), the JSON Schema fragment
 * (`WHEN_DEFINITIONS`) and the generated reference (src/docs/when-reference.ts) all read it.
 */
export { compileWhen, type WhenPredicate } from './compile.ts';
export { explainWhen, type WhenMismatch } from './explain.ts';
export { WHEN_DEFINITIONS } from './json-schema.ts';
export { DOCUMENT_OPERATORS, FIELD_OPERATORS } from './operators.ts';
export type { WhenCondition, WhenDocument, WhenOperators, WhenValue } from './types.ts';
export { WhenSchema } from './validate.ts';
export { compileRegex } from './values.ts';
