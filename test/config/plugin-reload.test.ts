import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRouterConfig } from '../../src/app.ts';
import type { LoadResult } from '../../src/config/load.ts';

const plugin = (version: string) => `export default ({ defineConnector, delivered, z }) =>
  defineConnector({
    sdkVersion: 1,
    type: 'versioned',
    summary: 'plugin ${version}',
    config: z.object({}).strict(),
    create: () => ({ deliver: async (batch) => batch.map(() => delivered('${version}')) }),
  });
`;

/** The loaded plugin's summary, or the load's issues when it failed. */
function summaryOf(result: LoadResult): string | undefined {
  if (!result.ok) return result.issues.map((issue) => issue.message).join('\n');
  return result.config.connectors.get('mine')?.definition.summary;
}

test('a plugin edited between two loads (a config reload) is imported again, or the reload says to restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-router-plugin-reload-'));
  try {
    mkdirSync(join(dir, 'plugins'));
    writeFileSync(join(dir, 'plugins', 'versioned.js'), plugin('v1'));
    const file = join(dir, 'wa-router.yaml');
    writeFileSync(
      file,
      'server: { secret: s3cret-s3cret }\nplugins: [./plugins/versioned.js]\nconnectors:\n  mine: { type: versioned }\nroutes:\n  - { name: all, to: [mine] }\n',
    );
    const first = await loadRouterConfig(file);
    const second = await loadRouterConfig(file);
    assert.ok(first.ok && second.ok);
    assert.equal(summaryOf(first), 'plugin v1');
    assert.equal(summaryOf(second), 'plugin v1', 'an unchanged plugin loads again as it was');
    writeFileSync(join(dir, 'plugins', 'versioned.js'), plugin('v2'));
    // Plain Node (the package, the container) imports the new version. A loader that caches by
    // path only (tsx, which runs these tests) cannot: then the reload must say a restart is needed,
    // never carry on silently with the old code.
    const after = summaryOf(await loadRouterConfig(file));
    if (after !== 'plugin v2')
      assert.match(after ?? '', /versioned\.js changed .* restart the router to use the new version/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
