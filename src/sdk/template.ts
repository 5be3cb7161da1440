import { Context, type Liquid, Value, toValueSync } from 'liquidjs';
import { plainEngine, urlEngine } from './liquid-engine.ts';

/** Matches a template that is exactly one output tag, whose value keeps its type. */
const SINGLE_EXPRESSION = /^\s*\{\{-?([^{}]*?)-?\}\}\s*$/;

/** A compiled template. */
export interface Template {
  readonly source: string;
  /** The rendered value. A template that is a single `{{ … }}` keeps the type of what it reads. */
  render(scope: object): unknown;
  /** The rendered text (undefined and null become ""; objects become JSON). */
  renderString(scope: object): string;
}

/** A template error, with the reason from the Liquid parser. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

function contextFor(engine: Liquid, scope: object): Context {
  return new Context(scope, engine.options, { sync: true }, { liquid: engine });
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Compile a template once; throws TemplateError when its syntax or a filter name is wrong. */
export function compileTemplate(source: string): Template {
  return compileWith(plainEngine, source, true);
}

/** Compile a URL template: values are percent-encoded; the result is always a string. */
export function compileUrlTemplate(source: string): Template {
  return compileWith(urlEngine, source, false);
}

function compileWith(liquid: Liquid, source: string, keepTypes: boolean): Template {
  try {
    const single = keepTypes ? SINGLE_EXPRESSION.exec(source) : null;
    if (single) {
      const value = new Value(single[1]!.trim(), liquid);
      const slow = (scope: object): unknown => toValueSync(value.value(contextFor(liquid, scope), false));
      const path = pathOf(single[1]!.trim());
      const render = path
        ? (scope: object): unknown => {
            const found = readPath(scope, path);
            return found === UNSURE ? slow(scope) : found;
          }
        : slow;
      return { source, render, renderString: (scope) => asText(render(scope)) };
    }
    if (!source.includes('{{') && !source.includes('{%')) {
      return { source, render: () => source, renderString: () => source };
    }
    const parsed = liquid.parse(source);
    const slow = (scope: object): string => String(liquid.renderSync(parsed, scope));
    const pieces = liquid === plainEngine ? piecesOf(source) : undefined;
    const renderString = pieces ? (scope: object): string => renderPieces(pieces, scope) ?? slow(scope) : slow;
    return { source, render: renderString, renderString };
  } catch (error) {
    throw new TemplateError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

// Fast path. Most templates are plain reads, `{{ chat.id }}` or `{{ device.id }}:{{ chat.id }}`,
// rendered for every delivery; Liquid's general evaluator costs several microseconds each. These
// are read directly, the way Liquid reads them (own properties only; absent → ""), and whenever a
// value is one Liquid treats specially (a string's or array's properties, `size`/`first`/`last`,
// an object or array written as text) the template goes to Liquid after all.

/** Identifier segments only; Liquid's literals and special properties are left to Liquid. */
const PLAIN_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const LIQUID_NAMES: ReadonlySet<string> = new Set([
  'true',
  'false',
  'nil',
  'null',
  'empty',
  'blank',
  'size',
  'first',
  'last',
]);
/** readPath's answer when only Liquid can say. */
const UNSURE: unique symbol = Symbol('unsure');

function pathOf(expression: string): readonly string[] | undefined {
  if (!PLAIN_PATH.test(expression)) return undefined;
  const path = expression.split('.');
  return path.some((name) => LIQUID_NAMES.has(name)) ? undefined : path;
}

function readPath(scope: object, path: readonly string[]): unknown {
  let current: unknown = scope;
  for (const name of path) {
    if (current === undefined || current === null) return current;
    if (
      typeof current !== 'object' ||
      Array.isArray(current) ||
      typeof (current as { toLiquid?: unknown }).toLiquid === 'function'
    )
      return UNSURE;
    current = Object.hasOwn(current, name) ? (current as Record<string, unknown>)[name] : undefined;
    if (typeof current === 'function') return UNSURE;
  }
  return current;
}

type Piece = string | readonly string[];

/** Literal text and plain paths, or undefined when the template needs Liquid (tags, filters, `{{-`). */
function piecesOf(source: string): Piece[] | undefined {
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of source.matchAll(/\{\{([^{}]*)\}\}/g)) {
    const inner = match[1]!;
    const path = pathOf(inner.trim());
    if (!path || inner.startsWith('-') || inner.endsWith('-')) return undefined;
    if (match.index > at) pieces.push(source.slice(at, match.index));
    pieces.push(path);
    at = match.index + match[0].length;
  }
  if (at < source.length) pieces.push(source.slice(at));
  // Braces left in the text (a tag, a nested or unclosed output) are Liquid's to read.
  const literalOnly = pieces.every((piece) => typeof piece !== 'string' || !/\{\{|\}\}|\{%|%\}/.test(piece));
  return literalOnly ? pieces : undefined;
}

/** The text, or undefined when a value is one Liquid writes its own way. */
function renderPieces(pieces: readonly Piece[], scope: object): string | undefined {
  let text = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      text += piece;
      continue;
    }
    const value = readPath(scope, piece);
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') text += value;
    else if (typeof value === 'number' || typeof value === 'boolean') text += String(value);
    else return undefined;
  }
  return text;
}

/** A JSON-like tree (object, array, scalars) whose strings are templates. */
export interface TemplateTree {
  render(scope: object): unknown;
}

/** Compile every string of a JSON-like tree (e.g. a request body written in YAML) as a template. */
export function compileTree(value: unknown): TemplateTree {
  if (typeof value === 'string') return compileTemplate(value);
  if (Array.isArray(value)) {
    const items = value.map(compileTree);
    return { render: (scope) => items.map((item) => item.render(scope)) };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, child]) => [key, compileTree(child)] as const);
    return {
      render: (scope) => {
        const out: Record<string, unknown> = {};
        for (const [key, child] of entries) {
          const rendered = child.render(scope);
          if (rendered !== undefined)
            Object.defineProperty(out, key, { value: rendered, enumerable: true, writable: true, configurable: true });
        }
        return out;
      },
    };
  }
  return { render: () => value };
}
