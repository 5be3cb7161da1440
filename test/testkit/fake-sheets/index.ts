/**
 * A local Google Sheets API (v4) that the real `@googleapis/sheets` client talks to over HTTP:
 * `spreadsheets.get`, `values.get`, `values.update`, `values.append`, `values.batchUpdate`, and an
 * OAuth `/token` endpoint for the refresh-token grant. It authenticates like Google (bearer tokens
 * or self-signed service-account JWTs), parses A1 ranges, keeps the sheets in memory, answers
 * errors in Google's JSON shape, records every call, and can be scripted to answer 429/5xx, to
 * hang, to answer anything (a garbled or wrong 200), or to write and then hang or reset the
 * connection (the ambiguous failures).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RangeError400 } from './a1.ts';
import { FakeAuth, type ServiceAccount } from './auth.ts';
import { appendRange, readRange, Spreadsheet, writeRange, type Cell, type Input } from './sheets.ts';

export { createServiceAccount, type ServiceAccount } from './auth.ts';
export type { Cell } from './sheets.ts';

export type Operation = 'append' | 'get' | 'update' | 'batchUpdate' | 'spreadsheet';

/** A scripted answer for the next call of an operation. */
export type Behaviour =
  | { readonly status: number; readonly message?: string; readonly retryAfter?: string }
  /** Never answer; the client's deadline must fire. Nothing is written. */
  | { readonly hang: true }
  /** Do the write, then never answer: the client cannot know that it succeeded. */
  | { readonly writeThenHang: true }
  /** Do the write, then reset the connection without an answer. */
  | { readonly writeThenDrop: true }
  /** Answer this instead (nothing is written): HTML, cut JSON, a 200 with an error inside. */
  | { readonly answer: { readonly status: number; readonly body: string; readonly contentType?: string } }
  /** Answer normally, late. */
  | { readonly delayMs: number };

/** One call the fake received. */
export interface FakeCall {
  readonly op: Operation | 'token' | 'unknown';
  readonly method: string;
  /** The request path and query, as received. */
  readonly path: string;
  readonly spreadsheetId?: string | undefined;
  readonly range?: string | undefined;
  readonly query: Record<string, string>;
  /** Rows sent (append, update, batchUpdate). */
  rows?: number | undefined;
  status: number;
  readonly at: number;
}

const CANONICAL: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const QUOTA_MESSAGE =
  "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.";

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
  }
}

export class FakeSheets {
  readonly auth = new FakeAuth();
  readonly spreadsheets = new Map<string, Spreadsheet>();
  readonly calls: FakeCall[] = [];
  private readonly script = new Map<Operation, Behaviour[]>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeSheets> {
    const server = createServer();
    const fake = new FakeSheets(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Root URL to give the client (`apiUrl`). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Token endpoint for the refresh-token grant. */
  get tokenUrl(): string {
    return `${this.url}token`;
  }

  /** Accept `token` as a bearer token for `principal`. */
  addAccessToken(token: string, principal = 'user@example.com'): void {
    this.auth.tokens.set(token, principal);
  }

  /** Accept self-signed JWTs of this service account. */
  addServiceAccount(account: ServiceAccount): void {
    this.auth.serviceAccounts.set(account.email, { keyId: account.keyId, publicKey: account.publicKey });
  }

  addRefreshToken(
    refreshToken: string,
    client: { clientId: string; clientSecret: string },
    principal = 'user@example.com',
  ): void {
    this.auth.refreshTokens.set(refreshToken, { ...client, principal });
  }

  /**
   * Create a spreadsheet with tabs (rows of plain values, stored as typed in with RAW).
   * `sharedWith` limits access to these principals (others get 403); default: anyone authenticated.
   */
  addSpreadsheet(
    id: string,
    tabs: Record<string, Input[][]>,
    options: { title?: string; sharedWith?: string[] } = {},
  ): Spreadsheet {
    const sheet = new Spreadsheet(id, options.title ?? id);
    for (const [name, rows] of Object.entries(tabs)) {
      sheet.tabs.set(name, []);
      if (rows.length > 0) writeRange(sheet, { sheet: name, startRow: 1, startCol: 1 }, rows, 'RAW');
    }
    sheet.sharedWith = options.sharedWith ? new Set(options.sharedWith) : undefined;
    this.spreadsheets.set(id, sheet);
    return sheet;
  }

  /** A tab's cells as stored (formulas included). */
  cells(id: string, tab: string): (Cell | undefined)[][] {
    return this.spreadsheets.get(id)!.tab(tab);
  }

  /** A tab's values as displayed (FORMATTED_VALUE), trailing empties trimmed. */
  values(id: string, tab: string): unknown[][] {
    const sheet = this.spreadsheets.get(id)!;
    return readRange(sheet, { sheet: tab }, 'FORMATTED_VALUE').values;
  }

  /** Queue answers for the next calls of `op`. */
  on(op: Operation, ...behaviours: Behaviour[]): void {
    this.script.set(op, [...(this.script.get(op) ?? []), ...behaviours]);
  }

  /** Drop scripted answers not used yet and end hanging calls: normal answers again. */
  heal(): void {
    this.script.clear();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** Calls of one operation. */
  callsOf(op: FakeCall['op']): FakeCall[] {
    return this.calls.filter((call) => call.op === op);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const route = this.route(method, url.pathname);
    const call: FakeCall = {
      op: route.op,
      method,
      path: req.url ?? '',
      spreadsheetId: route.id,
      range: route.range,
      query,
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(json));
    };
    const sendError = (error: HttpError, headers: Record<string, string> = {}) =>
      send(
        error.status,
        {
          error: {
            code: error.status,
            message: error.message,
            status: CANONICAL[error.status] ?? 'UNKNOWN',
            ...(error.details ? { details: error.details } : {}),
          },
        },
        headers,
      );
    try {
      if (route.op === 'token') {
        const answer = this.auth.exchange(new URLSearchParams(body));
        send(answer.status, answer.body);
        return;
      }
      if (route.op === 'unknown') throw new HttpError(404, `Method not found: ${method} ${url.pathname}`);
      const who = this.auth.check(req.headers.authorization);
      if (!who.ok) throw new HttpError(who.message.includes('scopes') ? 403 : 401, who.message);
      const behaviour = this.script.get(route.op)?.shift();
      if (behaviour && 'status' in behaviour) {
        const details =
          behaviour.status === 429
            ? [
                {
                  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                  reason: 'RATE_LIMIT_EXCEEDED',
                  domain: 'googleapis.com',
                  metadata: {
                    quota_limit: 'WriteRequestsPerMinutePerUser',
                    quota_metric: 'sheets.googleapis.com/write_requests',
                    service: 'sheets.googleapis.com',
                  },
                },
              ]
            : undefined;
        const message =
          behaviour.message ??
          (behaviour.status === 429
            ? QUOTA_MESSAGE
            : behaviour.status >= 500
              ? 'The service is currently unavailable.'
              : 'Scripted error.');
        sendError(
          new HttpError(behaviour.status, message, details),
          behaviour.retryAfter !== undefined ? { 'retry-after': behaviour.retryAfter } : {},
        );
        return;
      }
      if (behaviour && 'hang' in behaviour) {
        this.hanging.add(res);
        return;
      }
      if (behaviour && 'answer' in behaviour) {
        call.status = behaviour.answer.status;
        res.writeHead(behaviour.answer.status, {
          'content-type': behaviour.answer.contentType ?? 'application/json; charset=UTF-8',
        });
        res.end(behaviour.answer.body);
        return;
      }
      const sheet = this.spreadsheets.get(route.id!);
      if (!sheet) throw new HttpError(404, 'Requested entity was not found.');
      if (sheet.sharedWith && !sheet.sharedWith.has(who.principal))
        throw new HttpError(403, 'The caller does not have permission');
      const answer = this.operate(route.op, sheet, route.range, query, body, call);
      if (behaviour && 'writeThenHang' in behaviour) {
        this.hanging.add(res);
        return;
      }
      if (behaviour && 'writeThenDrop' in behaviour) {
        res.socket?.destroy();
        return;
      }
      if (behaviour && 'delayMs' in behaviour) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      send(200, answer);
    } catch (error) {
      if (error instanceof HttpError) sendError(error);
      else if (error instanceof RangeError400) sendError(new HttpError(400, `Unable to parse range: ${error.message}`));
      else sendError(new HttpError(500, `fake-sheets bug: ${(error as Error).message}`));
    }
  }

  private route(method: string, path: string): { op: FakeCall['op']; id?: string; range?: string } {
    if (method === 'POST' && path === '/token') return { op: 'token' };
    const match = /^\/v4\/spreadsheets\/([^/]+)(?:\/values(?::batchUpdate|\/(.+)))?$/.exec(path);
    if (!match) return { op: 'unknown' };
    const id = decodeURIComponent(match[1]!);
    if (path.endsWith('/values:batchUpdate')) return method === 'POST' ? { op: 'batchUpdate', id } : { op: 'unknown' };
    const rawRange = match[2];
    if (rawRange === undefined) return method === 'GET' ? { op: 'spreadsheet', id } : { op: 'unknown' };
    if (rawRange.endsWith(':append'))
      return method === 'POST'
        ? { op: 'append', id, range: decodeURIComponent(rawRange.slice(0, -':append'.length)) }
        : { op: 'unknown' };
    const range = decodeURIComponent(rawRange);
    if (method === 'GET') return { op: 'get', id, range };
    if (method === 'PUT') return { op: 'update', id, range };
    return { op: 'unknown' };
  }

  private operate(
    op: Operation,
    sheet: Spreadsheet,
    range: string | undefined,
    query: Record<string, string>,
    body: string,
    call: FakeCall,
  ): unknown {
    const inputOption = (value: string | undefined): string => {
      if (value === undefined) throw new HttpError(400, "'valueInputOption' is required but not specified");
      if (value !== 'RAW' && value !== 'USER_ENTERED')
        throw new HttpError(
          400,
          `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "${value}"`,
        );
      return value;
    };
    const rowsOf = (json: { values?: unknown; majorDimension?: string }): Input[][] => {
      if (json.majorDimension !== undefined && json.majorDimension !== 'ROWS')
        throw new HttpError(400, 'fake-sheets supports majorDimension ROWS only');
      if (!Array.isArray(json.values) || !json.values.every(Array.isArray))
        throw new HttpError(400, 'Invalid JSON payload received. Unknown name "values": expected a list of lists.');
      for (const row of json.values as unknown[][]) {
        for (const cell of row) {
          if (typeof cell === 'string' && cell.length > 50_000)
            throw new HttpError(400, 'Your input contains more than the maximum of 50000 characters in a single cell.');
          if (cell !== null && !['string', 'number', 'boolean'].includes(typeof cell))
            throw new HttpError(400, 'Invalid values: only strings, numbers, booleans and null are accepted');
        }
      }
      return json.values as Input[][];
    };
    const parseBody = (): Record<string, unknown> => {
      try {
        return JSON.parse(body || '{}') as Record<string, unknown>;
      } catch {
        throw new HttpError(400, 'Invalid JSON payload received.');
      }
    };
    switch (op) {
      case 'spreadsheet':
        return {
          spreadsheetId: sheet.id,
          properties: { title: sheet.title },
          sheets: [...sheet.tabs.keys()].map((title, index) => ({
            properties: { sheetId: index, title, index, sheetType: 'GRID' },
          })),
        };
      case 'get': {
        const read = readRange(sheet, sheet.parse(range!), query.valueRenderOption ?? 'FORMATTED_VALUE');
        return { range: read.range, majorDimension: 'ROWS', ...(read.values.length ? { values: read.values } : {}) };
      }
      case 'update': {
        const option = inputOption(query.valueInputOption);
        const rows = rowsOf(parseBody());
        call.rows = rows.length;
        return writeRange(sheet, sheet.parse(range!), rows, option);
      }
      case 'append': {
        const option = inputOption(query.valueInputOption);
        const insert = query.insertDataOption ?? 'OVERWRITE';
        if (insert !== 'OVERWRITE' && insert !== 'INSERT_ROWS')
          throw new HttpError(400, `Invalid value at 'insert_data_option', "${insert}"`);
        const parsed = sheet.parse(range!);
        const rows = rowsOf(parseBody());
        call.rows = rows.length;
        return appendRange(sheet, parsed, rows, option, insert);
      }
      case 'batchUpdate': {
        const json = parseBody() as {
          valueInputOption?: string;
          data?: { range?: string; values?: unknown; majorDimension?: string }[];
        };
        const option = inputOption(json.valueInputOption);
        const data = (json.data ?? []).map((item) => ({ range: sheet.parse(item.range ?? ''), rows: rowsOf(item) }));
        call.rows = data.reduce((sum, item) => sum + item.rows.length, 0);
        const responses = data.map((item) => writeRange(sheet, item.range, item.rows, option));
        return {
          spreadsheetId: sheet.id,
          totalUpdatedRows: responses.reduce((sum, r) => sum + r.updatedRows, 0),
          totalUpdatedColumns: Math.max(0, ...responses.map((r) => r.updatedColumns)),
          totalUpdatedCells: responses.reduce((sum, r) => sum + r.updatedCells, 0),
          totalUpdatedSheets: new Set(data.map((item) => item.range.sheet)).size,
          responses,
        };
      }
    }
  }
}
