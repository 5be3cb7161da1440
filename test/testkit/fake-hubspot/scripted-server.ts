import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
  readonly at: number;
}

/** A JSON answer. */
export interface JsonReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Sent as is instead of `body` (a garbage answer: HTML, truncated JSON). */
  readonly raw?: string;
}

/**
 * A scripted fault for the next request that matches:
 * - `reply`: answer this instead of the service's answer (nothing is applied);
 * - `hang`: never answer (nothing is applied): the client's deadline must fire;
 * - `applyThenHang`: do what the service does (e.g. create the note), then never answer;
 * - `applyThenDrop`: do it, then destroy the connection without answering.
 */
export interface Fault {
  readonly method?: string;
  /** Matches the path (without the query). */
  readonly path?: RegExp;
  readonly reply?: JsonReply;
  readonly hang?: boolean;
  readonly applyThenHang?: boolean;
  readonly applyThenDrop?: boolean;
  /** How many matching requests this fault answers (default 1). */
  times?: number;
}

export type Handler = (request: RecordedRequest) => JsonReply;

/**
 * The base of the service fakes: a local HTTP server on 127.0.0.1:0 that records every request,
 * answers through the service's handler, and can be told to fail, hang or drop the next requests.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Fault[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;

  constructor(private readonly handle: Handler) {}

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Script faults for the next matching requests, in order. */
  fail(...faults: Fault[]): void {
    this.faults.push(...faults.map((fault) => ({ ...fault, times: fault.times ?? 1 })));
  }

  /** Forget scripted faults not used yet and end hanging requests: normal answers again. */
  heal(): void {
    this.faults.length = 0;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** Requests with this method whose path matches. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const parsed = new URL(req.url ?? '/', 'http://fake.local');
    let json: unknown;
    try {
      json = body === '' ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const request: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: req.headers,
      body,
      json,
      at: Date.now(),
    };
    this.requests.push(request);
    const index = this.faults.findIndex(
      (fault) => (!fault.method || fault.method === request.method) && (!fault.path || fault.path.test(request.path)),
    );
    const fault = index === -1 ? undefined : this.faults[index]!;
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    if (fault?.hang) {
      this.hanging.add(res);
      return;
    }
    if (fault?.reply) {
      send(res, fault.reply);
      return;
    }
    const reply = this.handle(request);
    if (fault?.applyThenHang) {
      this.hanging.add(res);
      return;
    }
    if (fault?.applyThenDrop) {
      res.socket?.destroy();
      return;
    }
    send(res, reply);
  }
}

function send(res: ServerResponse, reply: JsonReply): void {
  const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    ...(text ? { 'content-type': 'application/json;charset=utf-8' } : {}),
    ...reply.headers,
  });
  res.end(text);
}

/**
 * What every scripted fake service offers its tests: its URL, the requests it recorded, scripted
 * faults and close. A fake extends it and implements `handle`.
 */
export abstract class ScriptedFake {
  protected readonly server = new ScriptedServer((request) => this.handle(request));

  protected abstract handle(request: RecordedRequest): JsonReply;

  get url(): string {
    return this.server.url;
  }

  get requests(): RecordedRequest[] {
    return this.server.requests;
  }

  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.server.calls(method, path);
  }

  fail(...faults: Fault[]): void {
    this.server.fail(...faults);
  }

  heal(): void {
    this.server.heal();
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
