// Plain reads (`{{ chat.id }}`, `{{ device.id }}:{{ chat.id }}`) skip Liquid's evaluator. This checks,
// over generated scopes and templates, that every template renders exactly as Liquid renders it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Liquid } from 'liquidjs';
import { compileTemplate } from '../../../src/sdk/template.ts';

// The engine options of src/sdk/template.ts, without the fast path.
const liquid = new Liquid({ ownPropertyOnly: true, strictFilters: true, strictVariables: false });

const names = ['a', 'b', 'id', 'size', 'first', 'last', 'length', 'toLiquid', 'constructor', 'nil', 'true'];
const leaf = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...names), tie('node'), { maxKeys: 4 }),
  ),
})).node;
const scope = fc.dictionary(fc.constantFrom(...names), tree, { maxKeys: 5 });
const path = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const output = fc
  .tuple(
    path,
    fc.constantFrom('{{ ', '{{', '{{- '),
    fc.constantFrom(' }}', '}}', ' -}}'),
    fc.constantFrom('', ' | upcase', ' | size'),
  )
  .map(([p, open, close, filter]) => `${open}${p}${filter}${close}`);
const text = fc.constantFrom('', ':', ' ', '-', 'x{', '}', 'lit');
const template = fc.array(fc.oneof(output, text), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));

function liquidText(source: string, data: object): string | Error {
  try {
    return String(liquid.parseAndRenderSync(source, data));
  } catch (error) {
    return error as Error;
  }
}

test('templates render as Liquid renders them, fast path or not', () => {
  fc.assert(
    fc.property(template, scope, (source, data) => {
      const expected = liquidText(source, data);
      let actual: string | Error;
      try {
        actual = compileTemplate(source).renderString(data);
      } catch (error) {
        actual = error as Error;
      }
      // One output alone keeps its type (and writes objects as JSON), so it is checked in the next test.
      if (/^\s*\{\{-?[^{}]*?-?\}\}\s*$/.test(source)) return;
      if (expected instanceof Error)
        assert.ok(actual instanceof Error, `${source}: Liquid fails (${expected.message}), got ${String(actual)}`);
      else assert.equal(actual, expected, `${source} over ${JSON.stringify(data)}`);
    }),
    { numRuns: 3_000 },
  );
});

test('a single {{ path }} keeps the type of what it reads, as Liquid evaluates it', () => {
  fc.assert(
    fc.property(path, scope, (p, data) => {
      const outcome = (read: () => unknown) => {
        try {
          return { value: read() };
        } catch (error) {
          return { error: (error as Error).message };
        }
      };
      const expected = outcome(() => liquid.evalValueSync(p, data));
      assert.deepEqual(
        outcome(() => compileTemplate(`{{ ${p} }}`).render(data)),
        expected,
        `${p} over ${JSON.stringify(data)}`,
      );
    }),
    { numRuns: 3_000 },
  );
});

test('the common reads: a key of two ids, a missing part, numbers and booleans as text', () => {
  const data = { device: { id: 'dev1' }, chat: { id: '1@c.us', labels: ['x'] }, message: { fromMe: false, n: 3 } };
  assert.equal(compileTemplate('{{ device.id }}:{{ chat.id }}').renderString(data), 'dev1:1@c.us');
  assert.equal(compileTemplate('{{ contact.name }}!').renderString(data), '!');
  assert.equal(compileTemplate('{{ message.fromMe }}/{{ message.n }}').renderString(data), 'false/3');
  assert.equal(
    compileTemplate('{{ chat.labels }}-{{ chat.labels.size }}').renderString(data),
    'x-1',
    'arrays and size go to Liquid',
  );
  assert.deepEqual(compileTemplate('{{ chat.labels }}').render(data), ['x']);
});
