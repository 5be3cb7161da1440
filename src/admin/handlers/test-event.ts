import { z } from 'zod';
import { callConnector } from '../../dispatch/call-connector.ts';
import { HttpProblem } from '../../http/problem.ts';
import { rehydrate } from '../../wassenger/rehydrate.ts';
import { scrub } from '../../observability/logger.ts';
import type { HandlerInput } from '../api.ts';

export const testEventBody = z.strictObject({
  /** Message text of the sample event (default: says it is a test). */
  text: z.string().min(1).max(4_000).optional(),
});

/**
 * A `message:in:new` like Wassenger's, marked as a test in its text and ids; its own id each time
 * so a destination that dedupes on the idempotency key still takes it.
 */
function sampleWebhook(text: string, now: number): string {
  const id = `WA-ROUTER-TEST-${now}`;
  return JSON.stringify({
    object: 'message',
    event: 'message:in:new',
    device: { id: 'wa-router-test', phone: '+10000000000', alias: 'wa-router test' },
    data: {
      id,
      type: 'text',
      flow: 'inbound',
      from: '10000000001@c.us',
      fromNumber: '+10000000001',
      to: '10000000000@c.us',
      toNumber: '+10000000000',
      date: new Date(now).toISOString(),
      body: text,
      chat: { id: '10000000001@c.us', name: 'wa-router test', type: 'chat', contact: { phone: '+10000000001' } },
    },
  });
}

/**
 * POST /connectors/:name/test: one sample event handed to the connector right now, as a delivery of
 * the first route that sends to it (its `with:` block), with the connector's deadline. Nothing is
 * stored and nothing is retried: the answer is the outcome.
 */
export async function sendTestEvent({
  params,
  body,
  admin,
}: HandlerInput<unknown, z.output<typeof testEventBody>>): Promise<object> {
  const name = params.name!;
  const config = admin.config();
  const entry = admin.dispatcher.connectors().get(name);
  if (!entry) throw new HttpProblem(404, 'connector_not_found', `no running connector named "${name}"`);
  const now = Date.now();
  const event = rehydrate({
    id: `evt_test_${now}`,
    body: sampleWebhook(body.text ?? 'Test event sent from the wa-router console', now),
    itemIndex: 0,
    receivedAt: now,
  });
  const target = config.routes
    .flatMap((route) => route.targets.map((t) => ({ route: route.name, params: t.params, connector: t.connector })))
    .find((t) => t.connector === name);
  const delivery = {
    id: `test-${now}`,
    idempotencyKey: `${event.id}:${name}`,
    attempt: 1,
    route: target?.route ?? '(test)',
    event,
    params: target?.params,
  };
  const started = Date.now();
  let thrown: unknown;
  const [outcome] = await callConnector(entry.connector, [delivery], entry.instance.policy.timeoutMs, (error) => {
    thrown = error;
  });
  const clean = (text: string | undefined) => (text === undefined ? null : scrub(text, config.secrets));
  const answer = outcome as { status: string; error?: string; reason?: string; ref?: string };
  admin.log.info({ connector: name, action: 'test_event', outcome: answer.status }, 'Admin: test event sent.');
  return {
    connector: name,
    eventId: event.id,
    route: delivery.route,
    outcome: answer.status,
    durationMs: Date.now() - started,
    error: clean(answer.error ?? answer.reason ?? (thrown instanceof Error ? thrown.message : undefined)),
    ref: answer.ref ?? null,
  };
}
