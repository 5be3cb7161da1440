import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import type Koa from 'koa';
import { type AdminDeps, adminGuard } from './api.ts';

/**
 * The console's files: next to this module in the sources, and copied beside the compiled module
 * by the build (tsc copies no HTML, CSS or JS), so the same relative path holds in both.
 */
export const CONSOLE_STATIC_DIR = fileURLToPath(new URL('./console/static/', import.meta.url));

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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * Every file of the console, by URL path (`/console` is index.html), read once: the set served is
 * fixed at start-up, so no request path ever reaches the file system.
 */
export function loadConsoleAssets(dir = CONSOLE_STATIC_DIR): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const file = join(entry.parentPath, entry.name);
    const body = readFileSync(file);
    const relative = file.slice(dir.length).split('\\').join('/').replace(/^\/+/, '');
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(relative === 'index.html' ? '/console' : `/console/${relative}`, { type, body, etag });
  }
  if (!assets.has('/console')) throw new Error(`the console's index.html is missing from ${dir}`);
  return assets;
}

/** The web console: static files served from memory. Off (404) with the admin API. */
export function mountConsole(router: Router, deps: Pick<AdminDeps, 'token'>): void {
  const assets = loadConsoleAssets();
  const serve = (file: ConsoleAsset) => async (ctx: Koa.Context) => {
    adminGuard(deps, ctx, false);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.set(name, value);
    // Revalidated on every load (a cheap 304): an upgraded router never runs a stale script.
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('ETag', file.etag);
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
  for (const [path, file] of assets) {
    router.get(path, serve(file));
    if (path === '/console') router.get('/console/', serve(file));
  }
}
