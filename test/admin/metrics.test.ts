import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';
import { ADMIN_ENV, adminConfig, admin, inbound } from './helpers.ts';

/** Parse the Prometheus text format into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
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
    assert.equal(value('wa_router_events_total{outcome="accepted"}'), 3);
    assert.equal(value('wa_router_events_total{outcome="duplicate"}'), 1);
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
    assert.ok(value('wa_router_process_cpu_user_seconds_total') > 0);
    assert.ok(value('wa_router_process_resident_memory_bytes') > 0);
    assert.ok(value('wa_router_nodejs_eventloop_lag_seconds') >= 0);
  } finally {
    await t.close();
    await sink.close();
  }
});
