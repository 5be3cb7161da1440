import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkConnector, memoryState } from '../../src/sdk/testing.ts';
import type { ConnectorDefinition } from '../../src/sdk/index.ts';
import file from './index.ts';

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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
