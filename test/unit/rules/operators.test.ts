import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DOCUMENT_OPERATORS, FIELD_OPERATORS, WHEN_DEFINITIONS, WhenSchema } from '../../../src/rules/index.ts';
import { whenReferencePage } from '../../../src/docs/when-reference.ts';

const tables = { ...FIELD_OPERATORS, ...DOCUMENT_OPERATORS };

describe('the operator table', () => {
  for (const [name, operator] of Object.entries(tables)) {
    it(`${name}: its example is a valid filter that uses it`, () => {
      const when: unknown = parse(`{ ${operator.example} }`);
      const result = WhenSchema.safeParse(when);
      assert.deepEqual(result.success ? [] : result.error.issues.map((issue) => issue.message), []);
      assert.match(JSON.stringify(when), new RegExp(`"\\${name}"`));
    });
  }

  it('gives the JSON Schema its operators and the reference its rows', () => {
    const operators = WHEN_DEFINITIONS['when.operators'] as { properties: Record<string, { description: string }> };
    assert.deepEqual(Object.keys(operators.properties), Object.keys(FIELD_OPERATORS));
    const when = WHEN_DEFINITIONS.when as { properties: Record<string, unknown> };
    for (const name of Object.keys(DOCUMENT_OPERATORS)) assert.ok(when.properties[name], name);
    const page = whenReferencePage();
    for (const name of Object.keys(tables)) assert.match(page, new RegExp(`^\\| \`\\${name}\` `, 'm'), name);
  });
});
