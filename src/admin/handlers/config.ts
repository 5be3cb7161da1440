import { z } from 'zod';
import { dryRun } from '../../routing/preview.ts';
import { HttpProblem } from '../../http/problem.ts';
import { scrub } from '../../observability/logger.ts';
import type { HandlerInput } from '../api.ts';

/** A webhook payload as Wassenger sends it; its shape is checked by the route preview itself. */
export const webhookPayload = z.unknown();

/** GET /config: the running config, every secret redacted. */
export async function getConfig({ admin }: HandlerInput<unknown, unknown>): Promise<object> {
  const config = admin.config();
  return { file: config.file, config: config.redacted };
}

/** POST /config/reload: 422 (the running config kept) when the file does not validate. */
export async function reloadConfig({ admin }: HandlerInput<unknown, unknown>): Promise<object> {
  const reloaded = await admin.reload();
  admin.log.info({ action: 'reload', reloaded }, 'Admin: config reload asked.');
  if (!reloaded)
    throw new HttpProblem(
      422,
      'config_invalid',
      'the config file does not validate; the running config is kept (its problems are in the log, or run `wa-router validate`)',
    );
  const config = admin.config();
  return { reloaded: true, connectors: [...config.connectors.keys()], routes: config.routes.map((r) => r.name) };
}

/** POST /route-test: which routes match a payload and what each connector would send; nothing stored or sent. */
export async function routeTest({ body, admin }: HandlerInput<unknown, unknown>): Promise<object> {
  const config = admin.config();
  const result = await dryRun(config, body);
  if (!result.ok) throw new HttpProblem(400, 'invalid_payload', result.error, result.issues);
  // What a connector would send may carry `${VAR}` values (headers, tokens): scrub like `wa-router route`.
  return JSON.parse(scrub(JSON.stringify({ events: result.events }), config.secrets)) as object;
}
