import type { ConnectorInstance } from '../domain/route.ts';
import type { ConnectorRegistry } from '../registry/registry.ts';
import type { ConnectorDefinition, DeliveryPolicy } from '../sdk/connector.ts';
import { DEFAULT_DELIVERY_POLICY } from '../sdk/connector.ts';
import { didYouMean } from '../util/suggest.ts';
import type { EnvScalars } from './env-scalars.ts';
import { DeliveryOverridesSchema } from './schema.ts';
import { schemaIssues } from './zod-issues.ts';

/**
 * The `connectors:` section of a config: each instance's type looked up in the registry, its own
 * keys checked with the type's schema and its delivery policy put together (router defaults, the
 * type's, the instance's `delivery:`). Problems go to `report` with the path they belong to.
 */

/** Where a problem goes: its path in the config, the message, and the key it is about (if any). */
export type Report = (at: readonly PropertyKey[], message: string, key?: string) => void;

/** The valid instances under `connectors:`, by name; every problem of every instance is reported. */
export function validateConnectors(
  value: unknown,
  registry: ConnectorRegistry,
  env: EnvScalars,
  report: Report,
): Map<string, ConnectorInstance> {
  const instances = new Map<string, ConnectorInstance>();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return instances;
  for (const [name, entry] of Object.entries(value)) {
    if (!isPlainObject(entry) || typeof entry.type !== 'string' || entry.type === '') continue; // reported by the outer schema
    // A wrong `delivery:` block is reported by the outer schema; the connector's own keys are
    // still checked, so every problem of the file shows in one run.
    const { type, delivery: rawDelivery, ...rest } = entry;
    const overrides = DeliveryOverridesSchema.safeParse(rawDelivery ?? {});
    const registered = registry.get(type);
    if (!registered) {
      report(
        ['connectors', name, 'type'],
        `unknown connector type "${type}"${didYouMean(type, registry.types())}; known types: ${registry.types().join(', ')}`,
      );
      continue;
    }
    const definition = registered.definition;
    const parsed = env.safeParse(definition.config, rest, ['connectors', name]);
    if (!parsed.success) {
      for (const issue of schemaIssues(definition.config, parsed.error))
        report(['connectors', name, ...issue.path], issue.message, issue.key);
      continue;
    }
    if (!overrides.success) continue;
    const policy: DeliveryPolicy = {
      ...DEFAULT_DELIVERY_POLICY,
      ...definition.delivery,
      ...stripUndefined(overrides.data),
    };
    instances.set(name, { name, type, definition, config: parsed.data, policy });
  }
  return instances;
}

/** Every name under `connectors:`, with its type's definition when the type is known. */
export function declaredTypes(
  connectors: unknown,
  registry: ConnectorRegistry,
): Map<string, ConnectorDefinition | undefined> {
  const declared = new Map<string, ConnectorDefinition | undefined>();
  if (!isPlainObject(connectors)) return declared;
  for (const [name, entry] of Object.entries(connectors)) {
    const type = isPlainObject(entry) && typeof entry.type === 'string' ? entry.type : undefined;
    declared.set(name, type === undefined ? undefined : registry.get(type)?.definition);
  }
  return declared;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
