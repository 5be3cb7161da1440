/**
 * The only file that knows the Google client library (`@googleapis/sheets` v14). It builds an
 * authenticated Sheets client pointed at `apiUrl` and exposes the four calls the connector makes,
 * turning the library's errors into `SheetsApiError` (HTTP status, Google's status and message,
 * Retry-After). The library's own retries are off: the dispatcher retries, for every connector.
 */
import type { sheets_v4 } from '@googleapis/sheets';
import type { ExchangeInput } from '../../src/sdk/index.ts';
import { failedExchange, pathParam, type SheetsCall, sheetsRequest, sheetsResponse } from './exchange.ts';

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

  /** The call's request, and its answer when one came (exchange.ts); set by the client. */
  exchange: ExchangeInput | undefined;
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
  readonly exchange: ExchangeInput;
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
  get(range: string, signal: AbortSignal): Promise<{ values: unknown[][]; exchange: ExchangeInput }>;
  /** One write request for several ranges; returns each range's `updatedRange`. */
  batchUpdate(
    data: readonly { range: string; values: readonly (readonly CellValue[])[] }[],
    valueInputOption: ValueInputOption,
    signal: AbortSignal,
  ): Promise<{ ranges: string[]; exchange: ExchangeInput }>;
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
  const rootUrl = options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`;
  const api: sheets_v4.Sheets = sheets({
    version: 'v4',
    auth: authClient(googleAuth, options.auth),
    rootUrl,
    retry: false,
  });
  const spreadsheetId = options.spreadsheetId;
  const valuesPath = `v4/spreadsheets/${pathParam(spreadsheetId)}/values`;
  /** Make one call; its exchange comes with its result, or on the SheetsApiError it throws. */
  const call = async <T>(
    signal: AbortSignal,
    what: SheetsCall,
    send: () => Promise<{ status: number; headers?: unknown; data: unknown }>,
    read: (data: unknown) => T,
  ): Promise<{ value: T; exchange: ExchangeInput }> => {
    const request = sheetsRequest(rootUrl, what);
    let exchange: ExchangeInput = { request };
    try {
      const response = await send();
      exchange = { request, response: sheetsResponse(response) };
      return { value: read(response.data), exchange };
    } catch (error) {
      const apiError = error instanceof SheetsApiError ? error : toApiError(error, signal);
      // Thrown by `read`: the answer came (and is in `exchange`); else whatever the library read.
      apiError.exchange = error instanceof SheetsApiError ? exchange : failedExchange(request, error);
      throw apiError;
    }
  };
  const mutable = (rows: readonly (readonly CellValue[])[]): CellValue[][] => rows.map((row) => [...row]);
  const callOptions = (signal: AbortSignal) => ({ signal, retry: false });
  return {
    async append(range, rows, valueInputOption, signal) {
      const query = { valueInputOption, insertDataOption: 'INSERT_ROWS' };
      const requestBody = { majorDimension: 'ROWS', values: mutable(rows) };
      const path = `${valuesPath}/${pathParam(range)}:append`;
      const { value, exchange } = await call(
        signal,
        { method: 'POST', path, query, body: { range, ...requestBody } },
        () => api.spreadsheets.values.append({ spreadsheetId, range, ...query, requestBody }, callOptions(signal)),
        (data) => {
          // The row's range is the proof of the write: without it the write is uncertain, not done.
          const updates = answered(data, 'values.append')['updates'] as { updatedRange?: unknown } | undefined;
          const updatedRange = updates?.updatedRange;
          return typeof updatedRange === 'string' ? updatedRange : unreadable('values.append');
        },
      );
      return { updatedRange: value, exchange };
    },
    async get(range, signal) {
      const query = { majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' };
      const { value, exchange } = await call(
        signal,
        { method: 'GET', path: `${valuesPath}/${pathParam(range)}`, query },
        () => api.spreadsheets.values.get({ spreadsheetId, range, ...query }, callOptions(signal)),
        (data) => {
          // A garbled answer must not read as an empty range: the id check would append a duplicate.
          const values = answered(data, 'values.get')['values'] ?? [];
          if (!Array.isArray(values) || !values.every(Array.isArray)) unreadable('values.get');
          return values as unknown[][];
        },
      );
      return { values: value, exchange };
    },
    async batchUpdate(data, valueInputOption, signal) {
      const requestBody = {
        valueInputOption,
        data: data.map((item) => ({ range: item.range, majorDimension: 'ROWS', values: mutable(item.values) })),
      };
      const { value, exchange } = await call(
        signal,
        { method: 'POST', path: `${valuesPath}:batchUpdate`, body: requestBody },
        () => api.spreadsheets.values.batchUpdate({ spreadsheetId, requestBody }, callOptions(signal)),
        (answer) => {
          const responses = answered(answer, 'values.batchUpdate')['responses'];
          if (!Array.isArray(responses)) unreadable('values.batchUpdate');
          return (responses as { updatedRange?: unknown }[]).map((item) =>
            typeof item?.updatedRange === 'string' ? item.updatedRange : '',
          );
        },
      );
      return { ranges: value, exchange };
    },
    async spreadsheet(signal) {
      const query = { fields: 'properties.title,sheets.properties.title' };
      const { value } = await call(
        signal,
        { method: 'GET', path: `v4/spreadsheets/${pathParam(spreadsheetId)}`, query },
        () => api.spreadsheets.get({ spreadsheetId, ...query }, callOptions(signal)),
        (data) => data as sheets_v4.Schema$Spreadsheet,
      );
      return {
        title: value.properties?.title ?? '',
        sheets: (value.sheets ?? []).map((sheet) => sheet.properties?.title ?? ''),
      };
    },
  };
}
