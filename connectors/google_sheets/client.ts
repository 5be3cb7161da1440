/**
 * The only file that knows the Google client library (`@googleapis/sheets` v14). It builds an
 * authenticated Sheets client pointed at `apiUrl` and exposes the four calls the connector makes,
 * turning the library's errors into `SheetsApiError` (HTTP status, Google's status and message,
 * Retry-After). The library's own retries are off: the dispatcher retries, for every connector.
 */
import type { sheets_v4 } from '@googleapis/sheets';

/** The library's module, loaded when a client is created. */
type SheetsLib = typeof import('@googleapis/sheets');

/** Scope asked for in self-signed service-account tokens. */
export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/** How the connector authenticates (see README: service account, access token, refresh token). */
export type SheetsAuth =
  | {
      readonly kind: 'serviceAccount';
      readonly email: string;
      readonly privateKey: string;
      readonly keyId?: string | undefined;
    }
  | { readonly kind: 'accessToken'; readonly token: string }
  | {
      readonly kind: 'refreshToken';
      readonly clientId: string;
      readonly clientSecret: string;
      readonly refreshToken: string;
      readonly tokenUrl?: string | undefined;
    };

export type ValueInputOption = 'RAW' | 'USER_ENTERED';
/** A cell as sent: null leaves the cell as it is (for updates) or empty (for appends). */
export type CellValue = string | number | boolean | null;

/** A failed Sheets call: `status` is the HTTP status, absent for network errors and timeouts. */
export class SheetsApiError extends Error {
  override readonly name = 'SheetsApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Google's canonical status (`RESOURCE_EXHAUSTED`, `NOT_FOUND`, …) or the network error code. */
    readonly code: string | undefined,
    readonly retryAfter: string | undefined,
    /** The call was cut by the deadline signal. */
    readonly aborted: boolean,
  ) {
    super(message);
  }
}

/**
 * Google's code for a success status whose body is not the answer the call has (HTML from a proxy,
 * cut JSON, an `error` inside a 200): the call may have been carried out all the same.
 */
export const UNREADABLE_ANSWER = 'UNREADABLE_ANSWER';

/** A success status with no readable answer: the call may have been carried out, or not. */
function unreadable(what: string): never {
  throw new SheetsApiError(
    `${what} answered a success status with no readable answer`,
    undefined,
    UNREADABLE_ANSWER,
    undefined,
    false,
  );
}

/** The answer of a call, when it is the JSON object the call answers (not an `error` inside a 200). */
function answered(data: unknown, what: string): Record<string, unknown> {
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && !('error' in data))
    return data as Record<string, unknown>;
  return unreadable(what);
}

export interface AppendResult {
  /** Google's `updates.updatedRange`, e.g. `Leads!A5:F7`. */
  readonly updatedRange: string | undefined;
}

/** The calls the connector makes, on one spreadsheet. */
export interface SheetsApi {
  append(
    range: string,
    rows: readonly (readonly CellValue[])[],
    valueInputOption: ValueInputOption,
    signal: AbortSignal,
  ): Promise<AppendResult>;
  /** Cell values of a range as displayed (FORMATTED_VALUE), rows trimmed of trailing empties. */
  get(range: string, signal: AbortSignal): Promise<unknown[][]>;
  /** One write request for several ranges; returns each range's `updatedRange`. */
  batchUpdate(
    data: readonly { range: string; values: readonly (readonly CellValue[])[] }[],
    valueInputOption: ValueInputOption,
    signal: AbortSignal,
  ): Promise<string[]>;
  /** Title and tab names (a read; used by the health check). */
  spreadsheet(signal: AbortSignal): Promise<{ title: string; sheets: string[] }>;
}

function authClient(googleAuth: SheetsLib['auth'], spec: SheetsAuth) {
  switch (spec.kind) {
    case 'serviceAccount': {
      const jwt = new googleAuth.JWT({
        email: spec.email,
        key: spec.privateKey,
        keyId: spec.keyId,
        scopes: [SHEETS_SCOPE],
      });
      // Sign our own short-lived access tokens (JWT with the scope) instead of trading a JWT for
      // a token at oauth2.googleapis.com: no token endpoint, nothing to refresh over the network.
      jwt.useJWTAccessWithScope = true;
      return jwt;
    }
    case 'accessToken': {
      const client = new googleAuth.OAuth2();
      client.setCredentials({ access_token: spec.token });
      return client;
    }
    case 'refreshToken': {
      const client = new googleAuth.OAuth2({
        clientId: spec.clientId,
        clientSecret: spec.clientSecret,
        ...(spec.tokenUrl ? { endpoints: { oauth2TokenUrl: spec.tokenUrl } } : {}),
      });
      client.setCredentials({ refresh_token: spec.refreshToken });
      return client;
    }
  }
}

function toApiError(error: unknown, signal: AbortSignal): SheetsApiError {
  const e = error as {
    message?: string;
    status?: number;
    code?: unknown;
    name?: string;
    response?: { status?: number; headers?: unknown; data?: { error?: { message?: string; status?: string } } };
  };
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  const google = e.response?.data?.error;
  const headers = e.response?.headers;
  let retryAfter: string | undefined;
  if (headers && typeof (headers as Headers).get === 'function')
    retryAfter = (headers as Headers).get('retry-after') ?? undefined;
  else if (headers && typeof headers === 'object')
    retryAfter = (headers as Record<string, string | undefined>)['retry-after'];
  const aborted = signal.aborted || e.name === 'AbortError';
  const code = google?.status ?? (typeof e.code === 'string' ? e.code : undefined);
  const message = google?.message ?? e.message ?? String(error);
  return new SheetsApiError(message, status, code, retryAfter, aborted);
}

/** Build the client for one spreadsheet. No network I/O until a call is made. */
export async function createSheetsApi(options: {
  apiUrl: string;
  spreadsheetId: string;
  auth: SheetsAuth;
}): Promise<SheetsApi> {
  // Loaded here, not at module load: @googleapis/sheets costs memory at start even when no google_sheets connector is configured.
  const { auth: googleAuth, sheets } = await import('@googleapis/sheets');
  const api: sheets_v4.Sheets = sheets({
    version: 'v4',
    auth: authClient(googleAuth, options.auth),
    rootUrl: options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`,
    retry: false,
  });
  const spreadsheetId = options.spreadsheetId;
  const call = async <T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw error instanceof SheetsApiError ? error : toApiError(error, signal);
    }
  };
  const mutable = (rows: readonly (readonly CellValue[])[]): CellValue[][] => rows.map((row) => [...row]);
  return {
    append: (range, rows, valueInputOption, signal) =>
      call(signal, async () => {
        const response = await api.spreadsheets.values.append(
          {
            spreadsheetId,
            range,
            valueInputOption,
            insertDataOption: 'INSERT_ROWS',
            requestBody: { majorDimension: 'ROWS', values: mutable(rows) },
          },
          { signal, retry: false },
        );
        // The row's range is the proof of the write: without it the write is uncertain, not done.
        const updates = answered(response.data, 'values.append')['updates'] as { updatedRange?: unknown } | undefined;
        const updatedRange = updates?.updatedRange;
        if (typeof updatedRange !== 'string') unreadable('values.append');
        return { updatedRange };
      }),
    get: (range, signal) =>
      call(signal, async () => {
        const response = await api.spreadsheets.values.get(
          { spreadsheetId, range, majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' },
          { signal, retry: false },
        );
        // A garbled answer must not read as an empty range: the id check would append a duplicate.
        const values = answered(response.data, 'values.get')['values'] ?? [];
        if (!Array.isArray(values) || !values.every(Array.isArray)) unreadable('values.get');
        return values as unknown[][];
      }),
    batchUpdate: (data, valueInputOption, signal) =>
      call(signal, async () => {
        const response = await api.spreadsheets.values.batchUpdate(
          {
            spreadsheetId,
            requestBody: {
              valueInputOption,
              data: data.map((item) => ({ range: item.range, majorDimension: 'ROWS', values: mutable(item.values) })),
            },
          },
          { signal, retry: false },
        );
        const responses = answered(response.data, 'values.batchUpdate')['responses'];
        if (!Array.isArray(responses)) unreadable('values.batchUpdate');
        return (responses as { updatedRange?: unknown }[]).map((item) =>
          typeof item?.updatedRange === 'string' ? item.updatedRange : '',
        );
      }),
    spreadsheet: (signal) =>
      call(signal, async () => {
        const response = await api.spreadsheets.get(
          { spreadsheetId, fields: 'properties.title,sheets.properties.title' },
          { signal, retry: false },
        );
        return {
          title: response.data.properties?.title ?? '',
          sheets: (response.data.sheets ?? []).map((sheet) => sheet.properties?.title ?? ''),
        };
      }),
  };
}
