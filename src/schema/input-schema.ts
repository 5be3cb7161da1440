import { z } from 'zod';

/** A JSON Schema document or part of one. */
export type JsonSchema = { [key: string]: unknown };

/** Draft-07: what the YAML language server and most editors understand best. */
const TARGET = 'draft-7' as const;

/** The JSON Schema of a zod schema as the user writes it; unrepresentable parts accept anything. */
export function inputSchema(
  schema: z.ZodType,
  override?: (ctx: { zodSchema: unknown; jsonSchema: JsonSchema }) => void,
): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    target: TARGET,
    unrepresentable: 'any',
    override: (ctx) => {
      keepPlainDefault(ctx.zodSchema as unknown as ZodInternals, ctx.jsonSchema as JsonSchema);
      override?.({ zodSchema: ctx.zodSchema, jsonSchema: ctx.jsonSchema as JsonSchema });
    },
  }) as JsonSchema;
}

type ZodInternals = { _zod: { def: { type: string; defaultValue?: unknown } } };

/**
 * zod leaves out the default of a field whose value is transformed somewhere below (a duration,
 * `timeoutMs: 10s`, or a map of connectors that holds one), since a default is an output value.
 * A default that is plain data (a number, text, `{}`) is also valid input, so it is shown.
 */
function keepPlainDefault(schema: ZodInternals, json: JsonSchema): void {
  const def = schema._zod.def;
  if (def.type !== 'default' || json.default !== undefined) return;
  const value = def.defaultValue;
  const plain =
    ['number', 'string', 'boolean'].includes(typeof value) ||
    Array.isArray(value) ||
    (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype);
  if (plain) json.default = JSON.parse(JSON.stringify(value));
}
