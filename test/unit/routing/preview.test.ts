import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinRegistry } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { dryRun } from '../../../src/routing/preview.ts';
import { fixture } from '../../testkit/router.ts';

test('the preview says, for each route that did not match, the first condition that failed', async () => {
  const loaded = await loadConfig('preview.yaml', {
    registry: builtinRegistry(),
    env: {},
    text: `server: { port: 0, secret: preview-secret }
connectors:
  archive: { type: file, path: ./events.jsonl }
routes:
  - name: vip
    when: { event: message:in:new, message.body: { $regex: "(?i)refund" } }
    to: [archive]
  - name: everything
    to: [archive]
`,
  });
  assert.ok(loaded.ok);
  const result = await dryRun(loaded.config, JSON.parse(fixture('message-in-new')));
  assert.ok(result.ok);
  const [event] = result.events;
  assert.deepEqual(event!.matchedRoutes, ['everything']);
  assert.deepEqual(event!.unmatchedRoutes, [
    { route: 'vip', reason: 'message.body: "Hello" does not match $regex "(?i)refund"' },
  ]);
});

test('router events reach only routes whose when tests event; a catch-all route never gets them', async () => {
  const { planEvent } = await import('../../../src/routing/plan.ts');
  const loaded = await loadConfig('alerts.yaml', {
    registry: builtinRegistry(),
    env: {},
    text: `server: { port: 0, secret: preview-secret }
connectors:
  archive: { type: file, path: ./events.jsonl }
  ops: { type: file, path: ./ops.jsonl }
routes:
  - name: everything
    to: [archive]
  - name: dead-letters
    when: { event: { $startsWith: "router:" } }
    to: [ops]
`,
  });
  assert.ok(loaded.ok);
  const alert = { id: 'a', event: 'router:delivery:dead', receivedAt: '', device: { id: 'wa-router' }, data: {} };
  assert.deepEqual(planEvent(alert, loaded.config.routes).matched, ['dead-letters']);
  const message = { ...alert, event: 'message:in:new', device: { id: 'dev' } };
  assert.deepEqual(planEvent(message, loaded.config.routes).matched, ['everything']);
});
