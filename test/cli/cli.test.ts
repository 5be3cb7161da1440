import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { SECRET, SERVER_YAML, fixture, startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { builtinConnectors } from '../../connectors/index.ts';

/** The built-in types, as `validate` lists them. */
const BUILTIN_TYPES = builtinConnectors
  .map((definition) => definition.type)
  .sort()
  .join(', ');

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real CLI (`node --import tsx src/cli.ts …`) from the repo root, as a user would. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const {
    NODE_TEST_CONTEXT: _testRunner,
    WA_ROUTER_CONFIG: _config,
    WA_ROUTER_SECRET: _secret,
    ...inherited
  } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...inherited, WA_ROUTER_SECRET: SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // Generous: the machine may be shared, and a CLI start (tsx) then takes several seconds.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run CLI commands one after the other: each start gets the machine's cores to itself. */
async function sequentially<const T extends readonly (() => Promise<Run>)[]>(
  runs: T,
): Promise<{ [K in keyof T]: Run }> {
  const results: Run[] = [];
  for (const run of runs) results.push(await run());
  return results as { [K in keyof T]: Run };
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-cli-'));
  dirs.push(dir);
  return dir;
}

describe('wa-router validate', () => {
  test('a good config: prints OK with what it found, exit 0', async () => {
    const run = await cli(['validate', '--config', 'test/fixtures/configs/valid.yaml']);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'test/fixtures/configs/valid.yaml: OK (2 connectors, 2 routes)\n');
    assert.equal(run.code, 0);
  });

  test('a bad config: every problem as <file>:<line>:<col> <path>: <message>, then a count, exit 1', async () => {
    const file = 'test/fixtures/configs/mistakes.yaml';
    const run = await cli(['validate', '--config', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    assert.deepEqual(lines, [
      `${file}:1:1 server.secret: missing required field (expected string)`,
      `${file}:2:9 server.port: expected number, received string`,
      `${file}:7:5 connectors.crm.chanel: unknown field "chanel"; expected one of: url, method, headers, body, idempotencyHeader, signing`,
      `${file}:8:5 connectors.crm.metod: unknown field "metod" (did you mean "method"?); expected one of: url, method, headers, body, idempotencyHeader, signing`,
      `${file}:10:11 connectors.archive.type: unknown connector type "files" (did you mean "file"?); known types: ${BUILTIN_TYPES}`,
      `${file}:15:30 routes[0].when.message.body.$regx: unknown operator "$regx" (did you mean "$regex"?)`,
      `${file}:16:10 routes[0].to[0]: no connector named "crn" (did you mean "crm"?)`,
      `${file}:19:31 routes[1].when.message.body.$regex: invalid regular expression "(urgent": Unterminated group`,
      `8 problems in ${file}`,
    ]);
    for (const line of lines.slice(0, -1))
      assert.match(line, /^test\/fixtures\/configs\/mistakes\.yaml:\d+:\d+ [\w.[\]$]+: \S/);
  });

  test('an unset ${VAR}: names the variable and its line, exit 1', async () => {
    const run = await cli(['validate', '--config', 'test/fixtures/configs/valid.yaml'], {
      WA_ROUTER_SECRET: undefined,
    });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'test/fixtures/configs/valid.yaml:4:11 environment variable WA_ROUTER_SECRET is not set (use ${WA_ROUTER_SECRET:-default} for a default)\n' +
        '1 problem in test/fixtures/configs/valid.yaml\n',
    );
  });
});

describe('wa-router route (dry run)', () => {
  test('shows the matched routes and the exact request, sends nothing, redacts secrets', async () => {
    const sink = await HttpSink.start({ status: 200 });
    const dir = tempDir();
    const token = 'crm-token-5f4e3d2c1b';
    const archive = join(dir, 'archive.jsonl');
    const config = join(dir, 'wa-router.yaml');
    writeFileSync(
      config,
      `${SERVER_YAML}
store: sqlite:${join(dir, 'router.db')}
connectors:
  crm:
    type: http
    url: ${sink.url}/contacts/{{ contact.phone }}/messages?device={{ device.id }}
    headers:
      Authorization: Bearer \${CRM_TOKEN}
      X-Chat: "{{ chat.id }}"
    body:
      text: "{{ message.body }}"
      from: "{{ contact.phone }}"
      labels: "{{ chat.labels }}"
      fromMe: "{{ message.fromMe }}"
  archive:
    type: file
    path: ${archive}
    line: { id: "{{ id }}", text: "{{ message.body }}" }
routes:
  - name: inbound-to-crm
    when: { event: message:in:new, message.fromMe: false }
    to: [crm]
  - name: everything-to-archive
    to: [archive, crm]
  - name: acks-only
    when: { event: message:out:ack }
    to: [crm]
`,
    );
    try {
      const run = await cli(['route', 'test/fixtures/wassenger/message-in-new.json', '--config', config], {
        CRM_TOKEN: token,
      });
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
      const output = JSON.parse(run.stdout) as { events: { id: string }[] };
      const id = output.events[0]?.id ?? '';
      assert.match(id, /^evt_[0-9a-f]+$/);
      assert.deepEqual(output, {
        events: [
          {
            id,
            event: 'message:in:new',
            matchedRoutes: ['inbound-to-crm', 'everything-to-archive'],
            // Each route that did not match says which condition failed first.
            unmatchedRoutes: [
              { route: 'acks-only', reason: 'event: "message:in:new" does not equal "message:out:ack"' },
            ],
            // crm is named by two routes and gets the event once, through the first.
            deliveries: [
              {
                connector: 'crm',
                type: 'http',
                route: 'inbound-to-crm',
                idempotencyKey: `${id}:crm`,
                wouldSend: {
                  method: 'POST',
                  url: `${sink.url}/contacts/%2B12345678909/messages?device=61b37a069cba0c15d`,
                  headers: {
                    'user-agent': 'wa-router',
                    authorization: 'Bearer [redacted]',
                    'x-chat': '1234567890@c.us',
                    'idempotency-key': `${id}:crm`,
                    'content-type': 'application/json',
                  },
                  // The rendered body is shown as JSON (formatted with the rest), not as an escaped string.
                  body: {
                    text: 'Hello',
                    from: '+12345678909',
                    labels: ['7', 'NEW', 'label'],
                    fromMe: false,
                  },
                },
              },
              {
                connector: 'archive',
                type: 'file',
                route: 'everything-to-archive',
                idempotencyKey: `${id}:archive`,
                wouldSend: { path: archive, line: { id, text: 'Hello' } },
              },
            ],
          },
        ],
      });
      assert.ok(!run.stdout.includes(token), 'the token from ${CRM_TOKEN} must not be printed');
      assert.ok(!run.stdout.includes(SECRET), 'the webhook secret must not be printed');
      assert.match(run.stdout, /\n +"body": \{\n +"text": "Hello",\n/, 'the body is indented JSON');
      // Nothing was delivered: no request reached the endpoint, no line was written, no store created.
      assert.equal(sink.requests.length, 0);
      assert.equal(existsSync(archive), false);
      assert.equal(existsSync(join(dir, 'router.db')), false);
    } finally {
      await sink.close();
    }
  });

  test('an invalid payload: says what is wrong and where, exit 1', async () => {
    const dir = tempDir();
    const payload = join(dir, 'payload.json');
    writeFileSync(payload, JSON.stringify({ event: 'message:in:new', device: { id: 'dev1' }, data: 'not an object' }));
    const run = await cli(['route', payload, '--config', 'test/fixtures/configs/valid.yaml']);
    assert.equal(run.code, 1);
    assert.deepEqual(JSON.parse(run.stdout), {
      ok: false,
      error: 'invalid Wassenger webhook: data: expected an object, received a string',
      issues: [{ path: 'data', message: 'expected an object, received a string' }],
    });
  });
});

describe('wa-router dead-letters and replay', () => {
  test('list a dead letter left by a router run, replay it, and see it delivered by the next run', async () => {
    const sink = await HttpSink.start({ status: 400, body: '{"error":"token crm-token-9a8b7c6d5e is not allowed"}' });
    const dir = tempDir();
    const env = { CRM_TOKEN: 'crm-token-9a8b7c6d5e' };
    const yaml = `${SERVER_YAML}
store: sqlite:${join(dir, 'router.db')}
connectors:
  crm:
    type: http
    url: ${sink.url}/notes
    headers: { Authorization: "Bearer \${CRM_TOKEN}" }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [crm]
`;
    const config = join(dir, 'wa-router.yaml');
    writeFileSync(config, yaml);
    try {
      // Run 1: the endpoint answers 400, a permanent failure: the delivery becomes a dead letter.
      const first = await startTestRouter(yaml, env);
      let dead;
      try {
        assert.equal((await first.post(fixture('message-in-new'))).status, 200);
        [dead] = await waitFor(async () => {
          const rows = await first.router.store.listDeliveries({ status: 'dead', limit: 10 });
          return rows.length === 1 ? rows : undefined;
        }, 'the dead letter');
      } finally {
        await first.close();
      }
      assert.ok(dead);
      assert.equal(sink.requests.length, 1);

      const [list, json] = await sequentially([
        () => cli(['dead-letters', 'list', '--config', config], env),
        () => cli(['dead-letters', 'list', '--json', '--config', config], env),
      ]);
      // The reason is the endpoint's answer, with the token it echoed scrubbed.
      const reason = 'HTTP 400: {"error":"token [redacted] is not allowed"}';
      assert.equal(list.stderr, '');
      assert.equal(list.code, 0);
      assert.equal(
        list.stdout,
        'ID\tFAILED AT\tCONNECTOR\tEVENT\tEVENT ID\tATTEMPTS\tLAST ERROR\n' +
          `${dead.id}\t${new Date(dead.updatedAt).toISOString()}\tcrm\tmessage:in:new\t${dead.eventId}\t1\t${reason}\n`,
      );
      assert.equal(json.code, 0);
      const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
      assert.equal(rows.length, 1);
      assert.deepEqual(
        {
          id: rows[0]!.id,
          eventId: rows[0]!.eventId,
          connector: rows[0]!.connector,
          route: rows[0]!.route,
          status: rows[0]!.status,
          lastError: rows[0]!.lastError,
          updatedAt: rows[0]!.updatedAt,
        },
        {
          id: dead.id,
          eventId: dead.eventId,
          connector: 'crm',
          route: 'inbound',
          status: 'dead',
          lastError: reason,
          updatedAt: new Date(dead.updatedAt).toISOString(),
        },
      );
      assert.match(String(rows[0]!.receivedAt), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

      // Usage errors, each saying what is wrong, with a did-you-mean where one helps (exit 2).
      const [badId, unknownId, badConnector, badEvent, badSince, noneMatched] = await sequentially([
        () => cli(['dead-letters', 'replay', '--id', 'abc', '--config', config], env),
        () => cli(['dead-letters', 'replay', '--id', '999', '--config', config], env),
        () => cli(['dead-letters', 'replay', '--connector', 'crn', '--config', config], env),
        () => cli(['replay', '--since', '2h', '--event', 'message:in:nwe', '--config', config], env),
        () => cli(['replay', '--since', 'yesterday', '--config', config], env),
        () => cli(['replay', '--since', '2020-01-01', '--until', '2020-01-02T00:00:00Z', '--config', config], env),
      ]);
      assert.deepEqual(
        [badId, unknownId, badConnector, badEvent, badSince].map((run) => [run.code, run.stdout, run.stderr]),
        [
          [2, '', '--id: "abc" is not a dead letter id (ids are numbers, as `dead-letters list` shows them)\n'],
          [2, '', '--id: no dead letter with id 999 (see `wa-router dead-letters list`)\n'],
          [2, '', '--connector: no connector named "crn" (did you mean "crm"?); known: crm\n'],
          [
            2,
            '',
            '--event: unknown event type "message:in:nwe" (did you mean "message:in:new"?), and no stored event has it\n',
          ],
          [
            2,
            '',
            '--since "yesterday": expected an ISO date or time (2026-11-25, 2026-11-25T10:00:00Z) or a duration back from now (90m, 2h, 3d)\n',
          ],
        ],
      );
      assert.equal(noneMatched.code, 0);
      assert.equal(noneMatched.stdout, 'Nothing matched: no stored event received in that time.\n');

      const replayDead = await cli(['dead-letters', 'replay', '--all', '--config', config], env);
      assert.equal(replayDead.stderr, '');
      assert.equal(replayDead.stdout, '1 dead letter set to be delivered again.\n');
      assert.equal(replayDead.code, 0);
      const replayEvents = await cli(['replay', '--since', '1h', '--config', config], env);
      assert.equal(replayEvents.stderr, '');
      // Explicit targets: the message's delivery is already queued again (above), so nothing of it is
      // sent twice; the router's own event about its dead letter has no delivery and is routed again.
      assert.equal(
        replayEvents.stdout,
        '0 failed or dead deliveries set to be delivered again; 1 event without deliveries routed again ' +
          '(of 2 events in that time); deliveries that succeeded are left alone (--include-delivered sends those too).\n',
      );
      assert.equal(replayEvents.code, 0);

      // Run 2, same store: the endpoint is fixed and the replayed delivery goes through.
      sink.fallback = { status: 200 };
      const second = await startTestRouter(yaml, env);
      try {
        const delivered = await waitFor(async () => {
          const [row] = await second.router.store.listDeliveries({ eventId: dead.eventId, limit: 10 });
          return row?.status === 'delivered' ? row : undefined;
        }, 'the replayed delivery');
        assert.equal(delivered.id, dead.id);
        assert.equal(delivered.ref, '200');
        assert.deepEqual(await second.router.store.listDeliveries({ status: 'dead', limit: 10 }), []);
      } finally {
        await second.close();
      }
      // Every attempt, before and after the replay, carried the same idempotency key.
      assert.ok(sink.requests.length >= 2);
      assert.deepEqual(
        new Set(sink.requests.map((request) => request.headers['idempotency-key'])),
        new Set([`${dead.eventId}:crm`]),
      );
    } finally {
      await sink.close();
    }
  });
});

describe('wa-router usage', () => {
  test('--help prints the usage, exit 0; an unknown command or a bad flag, exit 2', async () => {
    const [help, unknown, none, badFlag, noSelection, badLimit] = await sequentially([
      () => cli(['--help']),
      () => cli(['frobnicate']),
      () => cli([]),
      () => cli(['validate', '--frobnicate']),
      () => cli(['dead-letters', 'replay', '--config', 'test/fixtures/configs/valid.yaml']),
      () => cli(['dead-letters', 'list', '--limit', 'ten', '--config', 'test/fixtures/configs/valid.yaml']),
    ]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^wa-router: routes Wassenger WhatsApp webhooks to your tools\.\n/);
    for (const command of [
      'serve',
      'validate',
      'route <payload.json>',
      'dead-letters list',
      'dead-letters replay',
      'replay --since TIME',
    ]) {
      assert.ok(help.stdout.includes(`wa-router ${command}`), command);
    }
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^unknown command "frobnicate"\n\nwa-router: routes/);
    assert.equal(none.code, 2);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /^Unknown option '--frobnicate'/);
    assert.equal(noSelection.code, 2);
    assert.equal(noSelection.stderr, 'say which: --id ID[,ID…], --connector NAME or --all\n');
    assert.equal(badLimit.code, 2);
    assert.equal(badLimit.stderr, '--limit must be a whole number of at least 1 (got "ten")\n');
  });
});

describe('wa-router --version, <command> --help, and a closed pipe', () => {
  test('--version prints the package version; <command> --help prints that command help, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const [ver, replayHelp, deadHelp, serveHelp] = await sequentially([
      () => cli(['--version']),
      () => cli(['replay', '--help']),
      () => cli(['dead-letters', '--help']),
      () => cli(['serve', '--help']),
    ]);
    assert.deepEqual([ver.code, ver.stdout, ver.stderr], [0, `wa-router ${version}\n`, '']);
    assert.equal(replayHelp.code, 0);
    assert.match(replayHelp.stdout, /^Usage: wa-router replay --since TIME/);
    assert.match(replayHelp.stdout, /duration back from now\s+\(90m, 2h, 3d\)/);
    assert.match(deadHelp.stdout, /^Usage: wa-router dead-letters list/);
    assert.match(serveHelp.stdout, /PORT, WA_ROUTER_PORT/);
  });

  test('`wa-router schema | head -n 3` ends quietly: no EPIPE stack trace', async () => {
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn('sh', ['-c', `"${process.execPath}" --import tsx src/cli.ts schema | head -n 3`], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(run.stderr, '');
    assert.equal(run.stdout.split('\n').length, 4);
    assert.match(run.stdout, /^\{\n {2}"\$schema"/);
  });
});
