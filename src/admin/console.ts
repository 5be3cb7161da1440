import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import type Koa from 'koa';
import { adminGuard, type AdminDeps } from './api.ts';
import { CONSOLE_HTML } from './console/page.ts';
import { CONSOLE_JS } from './console/script.ts';
import { CONSOLE_CSS } from './console/style.ts';

/**
 * Same-origin only, no inline script or style, nothing loaded from elsewhere: even if some event
 * content slipped into the page as markup, it could not run.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const asset = (type: string, body: string) => ({
  type,
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

const ASSETS: Record<string, ReturnType<typeof asset>> = {
  '/console': asset('text/html; charset=utf-8', CONSOLE_HTML),
  '/console/console.js': asset('text/javascript; charset=utf-8', CONSOLE_JS),
  '/console/console.css': asset('text/css; charset=utf-8', CONSOLE_CSS),
};

/** The web console: one page, a script and a stylesheet, served from memory. Off (404) with the admin API. */
export function mountConsole(router: Router, deps: Pick<AdminDeps, 'token'>): void {
  const serve = (path: string) => async (ctx: Koa.Context) => {
    adminGuard(deps, ctx, false);
    const file = ASSETS[path]!;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.set(name, value);
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('ETag', file.etag);
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
  router.get('/console', serve('/console'));
  router.get('/console/', serve('/console'));
  router.get('/console/console.js', serve('/console/console.js'));
  router.get('/console/console.css', serve('/console/console.css'));
}
