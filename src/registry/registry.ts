import type { ConnectorDefinition } from '../sdk/connector.ts';
import { SDK_VERSION } from '../sdk/connector.ts';

/** Connector type names: lower snake_case, as in `google_sheets`. */
export const CONNECTOR_TYPE_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** A registered definition and where it came from (for error messages). */
export interface RegisteredConnector {
  readonly definition: ConnectorDefinition;
  readonly source: string;
}

/**
 * Returns a list of problems with a value that claims to be a connector definition; empty when
 * usable. Duck-typed rather than `instanceof`, because a plugin may bundle its own copy of zod.
 */
export function definitionProblems(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return ['the default export is not a connector definition object'];
  const def = value as Record<string, unknown>;
  const problems: string[] = [];
  if (def.sdkVersion !== SDK_VERSION)
    problems.push(`sdkVersion must be ${SDK_VERSION} (got ${JSON.stringify(def.sdkVersion)})`);
  if (typeof def.type !== 'string' || !CONNECTOR_TYPE_PATTERN.test(def.type)) {
    problems.push(`type must be a lower snake_case name like "acme_crm" (got ${JSON.stringify(def.type)})`);
  }
  if (typeof def.summary !== 'string' || def.summary.trim() === '') problems.push('summary must be a non-empty string');
  if (!isSchema(def.config)) problems.push('config must be a zod schema (an object with safeParse)');
  if (def.params !== undefined && !isSchema(def.params)) problems.push('params must be a zod schema when given');
  if (typeof def.create !== 'function') problems.push('create must be a function (config, ctx) => connector');
  if (def.delivery !== undefined && (def.delivery === null || typeof def.delivery !== 'object'))
    problems.push('delivery must be an object when given');
  return problems;
}

function isSchema(value: unknown): boolean {
  return (
    value !== null && typeof value === 'object' && typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

/** Connector types by name: the built-ins plus the plugins of the config. Duplicates are refused. */
export class ConnectorRegistry {
  private readonly byType = new Map<string, RegisteredConnector>();

  constructor(builtins: readonly ConnectorDefinition[] = []) {
    for (const definition of builtins) this.register(definition, 'built-in');
  }

  /** Register a definition; throws when its type is already taken (no silent override). */
  register(definition: ConnectorDefinition, source: string): void {
    const existing = this.byType.get(definition.type);
    if (existing) {
      throw new Error(`connector type "${definition.type}" is already defined (${existing.source})`);
    }
    this.byType.set(definition.type, { definition, source });
  }

  get(type: string): RegisteredConnector | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** A copy, so that a config's plugins do not leak into the next load. */
  clone(): ConnectorRegistry {
    const copy = new ConnectorRegistry();
    for (const [type, entry] of this.byType) copy.byType.set(type, entry);
    return copy;
  }
}
