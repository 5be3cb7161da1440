import { z } from 'zod';
import { HttpProblem } from '../../http/problem.ts';
import type { HandlerInput } from '../api.ts';
import { checkConnectors, idList, pageSize } from '../inputs.ts';
import { deliveryJson, pausedConnectors } from '../views.ts';

export const deadLettersQuery = z.strictObject({ connector: z.string().optional(), limit: pageSize });

/** Exactly one of: delivery ids, a connector (all of its dead letters), or all. */
export const replayDeadBody = z
  .strictObject({ ids: idList.optional(), connector: z.string().min(1).optional(), all: z.literal(true).optional() })
  .refine(
    (body) => [body.ids, body.connector, body.all].filter((v) => v !== undefined).length === 1,
    'give exactly one of `ids` (delivery ids), `connector` (all of its dead letters) or `all: true`',
  );

/** GET /dead-letters */
export async function listDeadLetters({
  query,
  admin,
}: HandlerInput<z.output<typeof deadLettersQuery>, unknown>): Promise<object> {
  const { connector, limit } = query;
  const dead = await admin.store.listDeliveries({ status: 'dead', limit, ...(connector ? { connector } : {}) });
  const paused = pausedConnectors(admin.dispatcher.connectors());
  return { deadLetters: dead.map((delivery) => deliveryJson(delivery, paused)) };
}

/** POST /dead-letters/replay: back to pending, attempts reset; unknown ids or connectors are a 400. */
export async function replayDeadLetters({
  body,
  admin,
}: HandlerInput<unknown, z.output<typeof replayDeadBody>>): Promise<object> {
  if (body.connector) checkConnectors(admin, [body.connector], Object.keys((await admin.store.stats()).byConnector));
  if (body.ids) {
    const dead = await admin.store.listDeliveries({ status: 'dead', limit: 100_000 });
    const known = new Set(dead.map((d) => d.id));
    const missing = body.ids.filter((id) => !known.has(id));
    if (missing.length > 0)
      throw new HttpProblem(400, 'not_dead_letters', `not dead letters (unknown or not dead): ${missing.join(', ')}`);
  }
  const query = { ...(body.ids ? { ids: body.ids } : {}), ...(body.connector ? { connector: body.connector } : {}) };
  const replayed = await admin.store.replayDeadLetters(query, Date.now());
  admin.dispatcher.wake(body.connector ? [body.connector] : undefined);
  admin.log.info(
    { action: 'replay_dead_letters', replayed, ...(body.connector ? { connector: body.connector } : {}) },
    'Admin: dead letters replayed.',
  );
  return { replayed };
}
