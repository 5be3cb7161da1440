import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { SERVER_YAML } from '../testkit/router.ts';
import { ADMIN_ENV, ADMIN_TOKEN, adminConfig, admin, inbound } from './helpers.ts';

/** Parse the Prometheus text format into `name{labels}` → value. */
export function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

test('/metrics after traffic: webhooks by result, ingest latency, queue depth and age, deliveries, retries, dead letters, process', async () => {
  const sink = await HttpSink.start();
  const t = await startTestRouter(adminConfig(sink.url), ADMIN_ENV);
  try {
    const api = admin(t);
    sink.reply({ status: 500 }, { status: 400, body: '{"error":"bad"}' });
    assert.equal((await t.post(inbound('M-1'))).status, 200); // 500, then delivered
    await waitFor(() => sink.requests.length === 2, 'retry delivered');
    assert.equal((await t.post(inbound('M-2'))).status, 200); // 400: dead letter
    assert.equal((await t.post(inbound('M-2'))).status, 200); // duplicate
    assert.equal((await t.post(inbound('M-3'), { key: 'wrong-secret' })).status, 401);
    assert.equal((await t.post('{"not":"wassenger"}')).status, 400);
    await waitFor(async () => (await api('GET', '/dead-letters')).json.deadLetters.length === 1, 'a dead letter');
    await api('POST', '/connectors/sink/pause');
    assert.equal((await t.post(inbound('M-4'))).status, 200); // waits in the queue
    await waitFor(
      async () => (await api('GET', '/events?status=pending')).json.events.length === 1,
      'one pending delivery',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const response = await fetch(`${t.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const metrics = parse(await response.text());
    const value = (name: string) => {
      assert.ok(metrics.has(name), `series ${name} is exported`);
      return metrics.get(name)!;
    };
    assert.equal(value('wa_router_webhooks_total{result="accepted"}'), 3);
    assert.equal(value('wa_router_webhooks_total{result="duplicate"}'), 1);
    assert.equal(value('wa_router_webhooks_total{result="unauthorized"}'), 1);
    assert.equal(value('wa_router_webhooks_total{result="invalid_payload"}'), 1);
    assert.equal(value('wa_router_events_total{outcome="accepted",event="message:in:new"}'), 3);
    assert.equal(value('wa_router_events_total{outcome="duplicate",event="message:in:new"}'), 1);
    assert.equal(value('wa_router_route_matches_total{route="inbound"}'), 3);
    assert.equal(value('wa_router_delivery_latency_seconds_count{connector="sink"}'), 1);
    assert.ok(value('wa_router_delivery_latency_seconds_sum{connector="sink"}') > 0);
    assert.equal(value('wa_router_ingest_duration_seconds_count'), 4);
    assert.ok(value('wa_router_ingest_duration_seconds_sum') > 0);
    assert.equal(value('wa_router_deliveries_total{connector="sink",outcome="retry"}'), 1);
    assert.equal(value('wa_router_deliveries_total{connector="sink",outcome="delivered"}'), 1);
    assert.equal(value('wa_router_deliveries_total{connector="sink",outcome="failed"}'), 1);
    assert.equal(value('wa_router_delivery_duration_seconds_count{connector="sink"}'), 3);
    assert.equal(value('wa_router_retries_total{connector="sink"}'), 1);
    assert.equal(value('wa_router_dead_letters_total{connector="sink"}'), 1);
    assert.equal(value('wa_router_dead_letters{connector="sink"}'), 1);
    assert.equal(value('wa_router_queue_depth{connector="sink"}'), 1);
    assert.ok(
      value('wa_router_queue_oldest_due_age_seconds{connector="sink"}') >= 1,
      'the paused delivery has waited over a second',
    );
    assert.equal(value('wa_router_unrouted_events'), 0);
    // Node's default metrics under their standard names, as the usual Node.js dashboards query them.
    assert.ok(value('process_cpu_user_seconds_total') > 0);
    assert.ok(value('process_resident_memory_bytes') > 0);
    assert.ok(value('nodejs_eventloop_lag_seconds') >= 0);
    assert.ok(![...metrics.keys()].some((name) => name.startsWith('wa_router_process_')), 'no renamed copies');
  } finally {
    await t.close();
    await sink.close();
  }
});

test('/metrics: the attempt that runs out of retries counts as outcome="dead"; idle connectors export 0', async () => {
  const sink = await HttpSink.start({ status: 503 });
  const t = await startTestRouter(`${SERVER_YAML}
connectors:
  flaky:
    type: http
    url: ${sink.url}/hook
    delivery: { backoffBaseMs: 20, maxBackoffMs: 40, maxAttempts: 2 }
  idle:
    type: file
    path: "{{DIR}}/idle.jsonl"
routes:
  - name: to-flaky
    when: { event: message:in:new }
    to: [flaky]
  - name: acks-to-idle
    when: { event: message:out:ack }
    to: [idle]
`);
  try {
    assert.equal((await t.post(inbound('D-1'))).status, 200);
    await waitFor(
      async () => (await t.router.store.listDeliveries({ status: 'dead', limit: 5 })).length === 1,
      'the dead letter',
    );
    const metrics = parse(await (await fetch(`${t.url}/metrics`)).text());
    assert.equal(metrics.get('wa_router_deliveries_total{connector="flaky",outcome="retry"}'), 1);
    assert.equal(metrics.get('wa_router_deliveries_total{connector="flaky",outcome="dead"}'), 1);
    assert.equal(metrics.get('wa_router_dead_letters{connector="flaky"}'), 1);
    assert.equal(metrics.get('wa_router_queue_depth{connector="flaky"}'), 0);
    assert.equal(metrics.get('wa_router_queue_depth{connector="idle"}'), 0, 'a connector never used still exports 0');
    assert.equal(metrics.get('wa_router_dead_letters{connector="idle"}'), 0);
    assert.equal(metrics.get('wa_router_route_matches_total{route="to-flaky"}'), 1);
    assert.equal(metrics.has('wa_router_delivery_latency_seconds_count{connector="flaky"}'), false);
  } finally {
    await t.close();
    await sink.close();
  }
});

test('admin.port moves /metrics and the admin API off the webhook port; metrics.token guards /metrics', async () => {
  const metricsToken = 'metrics-token-0123456789';
  const t = await startTestRouter(
    `${SERVER_YAML}
admin: { token: \${WA_ROUTER_ADMIN_TOKEN}, port: 0 }
metrics: { token: \${METRICS_TOKEN} }
`,
    { ...ADMIN_ENV, METRICS_TOKEN: metricsToken },
  );
  try {
    const { adminUrl, url } = t.router;
    assert.notEqual(adminUrl, url);
    assert.equal((await fetch(`${url}/metrics`)).status, 404, 'not on the public port');
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    assert.equal((await fetch(`${url}/admin/api/connectors`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${adminUrl}/admin/api/connectors`, { headers: auth })).status, 200);
    assert.equal((await t.post(inbound('P-1'))).status, 200, 'webhooks still on the public port');
    const open = await fetch(`${adminUrl}/metrics`);
    assert.equal(open.status, 401);
    assert.match(((await open.json()) as { message: string }).message, /metrics\.token/);
    const wrong = await fetch(`${adminUrl}/metrics`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const scraped = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    assert.equal(scraped.status, 200);
    assert.equal(parse(await scraped.text()).get('wa_router_webhooks_total{result="accepted"}'), 1);
    assert.equal((await fetch(`${adminUrl}/healthz`)).status, 200);
  } finally {
    await t.close();
  }
});

test('docs/grafana-dashboard.json and docs/prometheus-alerts.yaml query only metrics a running router exports', async () => {
  const docs = new URL('../../docs/', import.meta.url);
  const dashboard = JSON.parse(readFileSync(new URL('grafana-dashboard.json', docs), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const alerts = parseYaml(readFileSync(new URL('prometheus-alerts.yaml', docs), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const queries = [
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: panel.title, expr: target.expr }))),
    ...alerts.groups.flatMap((group) => group.rules.map((rule) => ({ where: rule.alert, expr: rule.expr }))),
  ];
  assert.ok(queries.length >= 20, 'the dashboard and the alerts have their queries');
  const t = await startTestRouter(SERVER_YAML);
  try {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const families = new Map<string, string>();
    for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1]!, match[2]!);
    const exported = (name: string): boolean => {
      if (families.has(name)) return true;
      const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
      return histogram !== null && families.get(histogram[1]!) === 'histogram';
    };
    const missing: string[] = [];
    for (const { where, expr } of queries) {
      for (const [name] of expr.matchAll(/\b(?:wa_router|process|nodejs)_[a-z0-9_]+/g))
        if (!exported(name)) missing.push(`${where}: ${name}`);
    }
    assert.deepEqual(missing, []);
  } finally {
    await t.close();
  }
});
