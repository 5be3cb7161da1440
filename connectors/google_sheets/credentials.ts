/**
 * Reads the key file named by `credentialsFile`: a service-account key (`"type":
 * "service_account"`, as downloaded from the Google Cloud console) or an authorized-user file
 * (`"type": "authorized_user"`, as written by `gcloud auth application-default login`).
 */
import { readFile } from 'node:fs/promises';
import type { SheetsAuth } from './client.ts';

/** A key file that exists but cannot be used: no retry can fix it. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

export async function readCredentialsFile(path: string): Promise<SheetsAuth> {
  const text = await readFile(path, 'utf8'); // read errors (ENOENT, EACCES) propagate as they are
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CredentialsError(`credentialsFile ${path} is not JSON`);
  }
  const text_ = (key: string): string | undefined =>
    typeof json[key] === 'string' && json[key] !== '' ? (json[key] as string) : undefined;
  if (json.type === 'authorized_user') {
    const clientId = text_('client_id');
    const clientSecret = text_('client_secret');
    const refreshToken = text_('refresh_token');
    if (!clientId || !clientSecret || !refreshToken)
      throw new CredentialsError(
        `credentialsFile ${path}: an authorized_user file needs client_id, client_secret and refresh_token`,
      );
    return { kind: 'refreshToken', clientId, clientSecret, refreshToken };
  }
  const email = text_('client_email');
  const privateKey = text_('private_key');
  if (!email || !privateKey)
    throw new CredentialsError(`credentialsFile ${path}: a service-account key needs client_email and private_key`);
  return { kind: 'serviceAccount', email, privateKey, keyId: text_('private_key_id') };
}
