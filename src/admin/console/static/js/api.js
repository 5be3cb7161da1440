// The admin API. The token lives in sessionStorage and goes in the Authorization header, never in a URL.
import { toast } from './dom.js';

const TOKEN_KEY = 'wa-router.adminToken';
const API = '/admin/api';
let onRefused = () => {};

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);
export const whenRefused = (run) => {
  onRefused = run;
};

export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token()}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  const json = await response.json().catch(() => ({ ok: false, message: `HTTP ${response.status}` }));
  if (response.status === 401) {
    onRefused('The admin token was refused.');
    throw new Error('unauthorized');
  }
  if (!response.ok || !json.ok) {
    const error = new Error(json.message || `HTTP ${response.status}`);
    error.details = json;
    error.status = response.status;
    throw error;
  }
  return json;
}

/** Show an API error as a toast (a refused token already signed out). */
export function report(error) {
  if (error && error.message !== 'unauthorized') toast(error.message, true);
}
export const quiet = () => {};
