import { randomUUID } from 'node:crypto';
import type Koa from 'koa';

/** The response header that carries the request id (and the request header a proxy may set). */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** An id a proxy set is kept only when it is short and plain, so it cannot forge log content. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Give every request an id: the caller's `X-Request-Id` when it is plain, else a new UUID. It is
 * answered in the `X-Request-Id` header and logged with the request's lines, so a user who reports
 * a failed webhook can be matched to the log line that says why.
 */
export async function requestId(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  const given = ctx.get(REQUEST_ID_HEADER);
  const id = SAFE_ID.test(given) ? given : randomUUID();
  ctx.state.requestId = id;
  ctx.set(REQUEST_ID_HEADER, id);
  await next();
}

/** Where a request came from and its id, for log lines. */
export function requestFields(ctx: Koa.Context): { requestId: string | undefined; client: string } {
  return { requestId: ctx.state.requestId as string | undefined, client: ctx.ip };
}
