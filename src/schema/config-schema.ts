import { ConfigSchema, ConnectorEntrySchema, DeliveryOverridesSchema } from '../config/schema.ts';
import { WhenSchema } from '../rules/index.ts';
import { DEFAULT_DELIVERY_POLICY, type ConnectorDefinition, type DeliveryPolicy } from '../sdk/connector.ts';
import { WHEN_DEFINITIONS } from '../rules/index.ts';
import { type JsonSchema, inputSchema } from './input-schema.ts';

export { inputSchema, type JsonSchema } from './input-schema.ts';

/**
 * JSON Schema (draft-07, what the YAML language server and most editors understand best) of the
 * whole config file, generated from the zod schemas the loader validates with: `ConfigSchema`
 * for the outer file, each connector type's `config` (and `params`), and a hand-written schema for
 * the `when` filter (a `z.custom` in zod, checked by code). Input types (`io: 'input'`): what the
 * user writes, e.g. a duration is a number or a string such as "30s".
 *
 * What the JSON Schema cannot say, the loader still checks (`wa-router validate`): route targets
 * naming declared connectors, `with:` blocks against the connector named, template syntax,
 * `${VAR}` values.
 */

const REF_PREFIX = '#/definitions/';

/** What each `delivery:` field means (DeliveryOverridesSchema carries no descriptions). */
export const DELIVERY_DESCRIPTIONS: Record<keyof DeliveryPolicy, string> = {
  maxBatch: 'Deliveries handed to one deliver() call.',
  maxInFlight: 'Concurrent deliver() calls for this connector.',
  ratePerSec: 'Deliveries started per second; 0 means unlimited.',
  callsPerSec:
    'deliver() calls started per second, whatever their batch size; 0 means unlimited (for services that limit requests, not items).',
  timeoutMs: 'Deadline of one call (a duration: 10s, or 10000 ms); past it the batch is retried.',
  maxAttempts: 'Attempts before a delivery becomes a dead letter.',
  maxAgeMs: 'A retry that would land later than this after receipt (a duration: 24h, or ms) becomes a dead letter.',
  backoffBaseMs:
    'First backoff step: the n-th retry waits a random time up to min(maxBackoffMs, base·2^(n-1)), and at least Retry-After.',
  maxBackoffMs: 'Longest wait between two attempts (a duration: 10m, or ms).',
  orderBy: '"chat": one delivery per chat in flight, none overtaking an earlier one.',
};

/** The effective delivery policy of a connector type (router defaults, then the type's own). */
export function deliveryDefaults(definition: ConnectorDefinition): DeliveryPolicy {
  return { ...DEFAULT_DELIVERY_POLICY, ...definition.delivery };
}

/**
 * Move a standalone schema's `definitions` into `into`, under `prefix`, rewriting its `$ref`s.
 * Returns the schema without `$schema` and `definitions`.
 */
function embed(schema: JsonSchema, prefix: string, into: Record<string, unknown>): JsonSchema {
  const { $schema: _ignored, definitions, ...rest } = schema;
  const rename = (ref: string): string =>
    ref.startsWith(REF_PREFIX) ? `${REF_PREFIX}${prefix}.${ref.slice(REF_PREFIX.length)}` : ref;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        key === '$ref' && typeof child === 'string' ? rename(child) : rewrite(child),
      ]),
    );
  };
  for (const [name, definition] of Object.entries((definitions ?? {}) as Record<string, unknown>)) {
    into[`${prefix}.${name}`] = rewrite(definition);
  }
  return rewrite(rest) as JsonSchema;
}

function deliverySchema(definition: ConnectorDefinition, into: Record<string, unknown>): JsonSchema {
  const schema = embed(inputSchema(DeliveryOverridesSchema), `delivery.${definition.type}`, into);
  const defaults = deliveryDefaults(definition);
  const properties = schema.properties as Record<string, JsonSchema>;
  for (const [field, property] of Object.entries(properties)) {
    const key = field as keyof DeliveryPolicy;
    property.description = DELIVERY_DESCRIPTIONS[key];
    property.default = defaults[key];
  }
  return { description: `Delivery policy of this instance; defaults are the ${definition.type} type's.`, ...schema };
}

/** Schema of one `connectors.<name>` entry of the given type: `type`, `delivery` and the type's own fields. */
function connectorEntry(definition: ConnectorDefinition, into: Record<string, unknown>): JsonSchema {
  const own = embed(inputSchema(definition.config), `connector.${definition.type}`, into);
  if (own.type !== 'object' || typeof own.properties !== 'object') {
    // A config that is not a plain object schema (a union, a pipe): keep it, beside `type`.
    return {
      title: definition.type,
      description: definition.summary,
      type: 'object',
      required: ['type'],
      properties: {
        type: { const: definition.type, description: definition.summary },
        delivery: deliverySchema(definition, into),
      },
      allOf: [own],
    };
  }
  const required = [...new Set(['type', ...((own.required as string[] | undefined) ?? [])])];
  const { properties, required: _required, ...rest } = own;
  return {
    title: definition.type,
    description: definition.summary,
    ...rest,
    type: 'object',
    required,
    properties: {
      type: { const: definition.type, description: definition.summary },
      ...(properties as Record<string, unknown>),
      delivery: deliverySchema(definition, into),
    },
    ...(definition.examples?.length
      ? { examples: definition.examples.map((example) => ({ type: definition.type, ...(example.config as object) })) }
      : {}),
  };
}

function paramsSchema(definitions: readonly ConnectorDefinition[], into: Record<string, unknown>): JsonSchema {
  const withParams = definitions.filter((definition) => definition.params);
  return {
    description:
      "Parameters for this route, checked against the `params` of the connector's type: " +
      withParams.map((definition) => definition.type).join(', ') +
      '. The types are listed here for completion; `wa-router validate` checks the one that applies.',
    type: 'object',
    anyOf: withParams.map((definition) => ({
      title: `with: for ${definition.type}`,
      ...embed(inputSchema(definition.params!), `params.${definition.type}`, into),
    })),
  };
}

/**
 * The JSON Schema of a config file for these connector types (the built-ins, plus any plugin).
 * Types not in the list (plugins unknown here) are accepted with any fields.
 */
export function configJsonSchema(definitions: readonly ConnectorDefinition[]): JsonSchema {
  const sorted = [...definitions].sort((a, b) => a.type.localeCompare(b.type));
  const defs: Record<string, unknown> = {};
  const types = sorted.map((definition) => definition.type);

  const root = inputSchema(ConfigSchema, ({ zodSchema, jsonSchema }) => {
    let replacement: JsonSchema | undefined;
    if (zodSchema === WhenSchema) replacement = { $ref: `${REF_PREFIX}when` };
    else if (zodSchema === ConnectorEntrySchema) replacement = { $ref: `${REF_PREFIX}connector` };
    if (!replacement) return;
    for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
    Object.assign(jsonSchema, replacement);
  });
  const { $schema, definitions: rootDefinitions, ...rest } = root;
  Object.assign(defs, rootDefinitions ?? {});

  for (const definition of sorted) defs[`connector.${definition.type}`] = connectorEntry(definition, defs);
  defs.connector = {
    description: "A connector instance: `type` picks the connector type; the other fields are that type's.",
    type: 'object',
    required: ['type'],
    properties: {
      type: {
        description: `Connector type: ${types.join(', ')}, or the type of a plugin listed under \`plugins:\`.`,
        anyOf: [{ enum: types }, { type: 'string', pattern: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$' }],
      },
    },
    oneOf: [
      ...sorted.map((definition) => ({ $ref: `${REF_PREFIX}connector.${definition.type}` })),
      {
        title: 'plugin connector',
        description: 'A type from a plugin module: its fields are checked by `wa-router validate`.',
        // A negative lookahead rather than `not: { enum }`: the same meaning, understood by more validators.
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', pattern: `^(?!(?:${types.join('|')})$)[a-z][a-z0-9]*(_[a-z0-9]+)*$` } },
      },
    ],
  };
  Object.assign(defs, WHEN_DEFINITIONS);

  // Route targets: `with:` is open in ConfigSchema; describe the known parameter shapes.
  const routeTarget = findRouteWith(rest);
  if (routeTarget) {
    defs.params = paramsSchema(sorted, defs);
    for (const key of Object.keys(routeTarget)) delete routeTarget[key];
    Object.assign(routeTarget, { $ref: `${REF_PREFIX}params` });
  }

  return tidy({
    $schema,
    $id: 'https://github.com/wa-router/wa-router/config/wa-router.schema.json',
    title: 'wa-router config',
    description:
      'The wa-router config file (config/wa-router.yaml). Generated from the zod schemas by `npm run generate`; `wa-router validate` is the final word.',
    ...rest,
    definitions: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))),
  });
}

/** Formats draft-07 defines; zod's own (e.g. "starts_with") would only puzzle editors. */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

/** The shape zod gives `z.json()` (a template tree), with its self-reference written SELF. */
const JSON_VALUE_SHAPE = JSON.stringify({
  anyOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'null' },
    { type: 'array', items: { $ref: 'SELF' } },
    { type: 'object', propertyNames: { type: 'string' }, additionalProperties: { $ref: 'SELF' } },
  ],
});

/**
 * Merge the identical helper definitions zod emits once per connector (the JSON value of a
 * template tree) into one, drop non-standard formats and the ±2^53 bounds zod adds to integers.
 */
function tidy(doc: JsonSchema): JsonSchema {
  const defs = doc.definitions as Record<string, unknown>;
  const renames = new Map<string, string>();
  const byShape = new Map<string, string>();
  for (const [name, definition] of Object.entries(defs)) {
    if (!/\.__schema\d+$/.test(name)) continue;
    const shape = JSON.stringify(definition).split(`"${REF_PREFIX}${name}"`).join('"SELF"');
    const kept = byShape.get(shape);
    if (kept !== undefined) {
      renames.set(name, kept);
      continue;
    }
    const target = shape === JSON_VALUE_SHAPE ? 'json' : name;
    byShape.set(shape, target);
    if (target !== name) renames.set(name, target);
  }
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) {
        const name = child.slice(REF_PREFIX.length);
        out[key] = `${REF_PREFIX}${renames.get(name) ?? name}`;
      } else if (key === 'format' && typeof child === 'string' && !STANDARD_FORMATS.has(child)) {
      } else if ((key === 'maximum' || key === 'minimum') && Math.abs(child as number) === Number.MAX_SAFE_INTEGER) {
      } else {
        out[key] = walk(child);
      }
    }
    return out;
  };
  const definitions: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(defs)) {
    const target = renames.get(name);
    if (target === undefined) definitions[name] = walk(definition);
    else if (!(target in definitions) && !defs[target]) definitions[target] = walk(definition);
  }
  const { definitions: _old, ...rest } = doc;
  const body = walk(rest) as JsonSchema;
  return {
    ...body,
    definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** The `with` property of the object form of a route target, found in the generated tree. */
function findRouteWith(root: JsonSchema): JsonSchema | undefined {
  const routes = (root.properties as Record<string, JsonSchema> | undefined)?.routes;
  const route = routes?.items as JsonSchema | undefined;
  const to = (route?.properties as Record<string, JsonSchema> | undefined)?.to;
  const target = to?.items as JsonSchema | undefined;
  for (const branch of ((target?.anyOf ?? target?.oneOf) as JsonSchema[] | undefined) ?? []) {
    const properties = branch.properties as Record<string, JsonSchema> | undefined;
    if (properties?.with) return properties.with;
  }
  return undefined;
}

/** The schema file's text, as committed in config/wa-router.schema.json. */
export function configJsonSchemaText(definitions: readonly ConnectorDefinition[]): string {
  return `${JSON.stringify(configJsonSchema(definitions), null, 2)}\n`;
}
