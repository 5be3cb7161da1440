import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { FrameDecoder, frame } from './protocol/framing.ts';
import { Reader } from './protocol/reader.ts';
import { Writer } from './protocol/writer.ts';

/**
 * A minimal Kafka client for protocol-level tests: it frames requests with
 * header v1 and hands back raw response bodies, so tests can send exactly the
 * bytes they mean (corrupt batches, unsupported versions, split frames)
 * where a real client would refuse or correct them.
 */
export class RawKafkaClient {
  private readonly frames = new FrameDecoder();
  private readonly responses: Buffer[] = [];
  private waiters: Array<(frame: Buffer | null) => void> = [];
  private ended = false;
  private nextCorrelationId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.frames.push(chunk)) {
        const waiter = this.waiters.shift();
        if (waiter !== undefined) waiter(f);
        else this.responses.push(f);
      }
    });
    socket.on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawKafkaClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawKafkaClient(socket);
  }

  /** True once the broker closed the connection. */
  get closed(): boolean {
    return this.ended;
  }

  /** Builds a framed request: header v1 (api_key, api_version, correlation_id, client_id) + body. */
  static encodeRequest(
    apiKey: number,
    apiVersion: number,
    correlationId: number,
    body: Buffer,
    clientId = 'raw-test',
  ): Buffer {
    const header = new Writer()
      .int16(apiKey)
      .int16(apiVersion)
      .int32(correlationId)
      .nullableString(clientId)
      .toBuffer();
    return frame(Buffer.concat([header, body]));
  }

  /** Writes bytes as they are, e.g. part of a frame or several frames at once. */
  async writeRaw(bytes: Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Next response frame as { correlationId, body }, or null if the broker closed the connection. */
  async nextResponse(timeoutMs = 2000): Promise<{ correlationId: number; body: Reader } | null> {
    const queued = this.responses.shift();
    const f =
      queued ??
      (this.ended
        ? null
        : await new Promise<Buffer | null>((resolve, reject) => {
            const timer = setTimeout(() => {
              this.waiters = this.waiters.filter((w) => w !== waiter);
              reject(new Error(`no response within ${timeoutMs} ms`));
            }, timeoutMs);
            const waiter = (value: Buffer | null): void => {
              clearTimeout(timer);
              resolve(value);
            };
            this.waiters.push(waiter);
          }));
    if (f === null) return null;
    const body = new Reader(f);
    return { correlationId: body.int32(), body };
  }

  /** Sends one request and returns its response body, checking the correlation id. */
  async request(apiKey: number, apiVersion: number, body: Buffer): Promise<Reader> {
    const correlationId = this.nextCorrelationId++;
    await this.writeRaw(RawKafkaClient.encodeRequest(apiKey, apiVersion, correlationId, body));
    const response = await this.nextResponse();
    if (response === null) throw new Error('connection closed by the broker');
    if (response.correlationId !== correlationId) {
      throw new Error(`correlation id ${response.correlationId}, expected ${correlationId}`);
    }
    return response.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Body of a Produce v3–v8 request (the layout is the same across those versions). */
export function produceRequestBody(input: {
  acks?: number;
  timeoutMs?: number;
  transactionalId?: string | null;
  topics: Array<{ name: string; partitions: Array<{ index: number; records: Buffer | null }> }>;
}): Buffer {
  return new Writer()
    .nullableString(input.transactionalId ?? null)
    .int16(input.acks ?? -1)
    .int32(input.timeoutMs ?? 5000)
    .array(input.topics, (w, t) => {
      w.string(t.name).array(t.partitions, (w2, p) => {
        w2.int32(p.index).nullableBytes(p.records);
      });
    })
    .toBuffer();
}

/** Body of a Metadata v4–v7 request; `topics: null` asks for all topics. */
export function metadataRequestBody(topics: string[] | null, allowAutoTopicCreation = true): Buffer {
  return new Writer()
    .nullableArray(topics, (w, t) => w.string(t))
    .boolean(allowAutoTopicCreation)
    .toBuffer();
}
