import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../test/testkit/process.ts';
import { checkConnector, checkConnectorFaults, memoryState } from '../../src/sdk/testing.ts';
import type { ConnectorDefinition } from '../../src/sdk/index.ts';
import file from './index.ts';

const CHILD = fileURLToPath(new URL('./testing/append-child.ts', import.meta.url));

/** Deliver `events` events in one batch from a child process whose files may not grow past `limitKiB`. */
function appendInChild(path: string, events: number, bodyBytes: number, limitKiB?: number): { status: string }[] {
  const limit = limitKiB === undefined ? '' : `ulimit -f ${limitKiB}; `;
  const run = spawnSync(
    'bash',
    [
      '-c',
      `${limit}exec "$0" --import tsx "$1" "$2" "$3" "$4"`,
      process.execPath,
      CHILD,
      path,
      String(events),
      String(bodyBytes),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { status: string }[];
}

const definition = file as unknown as ConnectorDefinition;

test('file connector conforms and appends one JSON line per delivery, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-file-'));
  try {
    const path = join(dir, 'nested', 'events.jsonl');
    assert.deepEqual(
      await checkConnector(definition, { config: { path, line: { id: '{{ id }}', text: '{{ message.body }}' } } }),
      [],
    );
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; text: string });
    assert.deepEqual(
      lines.map((line) => line.id),
      ['evt_conformance', 'evt_conformance_2', 'evt_conformance_3'],
    );
    assert.equal(lines[0]!.text, 'hello <world> & "friends"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file connector: a path that is a directory is a permanent failure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-file-'));
  try {
    const connector = await definition.create(definition.config.parse({ path: dir }), {
      name: 'f',
      log: console,
      configDir: '.',
      state: memoryState(),
    });
    const [outcome] = await connector.deliver(
      [
        {
          id: '1',
          idempotencyKey: 'k',
          attempt: 1,
          route: 'r',
          params: undefined,
          event: { id: 'e', event: 'x', receivedAt: 'now', device: { id: 'd' }, data: {} },
        },
      ],
      AbortSignal.timeout(1_000),
    );
    assert.equal(outcome!.status, 'failed');
    assert.match((outcome as { reason: string }).reason, /EISDIR/);
    // The attempt records the line it tried to append and why it was not.
    assert.equal(outcome!.exchange?.request?.method, 'APPEND');
    assert.equal(outcome!.exchange?.request?.url, `file:${dir}`);
    assert.match(outcome!.exchange?.request?.body ?? '', /"id":"e"/);
    assert.equal(outcome!.exchange?.response?.body, 'not appended: EISDIR');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file connector: a short write (file size limit, as on a full disk) is not delivered and leaves no fragment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-file-'));
  try {
    const path = join(dir, 'events.jsonl');
    const before = `${JSON.stringify({ id: 'earlier', body: 'kept' })}\n`;
    writeFileSync(path, before);
    // 10 lines of about 1 KB against a 4 KiB limit: the kernel writes part of the batch, then EFBIG.
    const outcomes = appendInChild(path, 10, 1_000, 4);
    assert.equal(outcomes.length, 10);
    for (const outcome of outcomes) assert.equal(outcome.status, 'retry', JSON.stringify(outcome));
    assert.match((outcomes[0] as unknown as { reason: string }).reason, /EFBIG/);
    assert.equal(readFileSync(path, 'utf8'), before, 'the file is cut back to its size before the write');
    // Once there is room again, the next line starts on a line of its own.
    assert.deepEqual(
      appendInChild(path, 1, 10).map((outcome) => outcome.status),
      ['delivered'],
    );
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    for (const line of lines) JSON.parse(line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file connector meets the fault-conformance suite (a full disk is the file pointed at /dev/full)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-file-'));
  const path = join(dir, 'events.jsonl');
  const kept = join(dir, 'events.kept');
  const none = 'a local append has no peer: no answer to lose, no status, no rate limit';
  try {
    const report = await checkConnectorFaults(definition, {
      config: { path, line: { id: '{{ id }}', name: '{{ contact.name }}', text: '{{ message.body }}' } },
      faults: {
        // /dev/full answers every write with ENOSPC: a real full disk, for this file only.
        diskFull: () => {
          if (existsSync(path)) renameSync(path, kept);
          symlinkSync('/dev/full', path);
        },
        lostAnswer: none,
        resetAfterActing: none,
        hang: none,
        garbage: none,
        errorIn200: none,
        rateLimited: none,
      },
      heal: () => {
        if (existsSync(path) && lstatSync(path).isSymbolicLink()) {
          unlinkSync(path);
          if (existsSync(kept)) renameSync(kept, path);
        }
      },
      // Every line must parse: a fragment left by a failed write would make this throw.
      acted: () =>
        existsSync(path)
          ? readFileSync(path, 'utf8')
              .split('\n')
              .filter((line) => line !== '')
              .map((line) => (JSON.parse(line) as { id: string }).id)
          : [],
    });
    for (const line of [...report.covered, ...report.notCovered]) t.diagnostic(line);
    assert.deepEqual(report.problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
