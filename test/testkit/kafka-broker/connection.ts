import type { Socket } from 'node:net';
import { unsupportedApiVersionsResponse } from './apis/api-versions.ts';
import type { ApiHandler, HandlerResult, RequestHeader } from './apis/types.ts';
import { ApiKey, apiName } from './protocol/api-keys.ts';
import { FrameDecoder, frame } from './protocol/framing.ts';
import { DecodeError, Reader } from './protocol/reader.ts';
import type { BrokerState } from './state.ts';

/** One line of the broker's request log, for test assertions. */
export interface RequestLogEntry {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Error code injected with failNext, if any. */
  injectedError?: number;
  /** Delay injected with delayNext, if any. */
  injectedDelayMs?: number;
  /** Set when dropAfterNext closed the connection after applying this request. */
  droppedAfter?: boolean;
}

export interface ConnectionHooks {
  handlers: ReadonlyMap<number, ApiHandler>;
  state: BrokerState;
  log: (entry: RequestLogEntry) => void;
  debug: (message: string) => void;
}

/**
 * One client connection. Requests are handled strictly one at a time and
 * answered in arrival order, which the protocol guarantees per connection
 * ("the server guarantees that on a single TCP connection, requests will be
 * processed in the order they are sent and responses will return in that
 * order"). A delayed response therefore also delays the ones behind it, as a
 * slow real broker would.
 */
export class Connection {
  private readonly frames = new FrameDecoder();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private pendingDelay: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: ConnectionHooks,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Errors such as ECONNRESET only mean the peer went away.
    socket.on('error', (err) => this.hooks.debug(`socket error: ${err.message}`));
    socket.on('close', () => this.markClosed());
  }

  /** Drops the connection at once, abandoning queued requests and pending responses. */
  destroy(reason: string): void {
    if (!this.closed) this.hooks.debug(`closing connection: ${reason}`);
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.closed = true;
    if (this.pendingDelay !== undefined) {
      clearTimeout(this.pendingDelay.timer);
      this.pendingDelay.resolve();
      this.pendingDelay = undefined;
    }
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      this.destroy((err as Error).message);
      return;
    }
    for (const f of frames) {
      this.queue = this.queue
        .then(() => this.process(f))
        .catch((err: unknown) => {
          // A bug in a handler must not leave the client waiting forever.
          this.destroy(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        });
    }
  }

  private async process(payload: Buffer): Promise<void> {
    if (this.closed) return;
    // Every header version starts with api_key, api_version, correlation_id; that is
    // all that is needed to answer, even for versions whose header is not understood.
    if (payload.length < 8) return this.destroy('request shorter than a header');
    const apiKey = payload.readInt16BE(0);
    const apiVersion = payload.readInt16BE(2);
    const correlationId = payload.readInt32BE(4);

    const handler = this.hooks.handlers.get(apiKey);
    if (handler === undefined) return this.destroy(`unsupported API key ${apiKey}`);
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // The spec's negotiation fallback, instead of closing the connection.
        this.hooks.log({ apiKey, apiName: apiName(apiKey), apiVersion, correlationId, clientId: null });
        return this.send(correlationId, { kind: 'respond', body: unsupportedApiVersionsResponse() });
      }
      // A real broker cannot parse such a request either and closes the connection.
      return this.destroy(`${handler.name} v${apiVersion} is not supported`);
    }

    let result: HandlerResult;
    const entry: RequestLogEntry = { apiKey, apiName: handler.name, apiVersion, correlationId, clientId: null };
    try {
      const reader = new Reader(payload);
      reader.raw(8);
      // Request header v1: client_id follows. No flexible versions are advertised,
      // so header v2 (with tagged fields) never has to be read.
      const header: RequestHeader = { apiKey, apiVersion, correlationId, clientId: reader.nullableString() };
      entry.clientId = header.clientId;
      const ctx = { header, body: reader, state: this.hooks.state };
      const injectedError = this.hooks.state.faults.takeFailure(apiKey);
      const injectedDelay = this.hooks.state.faults.takeDelay(apiKey);
      const dropAfter = this.hooks.state.faults.takeDrop(apiKey);
      if (injectedError !== undefined) entry.injectedError = injectedError;
      if (injectedDelay !== undefined) entry.injectedDelayMs = injectedDelay;
      if (dropAfter) entry.droppedAfter = true;
      this.hooks.log(entry);
      result = injectedError !== undefined ? handler.errorResponse(ctx, injectedError) : handler.handle(ctx);
      // Applied (a Produce is written), but the answer is lost with the connection.
      if (dropAfter) return this.destroy('dropAfterNext()');
      if (injectedDelay !== undefined) await this.sleep(injectedDelay);
    } catch (err) {
      if (err instanceof DecodeError) return this.destroy(`malformed ${handler.name} v${apiVersion}: ${err.message}`);
      throw err;
    }
    this.send(correlationId, result);
  }

  /** Waits, but wakes early when the connection closes so nothing keeps the process alive. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.pendingDelay = undefined;
        resolve();
      }, ms);
      this.pendingDelay = { timer, resolve };
    });
  }

  private send(correlationId: number, result: HandlerResult): void {
    if (this.closed) return;
    switch (result.kind) {
      case 'none':
        return;
      case 'close':
        return this.destroy(result.reason);
      case 'respond': {
        // Response header v0: just the correlation id (no flexible versions are offered).
        const header = Buffer.allocUnsafe(4);
        header.writeInt32BE(correlationId, 0);
        this.socket.write(frame(Buffer.concat([header, result.body])));
      }
    }
  }
}
