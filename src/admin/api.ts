import type Router from '@koa/router';
import type Koa from 'koa';
import type { z } from 'zod';
import { secretMatches } from '../http/auth.ts';
import { readBody } from '../http/body.ts';
import { HttpProblem } from '../http/problem.ts';
import { didYouMean } from '../util/suggest.ts';
import type { AdminContext, AdminDeps } from './endpoint.ts';
import { ENDPOINTS } from './endpoints.ts';
import { HealthCache } from './health.ts';

export const ADMIN_API = '/admin/api';

export type { AdminContext, AdminDeps, Endpoint, HandlerInput } from './endpoint.ts';

/** 404 exactly like an unknown path when the admin API is off; 401 without the right bearer token. */
export function adminGuard(deps: Pick<AdminDeps, 'token'>, ctx: Koa.Context, requireToken: boolean): void {
  const expected = deps.token();
  if (expected === '') throw new HttpProblem(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
  if (!requireToken) return;
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!secretMatches(match?.[1], expected)) {
    ctx.set('WWW-Authenticate', 'Bearer realm="wa-router admin"');
    throw new HttpProblem(401, 'unauthorized', 'missing or wrong admin token (Authorization: Bearer …)');
  }
}

/** The admin API: JSON under /admin/api, every route of the ENDPOINTS table behind the admin token. */
export function mountAdminApi(router: Router, deps: AdminDeps): void {
  const admin: AdminContext = { ...deps, health: new HealthCache() };
  for (const entry of ENDPOINTS) {
    const method = entry.method === 'GET' ? 'get' : 'post';
    router[method](`${ADMIN_API}${entry.path}`, async (ctx) => {
      adminGuard(deps, ctx, true);
      ctx.set('Cache-Control', 'no-store');
      const query = entry.query ? parse(entry.query, plainQuery(ctx.query), 'query', 'invalid_query') : undefined;
      const body = entry.body
        ? parse(entry.body, await jsonBody(ctx, deps.config().server.bodyLimit), 'body', 'invalid_request')
        : undefined;
      const params = (ctx as Koa.Context & { params: Record<string, string> }).params;
      const answer = await entry.handler({ params, query, body, admin, ctx });
      ctx.status = 200;
      ctx.body = { ok: true, ...answer };
    });
  }
}

/** Query values as single trimmed strings; empty ones dropped (an empty form field means "any"). */
function plainQuery(query: Koa.Context['query']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) throw new HttpProblem(400, 'invalid_query', `give \`${name}\` once`);
    const trimmed = value?.trim();
    if (trimmed) out[name] = trimmed;
  }
  return out;
}

/** Validate with zod; a failure is a 400 naming each wrong field (`query.limit: …`). */
function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'query' | 'body', code: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema);
      return issue.keys.map((key) => ({
        path: `${path}.${key}`,
        message: `unknown ${where === 'query' ? 'parameter' : 'field'} "${key}"${didYouMean(key, known)}; expected one of: ${known.join(', ')}`,
      }));
    }
    return [{ path, message: issue.message.replace(/^Invalid input: /, '') }];
  });
  throw new HttpProblem(400, code, issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), issues);
}

function knownKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

async function jsonBody(ctx: Koa.Context, limit: number): Promise<unknown> {
  const text = await readBody(ctx.req, limit);
  if (text.trim() === '') return undefined;
  if (!ctx.request.is('json'))
    throw new HttpProblem(415, 'unsupported_media_type', 'Content-Type must be application/json');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpProblem(400, 'invalid_json', `body is not valid JSON: ${(error as Error).message}`);
  }
}
