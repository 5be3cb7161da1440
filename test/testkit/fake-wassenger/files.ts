import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake answers the next download of a file, instead of the file. */
export type FileFault =
  | { readonly status: number; readonly retryAfter?: string }
  /** Send the file in chunks of `chunkBytes` every `everyMs` (a slow stream). */
  | { readonly slow: { readonly chunkBytes: number; readonly everyMs: number } }
  /** Redirect (302) to this URL. */
  | { readonly redirect: string };

export interface FakeFile {
  readonly bytes: Buffer;
  readonly mime: string;
  /** Send more bytes than the file has (without a Content-Length), as a body larger than announced. */
  readonly oversize?: number;
}

/** One download request, whatever the answer. */
export interface FileDownload {
  readonly device: string;
  readonly fileId: string;
  readonly token: string | undefined;
  status: number;
  /** Whether the whole body was written before the connection ended. */
  complete: boolean;
}

/**
 * Wassenger's file downloads: `GET /v1/chat/{device}/files/{fileId}/download` with the `Token`
 * header (401 otherwise), answering the bytes with their Content-Type and Content-Length, 404
 * for an unknown file, and scripted faults: 404/410 (expired), 429 with Retry-After, 5xx, slow
 * streams, redirects, bodies larger than announced.
 */
export class FakeWassengerFiles {
  readonly downloads: FileDownload[] = [];
  private readonly files = new Map<string, FakeFile>();
  private readonly faults = new Map<string, FileFault[]>();
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly token: string,
  ) {}

  static async start(options: { readonly token: string }): Promise<FakeWassengerFiles> {
    const server = createServer();
    const fake = new FakeWassengerFiles(server, options.token);
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Serve `bytes` as file `fileId` of `device`. */
  add(device: string, fileId: string, file: FakeFile): void {
    this.files.set(`${device}/${fileId}`, file);
  }

  /** Answer the next downloads of `fileId` with these faults, in order. */
  fail(fileId: string, ...faults: FileFault[]): void {
    this.faults.set(fileId, [...(this.faults.get(fileId) ?? []), ...faults]);
  }

  /** Downloads of `fileId` that got the whole file (status 200, body complete). */
  completed(fileId: string): FileDownload[] {
    return this.downloads.filter((d) => d.fileId === fileId && d.status === 200 && d.complete);
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const match = /^\/v1\/chat\/([^/]+)\/files\/([^/]+)\/download$/.exec(path);
    const token = typeof req.headers.token === 'string' ? req.headers.token : undefined;
    const json = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || !match) return json(404, { status: 404, message: `Cannot ${req.method} ${path}` });
    const device = decodeURIComponent(match[1]!);
    const fileId = decodeURIComponent(match[2]!);
    const record: FileDownload = { device, fileId, token, status: 0, complete: false };
    this.downloads.push(record);
    if (token !== this.token) {
      record.status = 401;
      return json(401, { status: 401, message: 'Invalid or missing API key', errorCode: 'auth:invalid' });
    }
    const fault = this.faults.get(fileId)?.shift();
    const file = this.files.get(`${device}/${fileId}`);
    if (fault && 'status' in fault) {
      record.status = fault.status;
      return json(
        fault.status,
        { status: fault.status, message: 'scripted' },
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    }
    if (fault && 'redirect' in fault) {
      record.status = 302;
      res.writeHead(302, { location: fault.redirect });
      return void res.end();
    }
    if (!file) {
      record.status = 404;
      return json(404, { status: 404, message: 'File not found', errorCode: 'file:not_found' });
    }
    record.status = 200;
    const body = file.oversize ? Buffer.concat([file.bytes, Buffer.alloc(file.oversize, 0x41)]) : file.bytes;
    res.writeHead(200, {
      'content-type': file.mime,
      ...(file.oversize ? {} : { 'content-length': String(body.length) }),
    });
    if (!fault) {
      res.end(body, () => (record.complete = true));
      return;
    }
    this.open.add(res);
    const { chunkBytes, everyMs } = fault.slow;
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      const chunk = body.subarray(offset, offset + chunkBytes);
      offset += chunk.length;
      if (offset >= body.length) {
        clearInterval(timer);
        this.open.delete(res);
        res.end(chunk, () => (record.complete = true));
      } else res.write(chunk);
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  }
}
