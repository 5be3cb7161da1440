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
