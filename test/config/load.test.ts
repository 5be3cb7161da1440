import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { builtinConnectors } from '../../connectors/index.ts';
import { loadRouterConfig } from '../../src/app.ts';
import type { TemplateTree } from '../../src/sdk/index.ts';
import { loadOk, problems, show } from './kit.ts';

/** The built-in types, as `validate` lists them. */
const BUILTIN_TYPES = builtinConnectors
  .map((definition) => definition.type)
  .sort()
  .join(', ');

const HTTP_FIELDS = 'url, method, headers, body, idempotencyHeader, signing';

describe('config: every problem at once, each with line:col and path', () => {
  test('a config with many mistakes reports all of them, in file order, and nothing else', async () => {
    const issues = await problems(`
server:
  port: "eighty"
connectors:
  hook:
    type: http
    url: https://example.com/hook
    chanel: "#support"
    metod: POST
  crm:
    type: htp
    url: https://crm.example.com/
routes:
  - name: vip
    when:
      message.body: { $regx: "refund" }
    to: [hok]
  - name: urgent
    when:
      message.body: { $regex: "(urgent" }
    to: [hook]
`);
    assert.deepEqual(issues, [
      // A missing field points at the key of the mapping that lacks it.
      '1:1 server.secret: missing required field (expected string)',
      '2:9 server.port: expected number, received string',
      `7:5 connectors.hook.chanel: unknown field "chanel"; expected one of: ${HTTP_FIELDS}`,
      `8:5 connectors.hook.metod: unknown field "metod" (did you mean "method"?); expected one of: ${HTTP_FIELDS}`,
      `10:11 connectors.crm.type: unknown connector type "htp" (did you mean "http"?); known types: ${BUILTIN_TYPES}`,
      '15:30 routes[0].when.message.body.$regx: unknown operator "$regx" (did you mean "$regex"?)',
      // "hook" is declared (with its own problems above): it is suggested, and naming it is not an error.
      '16:10 routes[0].to[0]: no connector named "hok" (did you mean "hook"?)',
      '19:31 routes[1].when.message.body.$regex: invalid regular expression "(urgent": Unterminated group',
    ]);
  });

  test('a route naming a missing connector, in the object form, points at `connector:`', async () => {
    const issues = await problems(`
server: { secret: abcdefgh12 }
connectors:
  support: { type: file, path: ./x.jsonl }
routes:
  - name: r
    to:
      - connector: suport
`);
    assert.deepEqual(issues, ['7:20 routes[0].to[0].connector: no connector named "suport" (did you mean "support"?)']);
  });

  test('duplicate route names are rejected at the second name', async () => {
    const issues = await problems(`
server: { secret: abcdefgh12 }
connectors:
  out: { type: file, path: ./x.jsonl }
routes:
  - name: inbound
    to: [out]
  - name: inbound
    to: [out]
`);
    assert.deepEqual(issues, ['7:11 routes[1].name: duplicate route name "inbound"']);
  });
});

describe('config: YAML syntax errors have a position', () => {
  test('a duplicated top-level key', async () => {
    assert.deepEqual(await problems('server: { secret: abcdefgh12 }\nconnectors: {}\nroutes: []\nconnectors: {}\n'), [
      '4:1 YAML syntax: Map keys must be unique',
    ]);
  });

  test('a tab used for indentation', async () => {
    assert.deepEqual(await problems('server:\n\tsecret: abcdefgh12\n'), [
      '2:1 YAML syntax: Tabs are not allowed as indentation',
    ]);
  });

  test('a key indented less than its siblings', async () => {
    assert.deepEqual(await problems('server:\n  secret: abcdefgh12\n  port: 8080\n path: /x\n'), [
      '4:1 YAML syntax: All mapping items must start at the same column',
    ]);
  });

  test('an empty file or a list is not a config', async () => {
    const message = '1:1 the config must be a mapping with at least `server:` (see config/wa-router.yaml)';
    assert.deepEqual(await problems(''), [message]);
    assert.deepEqual(await problems('- server\n'), [message]);
  });
});

describe('config: ${VAR} interpolation', () => {
  test('an unset variable is reported by name on its line, once per use, with no follow-up noise', async () => {
    const issues = await problems(`
server:
  secret: \${UNSET_SECRET}
connectors:
  crm:
    type: http
    url: https://crm.example.com/notes
    headers: { Authorization: "Bearer \${CRM_TOKEN}" }
`);
    // The empty value left behind is not also reported as "secret must be at least 8 characters".
    assert.deepEqual(issues, [
      '2:11 environment variable UNSET_SECRET is not set (use ${UNSET_SECRET:-default} for a default)',
      '7:31 environment variable CRM_TOKEN is not set (use ${CRM_TOKEN:-default} for a default)',
    ]);
  });

  test('${VAR:-default} uses the default when the variable is unset or empty, the value when set', async () => {
    const yaml = `
server:
  secret: abcdefgh12
  path: \${HOOK_PATH:-/hooks/custom}
  host: \${BIND_HOST:-127.0.0.1}
`;
    const unset = await loadOk(yaml, { BIND_HOST: '' });
    assert.equal(unset.server.path, '/hooks/custom');
    assert.equal(unset.server.host, '127.0.0.1');
    const set = await loadOk(yaml, { HOOK_PATH: '/from/env' });
    assert.equal(set.server.path, '/from/env');
  });

  test('$${VAR} stays the literal text ${VAR}, and is neither required nor redacted', async () => {
    const config = await loadOk(`
server: { secret: abcdefgh12 }
connectors:
  hook:
    type: http
    url: https://example.com/hook
    headers:
      X-Literal: $\${NOT_A_VAR}
      X-Literal-Default: "$\${OTHER:-x}"
`);
    const headers = (config.connectors.get('hook')!.config as { headers: Record<string, { source: string }> }).headers;
    assert.equal(headers['X-Literal']!.source, '${NOT_A_VAR}');
    assert.equal(headers['X-Literal-Default']!.source, '${OTHER:-x}');
    assert.deepEqual((config.redacted as { connectors: { hook: { headers: unknown } } }).connectors.hook.headers, {
      'X-Literal': '${NOT_A_VAR}',
      'X-Literal-Default': '${OTHER:-x}',
    });
  });

  test('a value with YAML specials (": ", "- ", "#", "{", newlines) stays one string and cannot change the structure', async () => {
    const tricky = 'a: b\n- c # not a comment }, routes: [x] {';
    const config = await loadOk(
      `
server:
  secret: \${SECRET}
connectors:
  hook:
    type: http
    url: https://example.com/hook
    body: { note: \${NOTE}, quoted: "\${NOTE}" }
routes:
  - name: r
    to: [hook]
`,
      { SECRET: tricky, NOTE: tricky },
    );
    assert.equal(config.server.secret, tricky);
    const body = (config.connectors.get('hook')!.config as { body: TemplateTree }).body;
    assert.deepEqual(body.render({}), { note: tricky, quoted: tricky });
    assert.deepEqual([...config.connectors.keys()], ['hook']);
    assert.deepEqual(
      config.routes.map((route) => route.name),
      ['r'],
    );
  });

  test('port: ${PORT}: an unquoted reference alone becomes a number or boolean where the schema asks for one, and stays text elsewhere', async () => {
    const yaml = `
server: { port: \${PORT}, secret: \${SECRET} }
connectors:
  out:
    type: file
    path: \${OUT_PATH:-./data/out.jsonl}
    fsync: \${FSYNC:-false}
    delivery: { maxInFlight: \${LANES:-1}, timeoutMs: \${TIMEOUT_MS} }
routes:
  - name: all
    to: [out]
`;
    const config = await loadOk(yaml, { PORT: '9090', SECRET: '123456789012', OUT_PATH: '12345', TIMEOUT_MS: '2500' });
    assert.equal(config.server.port, 9090);
    assert.equal(config.server.secret, '123456789012', 'a secret of digits stays text');
    const out = config.connectors.get('out')!;
    assert.equal((out.config as { path: string }).path, '12345');
    assert.equal((out.config as { fsync: boolean }).fsync, false);
    assert.equal(out.policy.maxInFlight, 1);
    assert.equal(out.policy.timeoutMs, 2500);
  });

  test('a quoted reference stays text, and a value that is not a number says so at its place', async () => {
    const base = (port: string) => `
server: { port: ${port}, secret: abcdefgh12 }
`;
    assert.deepEqual(await problems(base('"${PORT}"'), { PORT: '9090' }), [
      '1:17 server.port: expected number, received string',
    ]);
    assert.deepEqual(await problems(base('${PORT}'), { PORT: '90x' }), [
      '1:17 server.port: expected number, received string',
    ]);
    assert.deepEqual(await problems(base('${PORT}'), { PORT: '99999' }), ['1:17 server.port: must be at most 65535']);
  });
});

describe('config: redaction', () => {
  test('`redacted` hides every env-substituted value and the webhook secret, and nothing else', async () => {
    const config = await loadOk(
      `
server:
  secret: literal-secret-in-file
  path: \${HOOK_PATH:-/hooks/wassenger}
connectors:
  crm:
    type: http
    url: https://crm.example.com/notes
    headers:
      Authorization: Bearer \${CRM_TOKEN}
      X-Tenant: \${TENANT}
routes:
  - name: r
    to: [crm]
`,
      { CRM_TOKEN: 'tok-9f8e7d6c5b', TENANT: 'tenant-acme-42' },
    );
    assert.deepEqual(config.redacted, {
      server: { secret: '[redacted]', path: '/hooks/wassenger' },
      connectors: {
        crm: {
          type: 'http',
          url: 'https://crm.example.com/notes',
          headers: { Authorization: 'Bearer [redacted]', 'X-Tenant': '[redacted]' },
        },
      },
      routes: [{ name: 'r', to: ['crm'] }],
    });
    const dump = JSON.stringify(config.redacted);
    for (const secret of ['literal-secret-in-file', 'tok-9f8e7d6c5b', 'tenant-acme-42'])
      assert.ok(!dump.includes(secret), secret);
    // The real values are still what the router uses.
    assert.equal(config.server.secret, 'literal-secret-in-file');
  });
});

describe("config: a route's `with:` block is checked against the connector's params schema", () => {
  test('http params (body, headers) are parsed; an unknown one gets a did-you-mean', async () => {
    const yaml = (withBlock: string) => `
server: { secret: abcdefgh12 }
connectors:
  hook: { type: http, url: https://example.com/hook }
routes:
  - name: r
    to:
      - connector: hook
        with: ${withBlock}
`;
    const config = await loadOk(yaml('{ body: { text: "{{ message.body }}" }, headers: { X-Route: vip } }'));
    const params = config.routes[0]!.targets[0]!.params as {
      body: TemplateTree;
      headers: Record<string, { source: string }>;
    };
    assert.deepEqual(params.body.render({ message: { body: 'hi' } }), { text: 'hi' });
    assert.equal(params.headers['X-Route']!.source, 'vip');
    assert.deepEqual(config.routes[0]!.targets[0]!.rawParams, {
      body: { text: '{{ message.body }}' },
      headers: { 'X-Route': 'vip' },
    });

    assert.deepEqual(await problems(yaml('{ bdy: { text: hi } }')), [
      '8:17 routes[0].to[0].with.bdy: unknown field "bdy" (did you mean "body"?); expected one of: body, headers',
    ]);
    assert.deepEqual(await problems(yaml('{ headers: { X-Route: "{{ event | nofilter }}" } }')), [
      '8:37 routes[0].to[0].with.headers.X-Route: invalid template: undefined filter: nofilter',
    ]);
  });

  test('a connector type without params refuses a `with:` block', async () => {
    const issues = await problems(`
server: { secret: abcdefgh12 }
connectors:
  out: { type: file, path: ./x.jsonl }
routes:
  - name: r
    to:
      - connector: out
        with: { line: "{{ id }}" }
`);
    assert.deepEqual(issues, ['8:15 routes[0].to[0].with: connector type "file" takes no `with:` parameters']);
  });
});

describe('config: connector checks', () => {
  test('an http url whose host is a template is rejected (event data must not pick the host)', async () => {
    const issues = await problems(`
server: { secret: abcdefgh12 }
connectors:
  hook:
    type: http
    url: https://{{ data.host }}/x
`);
    assert.deepEqual(issues, [
      '5:10 connectors.hook.url: url must start with a literal http(s)://host/ (templates are allowed in the path and query only)',
    ]);
    // A template in the path and query is fine.
    await loadOk(`
server: { secret: abcdefgh12 }
connectors:
  hook: { type: http, url: "https://example.com/chats/{{ chat.id }}?device={{ device.id }}" }
`);
  });

  test('every example of every built-in connector parses with its config schema', () => {
    assert.ok(builtinConnectors.length >= 2);
    for (const definition of builtinConnectors) {
      assert.ok((definition.examples ?? []).length > 0, `${definition.type} has no examples`);
      for (const example of definition.examples ?? []) {
        const parsed = definition.config.safeParse(example.config);
        assert.ok(parsed.success, `${definition.type} example "${example.title}": ${parsed.error?.message}`);
      }
    }
  });
});

describe('config: the shipped config/wa-router.yaml', () => {
  const shipped = fileURLToPath(new URL('../../config/wa-router.yaml', import.meta.url));

  test('validates with WA_ROUTER_SECRET set', async () => {
    const result = await loadRouterConfig(shipped, { WA_ROUTER_SECRET: 'a-long-enough-secret' });
    if (!result.ok) assert.fail(result.issues.map(show).join('\n'));
    assert.deepEqual([...result.config.connectors.keys()], ['events-file']);
    assert.deepEqual(
      result.config.routes.map((route) => route.name),
      ['everything-to-file'],
    );
    assert.equal(result.config.server.secret, 'a-long-enough-secret');
  });

  test('without WA_ROUTER_SECRET, says which variable is missing and where', async () => {
    const result = await loadRouterConfig(shipped, {});
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues.map(show), [
      '8:11 environment variable WA_ROUTER_SECRET is not set (use ${WA_ROUTER_SECRET:-default} for a default)',
    ]);
  });
});

describe('config: messages written for people', () => {
  test('bounds say "must be at least/at most", not zod\'s "Too small: expected number to be >=1"', async () => {
    const issues = await problems(`
server: { port: 70000, secret: abcdefgh12 }
connectors:
  out: { type: file, path: ./out.jsonl, delivery: { maxAttempts: 0, maxInFlight: 1000 } }
routes:
  - { name: all, to: [] }
`);
    assert.deepEqual(issues, [
      '1:17 server.port: must be at most 65535',
      '3:66 connectors.out.delivery.maxAttempts: must be at least 1',
      '3:82 connectors.out.delivery.maxInFlight: must be at most 256',
      '5:22 routes[0].to: a route needs at least one connector in `to`',
    ]);
    for (const issue of issues) assert.doesNotMatch(issue, /Too (small|big)|expected number to be/);
  });
});
