import { visit, type Document } from 'yaml';

const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g;

export interface UnsetVariable {
  readonly name: string;
  readonly range: readonly [number, number];
}

/**
 * Replace `${VAR}` and `${VAR:-default}` in every string scalar of a parsed YAML document with
 * the environment's values; `$${VAR}` stays literal as `${VAR}`. Done after parsing, so a value
 * cannot change the document's structure. Returns the variables that are unset (with where they
 * are used) and every substituted non-empty value, which is secret from then on: it is redacted
 * from logs, errors and config dumps.
 */
export function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): { unset: UnsetVariable[]; secrets: string[] } {
  const unset: UnsetVariable[] = [];
  const secrets = new Set<string>();
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(REFERENCE, (_match, escaped: string | undefined, name: string, hasDefault: string | undefined, fallback: string | undefined) => {
        if (escaped) return `\${${name}${hasDefault ?? ''}}`;
        const value = env[name];
        if (value !== undefined && value !== '') {
          secrets.add(value);
          return value;
        }
        if (hasDefault !== undefined) return fallback ?? '';
        unset.push({ name, range: [node.range?.[0] ?? 0, node.range?.[1] ?? 0] });
        return '';
      });
    },
  });
  return { unset, secrets: [...secrets] };
}
