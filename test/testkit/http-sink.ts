import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the sink received. */
export interface SinkRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

/** How the sink answers a request: a status, headers and body, optionally late, or never. */
export interface SinkReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly delayMs?: number;
  /** Never answer (the client's deadline must fire). */
  readonly hang?: boolean;
  /** Reset the connection without answering (the request was received: the destination acted). */
  readonly drop?: boolean;
}

/**
 * A scriptable local HTTP endpoint, standing in for any service the http connector posts to.
 * Replies are taken from the script in order; when it runs out, `fallback` answers.
 */
export class HttpSink {
  readonly requests: SinkRequest[] = [];
  private script: SinkReply[] = [];
  private readonly hanging = new Set<import('node:http').ServerResponse>();

  private constructor(
    private readonly server: Server,
    public fallback: SinkReply,
  ) {}

  static async start(fallback: SinkReply = { status: 200 }, port = 0): Promise<HttpSink> {
    const server = createServer();
    const sink = new HttpSink(server, fallback);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        sink.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const reply = sink.script.shift() ?? sink.fallback;
        if (reply.hang) {
          sink.hanging.add(res);
          return;
        }
        if (reply.drop) {
          req.socket.destroy();
          return;
        }
        setTimeout(() => {
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body ?? '{"ok":true}');
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return sink;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queue replies for the next requests. */
  reply(...replies: SinkReply[]): void {
    this.script.push(...replies);
  }

  /** Forget scripted replies and end hanging requests: normal answers again. */
  heal(): void {
    this.script.length = 0;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** Parsed JSON bodies received so far. */
  bodies<T = unknown>(): T[] {
    return this.requests.map((request) => JSON.parse(request.body) as T);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
