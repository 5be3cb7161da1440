import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemaText } from '../schema/config-schema.ts';
import type { ConnectorDefinition } from '../sdk/connector.ts';
import { connectorsPage, withGeneratedBlock } from './connector-docs.ts';
import { WHEN_PAGE, whenReferencePage } from './when-reference.ts';

/** Where the config schema is committed and shipped (next to the example config that references it). */
export const SCHEMA_FILE = 'config/wa-router.schema.json';
export const CONNECTORS_PAGE = 'docs/connectors.md';

/**
 * Every generated file, as it should be committed: path (relative to the repository) → text.
 * `scripts/generate.ts` writes them; a test compares them with what is committed.
 * Connector READMEs keep their authors' text; only the block between the markers is generated.
 */
export function generatedFiles(root: string, definitions: readonly ConnectorDefinition[]): Map<string, string> {
  const files = new Map<string, string>();
  files.set(SCHEMA_FILE, configJsonSchemaText(definitions));
  files.set(CONNECTORS_PAGE, connectorsPage(definitions));
  files.set(WHEN_PAGE, whenReferencePage());
  for (const definition of definitions) {
    const readme = join('connectors', definition.type, 'README.md');
    const path = join(root, readme);
    if (existsSync(path)) files.set(readme, withGeneratedBlock(readFileSync(path, 'utf8'), definition));
  }
  return files;
}
