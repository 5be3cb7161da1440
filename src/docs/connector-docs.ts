import { stringify } from 'yaml';
import { deliveryDefaults, inputSchema, type JsonSchema } from '../schema/config-schema.ts';
import type { ConnectorDefinition } from '../sdk/connector.ts';

/**
 * Reference docs of a connector type, generated from its definition: the field table of its
 * config (name, type, default, description) and of its `with:` parameters, its delivery defaults
 * and its examples. Written between markers into the connector's README (the rest of the README is
 * its author's) and into docs/connectors.md; a test fails when the committed text is stale.
 */

export const START_MARKER = '<!-- generated:start -->';
export const END_MARKER = '<!-- generated:end -->';

interface Row {
  readonly name: string;
  readonly type: string;
  readonly defaultValue: string;
  readonly description: string;
}

const MAX_DEPTH = 3;

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; hops < 10; hops += 1) {
    if (typeof current.$ref === 'string') {
      const name = current.$ref.replace('#/definitions/', '');
      const target = (root.definitions as Record<string, JsonSchema> | undefined)?.[name];
      if (!target) return current;
      const { $ref: _ref, ...rest } = current;
      current = { ...target, ...rest };
    } else if (Array.isArray(current.allOf) && current.allOf.length === 1) {
      const { allOf, ...rest } = current;
      current = { ...resolve(allOf[0] as JsonSchema, root), ...rest };
    } else {
      return current;
    }
  }
  return current;
}

function isJsonValue(schema: JsonSchema): boolean {
  const branches = schema.anyOf as JsonSchema[] | undefined;
  return (
    Array.isArray(branches) &&
    branches.length === 6 &&
    branches.some((b) => b.type === 'null') &&
    branches.some((b) => b.type === 'array')
  );
}

/** A short type for the table: `string`, `integer ≥ 1`, `"a" \| "b"`, `string[]`, `map of string`, `object`. */
export function typeName(schema: JsonSchema, root: JsonSchema): string {
  const s = resolve(schema, root);
  if (typeof s.$ref === 'string') {
    return s.$ref.endsWith('/json') ? 'template tree' : 'object';
  }
  if (isJsonValue(s)) return 'template tree';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((value) => JSON.stringify(value)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return [...new Set(union.map((branch) => typeName(branch, root)))].join(' | ');
  if (Array.isArray(s.type)) return s.type.join(' | ');
  switch (s.type) {
    case 'array':
      return s.items ? `${wrap(typeName(s.items as JsonSchema, root))}[]` : 'list';
    case 'object':
      if (s.properties) return 'object';
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        return `map of ${wrap(typeName(s.additionalProperties as JsonSchema, root))}`;
      }
      return 'object';
    case 'string':
      return s.format === 'uri' ? 'URL' : 'string';
    case 'integer':
    case 'number':
      return `${s.type}${range(s)}`;
    case undefined:
      return 'any';
    default:
      return String(s.type);
  }
}

function wrap(type: string): string {
  return type.includes(' ') ? `(${type})` : type;
}

function range(s: JsonSchema): string {
  const parts: string[] = [];
  if (typeof s.minimum === 'number') parts.push(`≥ ${s.minimum}`);
  if (typeof s.exclusiveMinimum === 'number') parts.push(`> ${s.exclusiveMinimum}`);
  if (typeof s.maximum === 'number' && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
}

function defaultText(schema: JsonSchema, required: boolean): string {
  if (schema.default !== undefined) return `\`${JSON.stringify(schema.default)}\``;
  return required ? 'required' : '';
}

/** Object schemas a field may hold (itself, or the object branches of a union), for nested rows. */
function objectBranches(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema[] {
  const s = resolve(schema, root);
  if (depth > 2 || isJsonValue(s)) return [];
  if (s.type === 'object' && s.properties) return [s];
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return union.flatMap((branch) => objectBranches(branch, root, depth + 1));
  if (s.type === 'array' && s.items) {
    return objectBranches(s.items as JsonSchema, root, depth + 1).map((branch) => ({ ...branch, $itemOf: true }));
  }
  return [];
}

function rows(schema: JsonSchema, root: JsonSchema, prefix: string, depth: number): Row[] {
  const s = resolve(schema, root);
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const out: Row[] = [];
  for (const [key, property] of Object.entries(properties)) {
    const resolved = resolve(property, root);
    const name = `${prefix}${key}`;
    out.push({
      name,
      type: typeName(property, root),
      defaultValue: defaultText(resolved, required.has(key)),
      description: typeof resolved.description === 'string' ? resolved.description : '',
    });
    if (depth < MAX_DEPTH) {
      for (const branch of objectBranches(property, root)) {
        out.push(...rows(branch, root, `${name}${branch.$itemOf ? '[]' : ''}.`, depth + 1));
      }
    }
  }
  return out;
}

function table(list: readonly Row[]): string {
  const lines = ['| field | type | default | description |', '|---|---|---|---|'];
  for (const row of list) {
    lines.push(`| \`${row.name}\` | ${cell(row.type)} | ${cell(row.defaultValue)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}

/** The field rows of a zod schema (exported for tests). */
export function fieldRows(schema: Parameters<typeof inputSchema>[0]): Row[] {
  const json = inputSchema(schema);
  return rows(json, json, '', 0);
}

function exampleYaml(definition: ConnectorDefinition): string {
  const examples = definition.examples ?? [];
  if (examples.length === 0) return '';
  const blocks = examples.map((example, index) => {
    const name = `${definition.type.replace(/_/g, '-')}-${index + 1}`;
    const yaml = stringify(
      { connectors: { [name]: { type: definition.type, ...(example.config as object) } } },
      { lineWidth: 0 },
    );
    return `# ${example.title}\n${yaml}`;
  });
  return ['### Examples', '', '```yaml', blocks.join('\n').trimEnd(), '```'].join('\n');
}

/** The generated reference of one connector type, in Markdown, without markers. */
export function connectorReference(definition: ConnectorDefinition, headingLevel = 2): string {
  const h = '#'.repeat(headingLevel);
  const sub = '#'.repeat(headingLevel + 1);
  const parts: string[] = [
    `${h} Reference: \`type: ${definition.type}\``,
    '',
    `${definition.summary}`,
    '',
    `${sub} Fields`,
    '',
    table(fieldRows(definition.config)),
  ];
  if (definition.params) {
    parts.push('', `${sub} Route parameters (\`with:\`)`, '', table(fieldRows(definition.params)));
  }
  const policy = deliveryDefaults(definition);
  const delivery = Object.entries(policy)
    .map(([key, value]) => `\`${key}: ${String(value)}\``)
    .join(', ');
  parts.push('', `${sub} Delivery defaults`, '', `${delivery}. Override any of them per instance under \`delivery:\`.`);
  const examples = exampleYaml(definition);
  if (examples) parts.push('', examples.replace(/^### /, `${sub} `));
  return parts.join('\n');
}

/** The block written between the markers of a connector README. */
export function generatedBlock(definition: ConnectorDefinition): string {
  return [
    START_MARKER,
    "<!-- Generated from the connector's schema and examples by `npm run generate`; edits here are overwritten. -->",
    '',
    connectorReference(definition),
    '',
    END_MARKER,
  ].join('\n');
}

/**
 * The README with its generated block replaced (or appended when it has no markers yet).
 * Throws when the markers are unbalanced.
 */
export function withGeneratedBlock(readme: string, definition: ConnectorDefinition): string {
  const block = generatedBlock(definition);
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 && end === -1) return `${readme.trimEnd()}\n\n${block}\n`;
  if (start === -1 || end === -1 || end < start) throw new Error(`unbalanced ${START_MARKER} / ${END_MARKER} markers`);
  return `${readme.slice(0, start)}${block}${readme.slice(end + END_MARKER.length)}`;
}

/** docs/connectors.md: every built-in type's reference, in one generated page. */
export function connectorsPage(definitions: readonly ConnectorDefinition[]): string {
  const sorted = [...definitions].sort((a, b) => a.type.localeCompare(b.type));
  return [
    '# Built-in connectors: reference',
    '',
    "<!-- Generated by `npm run generate` from each connector's schema and examples; do not edit by hand. -->",
    '',
    'Each connector instance is an entry under `connectors:` with a `type` and the fields of that type,',
    'plus an optional `delivery:` block (see the README, "Delivery policy"). Strings marked as templates',
    'are Liquid templates over the normalized event; secrets belong in `${VAR}`.',
    '',
    ...sorted.map(
      (definition) => `- [\`${definition.type}\`](#reference-type-${definition.type}): ${definition.summary}`,
    ),
    '',
    ...sorted.map((definition) => `${connectorReference(definition)}\n`),
  ].join('\n');
}
