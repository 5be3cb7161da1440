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
      throw toApiError(error, signal);
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
        return { updatedRange: response.data.updates?.updatedRange ?? undefined };
      }),
    get: (range, signal) =>
      call(signal, async () => {
        const response = await api.spreadsheets.values.get(
          { spreadsheetId, range, majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' },
          { signal, retry: false },
        );
        return (response.data.values ?? []) as unknown[][];
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
        return (response.data.responses ?? []).map((item) => item.updatedRange ?? '');
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
