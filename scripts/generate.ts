/**
 * Regenerate what is derived from the connector definitions and the config schemas:
 * config/wa-router.schema.json, docs/connectors.md, docs/when.md (the `when` operator reference,
 * from src/rules/operators.ts) and the generated block of each connector README. Run
 * `npm run generate` after changing a schema, a description, an example or an operator;
 * test/ship/authoring.test.ts fails while the committed files are stale.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinConnectors } from '../connectors/index.ts';
import { generatedFiles } from '../src/docs/generate.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let changed = 0;
for (const [file, text] of generatedFiles(root, builtinConnectors)) {
  const path = join(root, file);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`wrote ${file}\n`);
  changed += 1;
}
process.stdout.write(changed === 0 ? 'generated files are up to date\n' : `${changed} file(s) written\n`);
