/**
 * Credentials the fake accepts: plain bearer tokens (registered, or issued by its `/token`
 * endpoint for a refresh token), and self-signed service-account JWTs (RS256), verified against
 * the public key of a service account the test created.
 */
import { generateKeyPairSync, randomUUID, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/** A throwaway service account: its key file on disk and the public key the fake verifies with. */
export interface ServiceAccount {
  readonly email: string;
  readonly keyId: string;
  readonly publicKey: KeyObject;
  /** Path of the key JSON (as downloaded from the Cloud console). */
  readonly file: string;
}

/** Generate an RSA key pair and write a service-account key JSON into `dir`. */
export function createServiceAccount(dir: string, name = 'wa-router'): ServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = `${name}@test-project.iam.gserviceaccount.com`;
  const keyId = randomUUID().replaceAll('-', '');
  const file = join(dir, `${name}-service-account.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        type: 'service_account',
        project_id: 'test-project',
        private_key_id: keyId,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: '100000000000000000000',
        token_uri: 'https://oauth2.googleapis.com/token',
      },
      null,
      2,
    ),
  );
  return { email, keyId, publicKey, file };
}

/** Who a request authenticates as, or why it does not. */
export type AuthResult = { ok: true; principal: string } | { ok: false; message: string };

function base64url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

export class FakeAuth {
  /** token → principal (an email). */
  readonly tokens = new Map<string, string>();
  readonly serviceAccounts = new Map<string, { keyId: string; publicKey: KeyObject }>();
  /** refresh token → { clientId, clientSecret, principal }. */
  readonly refreshTokens = new Map<string, { clientId: string; clientSecret: string; principal: string }>();
  /** Self-signed JWTs seen (decoded payloads), for tests that check what the client signed. */
  readonly jwtPayloads: Record<string, unknown>[] = [];

  check(header: string | undefined, now = Date.now()): AuthResult {
    const invalid = {
      ok: false as const,
      message:
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    };
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (!match)
      return {
        ok: false,
        message:
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      };
    const token = match[1]!;
    const principal = this.tokens.get(token);
    if (principal) return { ok: true, principal };
    const parts = token.split('.');
    if (parts.length !== 3) return invalid;
    let head: { alg?: string; kid?: string };
    let payload: { iss?: string; sub?: string; scope?: string; aud?: string; iat?: number; exp?: number };
    try {
      head = JSON.parse(base64url(parts[0]!).toString('utf8'));
      payload = JSON.parse(base64url(parts[1]!).toString('utf8'));
    } catch {
      return invalid;
    }
    const account = payload.iss === undefined ? undefined : this.serviceAccounts.get(payload.iss);
    if (!account || head.alg !== 'RS256') return invalid;
    if (head.kid !== undefined && head.kid !== account.keyId) return invalid;
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      account.publicKey,
      base64url(parts[2]!),
    );
    if (!signed) return invalid;
    const seconds = now / 1000;
    if (
      typeof payload.exp !== 'number' ||
      payload.exp < seconds ||
      typeof payload.iat !== 'number' ||
      payload.iat > seconds + 300 ||
      payload.exp - payload.iat > 3600
    )
      return invalid;
    const scoped =
      (payload.scope ?? '').split(' ').includes(SHEETS_SCOPE) || payload.aud === 'https://sheets.googleapis.com/';
    if (!scoped) return { ok: false, message: 'Request had insufficient authentication scopes.' };
    this.jwtPayloads.push(payload as Record<string, unknown>);
    return { ok: true, principal: payload.iss! };
  }

  /** The `/token` endpoint (refresh_token grant only). */
  exchange(form: URLSearchParams): { status: number; body: object } {
    if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const entry = this.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!entry || entry.clientId !== form.get('client_id') || entry.clientSecret !== form.get('client_secret')) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } };
    }
    const accessToken = `ya29.fake-${randomUUID()}`;
    this.tokens.set(accessToken, entry.principal);
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer', scope: SHEETS_SCOPE },
    };
  }
}
