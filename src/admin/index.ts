import type Router from '@koa/router';
import { mountAdminApi, type AdminDeps } from './api.ts';
import { mountConsole } from './console.ts';

export type { AdminDeps } from './api.ts';

/** Mount the admin API (/admin/api) and the web console (/console); both answer 404 while `admin.token` is empty. */
export function adminRoutes(deps: AdminDeps): (router: Router) => void {
  return (router) => {
    mountAdminApi(router, deps);
    mountConsole(router, deps);
  };
}
