import { Scalar, visit, type Document } from 'yaml';

const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}\n]*))?\}/g;
const PLACEHOLDER = /WAENV[0-9]+_*Z/g;
const MIN_SECRET_LENGTH = 6;

interface Reference {
  readonly name: string;
  readonly fallback?: string | undefined;
  /** `$${VAR}`: stays the literal text `${VAR}`. */
  readonly literal: boolean;
}

export interface ProtectedText {
  readonly text: string;
  readonly references: ReadonlyMap<string, Reference>;
}

/**
 * Swap every `${VAR}`, `${VAR:-default}` and `$${VAR}` in the raw text for a plain placeholder
 * before parsing. `{` is a YAML flow indicator, so `{ token: ${TOKEN} }` would not even parse as
 * written; placeholders parse anywhere. The placeholder is padded to the reference's length so
 * columns in error messages stay right.
 */
export function protectReferences(source: string): ProtectedText {
  const references = new Map<string, Reference>();
  const text = source.replace(
    REFERENCE,
    (
      match,
      escaped: string | undefined,
      name: string,
      hasDefault: string | undefined,
      fallback: string | undefined,
    ) => {
      const base = `WAENV${references.size}`;
      const placeholder = `${base}${'_'.repeat(Math.max(0, match.length - base.length - 1))}Z`;
      references.set(placeholder, {
        name,
        fallback: hasDefault === undefined ? undefined : (fallback ?? ''),
        literal: escaped !== undefined,
      });
      return placeholder;
    },
  );
  return { text, references };
}

export interface UnsetVariable {
  readonly name: string;
  readonly offset: number;
}

/**
 * Put the environment's values in place of the placeholders, in string scalars only, after
 * parsing: a value cannot change the document's structure. Returns the variables that are unset
 * (with where they are used), every substituted value of 6 or more characters, which is secret from then on:
 * it is scrubbed from logs, errors and config dumps, and the unquoted scalars that were one reference alone.
 */
export function interpolateEnv(
  doc: Document,
  references: ReadonlyMap<string, Reference>,
  env: NodeJS.ProcessEnv,
): { unset: UnsetVariable[]; secrets: string[]; wholeValues: Set<Scalar> } {
  const unset: UnsetVariable[] = [];
  const secrets = new Set<string>();
  const wholeValues = new Set<Scalar>();
  if (references.size === 0) return { unset, secrets: [], wholeValues };
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('WAENV')) return;
      // `port: ${PORT}`: an unquoted scalar that is one reference and nothing else may become a number or
      // boolean where the schema asks for one (see env-scalars.ts); a quoted one stays text.
      const reference = references.get(node.value);
      if (reference && !reference.literal && node.type === Scalar.PLAIN) wholeValues.add(node);
      node.value = node.value.replace(PLACEHOLDER, (placeholder) => {
        const reference = references.get(placeholder);
        if (!reference) return placeholder;
        if (reference.literal)
          return `\${${reference.name}${reference.fallback === undefined ? '' : `:-${reference.fallback}`}}`;
        const value = env[reference.name];
        if (value !== undefined && value !== '') {
          // Very short values (a region, a port) are not secrets, and scrubbing them would mangle logs.
          if (value.length >= MIN_SECRET_LENGTH) secrets.add(value);
          return value;
        }
        if (reference.fallback !== undefined) return reference.fallback;
        unset.push({ name: reference.name, offset: node.range?.[0] ?? 0 });
        return '';
      });
    },
  });
  return { unset, secrets: [...secrets], wholeValues };
}
