import { isMap, isPair, isScalar, isSeq, visit, type Document, type Scalar } from 'yaml';
import type { z } from 'zod';

/**
 * `port: ${PORT}` and `maxInFlight: ${LANES:-4}`. Values from the environment are text, and they are
 * put in after parsing so that they cannot change the document's structure. Where the schema asks for
 * a number or a boolean at a place that held one unquoted reference and nothing else, the text is read
 * as one (`9090`, `1.5`, `true`); everywhere else it stays text, so a secret or phone number made of
 * digits is never turned into a number behind the user's back.
 */
export class EnvScalars {
  private readonly paths: Set<string>;

  constructor(doc: Document, wholeValues: ReadonlySet<Scalar>) {
    this.paths = new Set();
    if (wholeValues.size === 0) return;
    visit(doc, {
      Scalar: (_key, node, ancestry) => {
        if (wholeValues.has(node)) this.paths.add(pathKey(pathOf(node, ancestry)));
      },
    });
  }

  /**
   * safeParse, and when the schema wanted a number or boolean where an environment value is text,
   * convert those values in `value` (at `prefix` in the document) and parse again.
   */
  safeParse<T extends z.ZodType>(
    schema: T,
    value: unknown,
    prefix: readonly PropertyKey[] = [],
  ): z.ZodSafeParseResult<z.output<T>> {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success || this.paths.size === 0) return parsed;
    let converted = false;
    for (const issue of parsed.error.issues) {
      if (issue.code !== 'invalid_type' || (issue.expected !== 'number' && issue.expected !== 'boolean')) continue;
      if (!this.paths.has(pathKey([...prefix, ...issue.path]))) continue;
      const parent = issue.path
        .slice(0, -1)
        .reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], value);
      const key = issue.path.at(-1);
      if (parent === null || typeof parent !== 'object' || key === undefined) continue;
      const text = (parent as Record<PropertyKey, unknown>)[key];
      const typed =
        typeof text === 'string' ? (issue.expected === 'number' ? asNumber(text) : asBoolean(text)) : undefined;
      if (typed === undefined) continue;
      (parent as Record<PropertyKey, unknown>)[key] = typed;
      converted = true;
    }
    return converted ? schema.safeParse(value, { reportInput: true }) : parsed;
  }
}

function asNumber(text: string): number | undefined {
  return /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text.trim()) ? Number(text) : undefined;
}

function asBoolean(text: string): boolean | undefined {
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** The key path of a node from its ancestors (maps by key, sequences by index). */
function pathOf(node: unknown, ancestry: readonly unknown[]): PropertyKey[] {
  const path: PropertyKey[] = [];
  let child: unknown = node;
  for (let i = ancestry.length - 1; i >= 0; i--) {
    const parent = ancestry[i];
    if (isPair(parent)) {
      if (parent.value !== child) return []; // a key, not a value
      path.unshift(isScalar(parent.key) ? (parent.key.value as PropertyKey) : String(parent.key));
    } else if (isSeq(parent)) {
      path.unshift(parent.items.indexOf(child as never));
    } else if (!isMap(parent)) {
      break;
    }
    child = parent;
  }
  return path;
}

const pathKey = (path: readonly PropertyKey[]): string => JSON.stringify(path.map(String));
