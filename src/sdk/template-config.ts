import { z } from 'zod';
import { compileTemplate, compileTree, compileUrlTemplate, type Template } from './template.ts';
import { unknownFieldsOf } from './template-fields.ts';

/**
 * Config fields that hold templates (zod schemas for connector configs): each template is compiled
 * once at load, and its syntax, filters and the event fields it reads are checked there, so a
 * mistake is a config error at its key rather than an empty value at delivery time.
 */

/** Compile one template of a config field, reporting syntax errors and unknown event fields. */
function compileChecked(
  source: string,
  compile: (source: string) => Template,
  ctx: z.RefinementCtx,
): Template | typeof z.NEVER {
  try {
    const compiled = compile(source);
    for (const problem of unknownFieldsOf(source)) ctx.addIssue({ code: 'custom', message: problem });
    return compiled;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.addIssue({ code: 'custom', message: `invalid template: ${reason}` });
    return z.NEVER;
  }
}

/** A problem of one template in a tree: where it is (keys and indexes from the root) and what. */
export interface TemplateTreeProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The problems of every string of a JSON-like tree of templates (see `templateProblems`), each
 * with the path of its key, for a connector that compiles such a tree itself (Slack's blocks):
 * report them with `ctx.addIssue({ code: 'custom', message, path })` so `validate` points there.
 */
export function templateTreeProblems(value: unknown, path: readonly PropertyKey[] = []): TemplateTreeProblem[] {
  if (typeof value === 'string') return templateProblems(value).map((message) => ({ path, message }));
  if (Array.isArray(value)) return value.flatMap((item, index) => templateTreeProblems(item, [...path, index]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, child]) => templateTreeProblems(child, [...path, key]));
  return [];
}

/**
 * Config field holding a template string; parses to a compiled Template. Syntax errors, unknown
 * filters and fields the event does not have (`{{ mesage.body }}`) are config errors.
 */
export function template() {
  return z
    .string()
    .transform((source, ctx) => compileChecked(source, compileTemplate, ctx) as Template)
    .meta({ description: 'Liquid template over the event, e.g. "{{ contact.name }}".' });
}

/** Config field holding a URL template whose `{{ }}` values are percent-encoded; checked like `template()`. */
export function urlTemplate() {
  return z
    .string()
    .transform((source, ctx) => compileChecked(source, compileUrlTemplate, ctx) as Template)
    .meta({ description: 'URL template; values from the event are percent-encoded.' });
}

/**
 * Config field holding a JSON-like tree of templates (e.g. a request body); parses to a
 * TemplateTree. Each string is checked like `template()`, and a problem names its own key.
 */
export function templateTree() {
  return z.json().transform((tree, ctx) => {
    const problems = templateTreeProblems(tree);
    for (const { path, message } of problems) ctx.addIssue({ code: 'custom', message, path: [...path] });
    return problems.length > 0 ? z.NEVER : compileTree(tree);
  });
}

/**
 * The problems of a template written in config, one sentence each (empty when it is fine): a
 * syntax error or unknown filter, or a field the event does not have (with the nearest one).
 * For templates a connector compiles itself, e.g. from a free-form block.
 */
export function templateProblems(source: string): string[] {
  try {
    compileTemplate(source);
    return unknownFieldsOf(source);
  } catch (error) {
    return [`invalid template: ${error instanceof Error ? error.message : String(error)}`];
  }
}
