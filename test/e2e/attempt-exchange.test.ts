import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, admin } from '../admin/helpers.ts';
import { HttpSink } from '../testkit/http-sink.ts';
import { SERVER_YAML, fixture, startTestRouter, type TestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const HOOK_TOKEN = 'hook-bearer-secret-5150-abcdef';

const config = (sinkUrl: string, capture: string) => `${SERVER_YAML}
admin:
  token: ${ADMIN_TOKEN}
${capture}
connectors:
  hook:
    type: http
    url: ${sinkUrl}/in/{{ event }}?token=\${HOOK_TOKEN}
    headers: { Authorization: "Bearer \${HOOK_TOKEN}" }
    delivery: { backoffBaseMs: 20, maxBackoffMs: 40 }
routes:
  - name: all
    to: [hook]
`;

interface Attempt {
  outcome: string;
  request?: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status?: number; headers: Record<string, string>; body?: string };
}

/** The only event's detail once its delivery is done, and the detail's JSON text. */
async function deliveredDetail(t: TestRouter): Promise<{ attempts: Attempt[]; text: string }> {
  const api = admin(t);
  const { json } = await waitFor(async () => {
    const list = await api('GET', '/events');
    const id = list.json.events?.[0]?.id as string | undefined;
    const detail = id ? await api('GET', `/events/${encodeURIComponent(id)}`) : undefined;
    return detail?.json.deliveries?.[0]?.status === 'delivered' ? detail : undefined;
  }, 'the delivery to succeed');
  return { attempts: json.deliveries[0].attemptLog as Attempt[], text: JSON.stringify(json) };
}

/** Every byte the router wrote: its SQLite files and its log lines. */
function everythingWritten(t: TestRouter): string {
  const files = ['router.db', 'router.db-wal'].map((name) => join(t.dir, name)).filter((path) => existsSync(path));
  return [...files.map((path) => readFileSync(path).toString('latin1')), ...t.rawLogs].join('\n');
}

describe("each attempt's request and response, through the real router", () => {
  let sink: HttpSink;
  before(async () => {
    sink = await HttpSink.start();
  });
  after(() => sink.close());

  test('capture.attempts: all → both attempts (500 then 200) show their request and response, secrets masked', async () => {
    sink.requests.length = 0;
    sink.reply({ status: 500, headers: { 'x-upstream': 'down' }, body: '{"error":"upstream down"}' });
    const t = await startTestRouter(config(sink.url, 'capture: { attempts: all }'), { HOOK_TOKEN });
    try {
      const webhook = fixture('message-in-new');
      assert.equal((await t.post(webhook)).status, 200);
      const { attempts, text } = await deliveredDetail(t);
      assert.deepEqual(
        attempts.map((a) => [a.outcome, a.response?.status]),
        [
          ['retry', 500],
          ['delivered', 200],
        ],
      );
      const [first, second] = sink.requests;
      for (const [n, attempt] of attempts.entries()) {
        const sent = [first, second][n]!;
        assert.equal(attempt.request?.method, 'POST');
        assert.equal(attempt.request?.url, `${sink.url}/in/message%3Ain%3Anew?token=[redacted]`);
        assert.equal(attempt.request?.headers.authorization, 'Bearer [redacted]');
        assert.equal(attempt.request?.headers['content-type'], 'application/json');
        assert.match(attempt.request?.headers['idempotency-key'] ?? '', /^evt_.+:hook$/);
        assert.equal(sent.headers.authorization, `Bearer ${HOOK_TOKEN}`, 'the real request had the token');
        // The normalized event, as sent; the start of it when longer than 4 KB.
        const body = attempt.request?.body ?? '';
        assert.ok(body.startsWith('{"id":"evt_'), body.slice(0, 40));
        assert.equal(body.split('\n[… ')[0], sent.body.slice(0, body.split('\n[… ')[0]!.length));
      }
      assert.equal(attempts[0]!.response?.headers['x-upstream'], 'down');
      assert.equal(attempts[0]!.response?.body, '{"error":"upstream down"}');
      assert.equal(attempts[1]!.response?.body, '{"ok":true}');
      assert.ok(!text.includes(HOOK_TOKEN), 'the admin API never shows the token');
      assert.ok(!everythingWritten(t).includes(HOOK_TOKEN), 'nor does the store or the log');
    } finally {
      await t.close();
    }
  });

  test('by default (failures) only the failed attempt keeps them; capture.attempts: off keeps none', async () => {
    for (const [capture, expected] of [
      ['', [true, false]],
      ['capture: { attempts: off }', [false, false]],
    ] as const) {
      sink.reply({ status: 503, body: 'busy' });
      const t = await startTestRouter(config(sink.url, capture), { HOOK_TOKEN });
      try {
        await t.post(fixture('message-in-new'));
        const { attempts } = await deliveredDetail(t);
        assert.deepEqual(
          attempts.map((a) => a.request !== undefined && a.response !== undefined),
          expected,
          capture || 'default',
        );
      } finally {
        await t.close();
      }
    }
  });
});
