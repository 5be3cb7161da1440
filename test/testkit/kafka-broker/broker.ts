import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { createHandlers } from './apis/registry.ts';
import type { ApiHandler } from './apis/types.ts';
import { Connection } from './connection.ts';
import type { RequestLogEntry } from './connection.ts';
import type { StoredRecord } from './log.ts';
import { resolveApiKey } from './protocol/api-keys.ts';
import type { ApiName } from './protocol/api-keys.ts';
import { resolveErrorCode } from './protocol/error-codes.ts';
import type { ErrorCodeName } from './protocol/error-codes.ts';
import { BrokerState } from './state.ts';

export interface KafkaBrokerOptions {
  /** Partitions of auto-created topics (Kafka's num.partitions). Default 3. */
  partitions?: number;
  /** Create unknown topics when a client asks for their metadata (auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean;
  /** Topics to create up front: name → partition count. */
  topics?: Record<string, number>;
  /** Called with diagnostic lines (closed connections and why). Default: silent. */
  debug?: (message: string) => void;
}

/**
 * A single-node Kafka broker speaking the real wire protocol over TCP, for
 * tests of code that uses a Kafka client (kafkajs, or any client that
 * negotiates versions with ApiVersions). It implements ApiVersions, Metadata,
 * Produce (record batch v2, gzip) and InitProducerId, keeps records in
 * memory, and can inject faults. There is no Fetch: tests read what was
 * produced with {@link records}.
 */
export class KafkaTestBroker {
  private readonly state: BrokerState;
  private readonly handlers: ReadonlyMap<number, ApiHandler> = createHandlers();
  private readonly connections = new Map<Socket, Connection>();
  private readonly requestLog: RequestLogEntry[] = [];
  private readonly debug: (message: string) => void;
  private server: Server | undefined;
  private closed = false;

  /** @internal use {@link startKafkaBroker} */
  constructor(options: KafkaBrokerOptions = {}) {
    const partitions = options.partitions ?? 3;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
    }
    this.state = new BrokerState({ autoCreateTopics: options.autoCreateTopics ?? true, defaultPartitions: partitions });
    this.debug = options.debug ?? (() => {});
    for (const [name, count] of Object.entries(options.topics ?? {})) this.state.topics.create(name, count);
  }

  /** Bootstrap list for a client, e.g. ['127.0.0.1:39211']. */
  get brokers(): string[] {
    return [`${this.state.host}:${this.state.port}`];
  }

  get port(): number {
    return this.state.port;
  }

  /** Every request received so far, oldest first (API, version, correlation id, injected faults). */
  get requests(): readonly RequestLogEntry[] {
    return this.requestLog;
  }

  /** Opens the listener; on a restart, on the same port as before. @internal */
  async listen(): Promise<void> {
    if (this.server !== undefined) throw new Error('broker is already listening');
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.state.host, port: this.state.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected listener address');
    this.state.port = address.port;
    this.server = server;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, {
      handlers: this.handlers,
      state: this.state,
      log: (entry) => this.requestLog.push(entry),
      debug: this.debug,
    });
    this.connections.set(socket, connection);
    socket.on('close', () => this.connections.delete(socket));
  }

  /**
   * Records stored for a topic (all partitions, or one), ordered by partition
   * then offset. Unknown topics give an empty array.
   */
  records(topic: string, partition?: number): StoredRecord[] {
    return this.state.topics.records(topic, partition);
  }

  /** How many records a topic holds, cheaper than `records(topic).length` for polling. */
  recordCount(topic: string): number {
    return this.state.topics.count(topic);
  }

  /** Names of all topics, sorted. */
  topics(): string[] {
    return this.state.topics.names();
  }

  /**
   * Creates a topic, as an admin would.
   * @throws when the name is illegal for Kafka, the count is not positive, or the topic exists
   */
  createTopic(name: string, partitions: number): void {
    this.state.topics.create(name, partitions);
  }

  /**
   * Answers the next `count` requests of an API (e.g. 'Produce' or 0) with
   * `errorCode` on every topic/partition in them (or the top-level error
   * field) and applies nothing. Queued calls are consumed in order. Examples:
   * 6 NOT_LEADER_FOR_PARTITION, 5 LEADER_NOT_AVAILABLE, 7 REQUEST_TIMED_OUT
   * (retriable in kafkajs); 10 MESSAGE_TOO_LARGE, 29 TOPIC_AUTHORIZATION_FAILED (not).
   * Faults survive reconnects and restart().
   */
  failNext(api: number | ApiName, errorCode: number | ErrorCodeName, count = 1): void {
    this.state.faults.failNext(resolveApiKey(api), resolveErrorCode(errorCode), count);
  }

  /**
   * Holds back the responses to the next `count` requests of an API by `ms`.
   * The request itself is applied on arrival (a delayed Produce is already
   * written), like a broker whose acknowledgement is slow or lost: the way to
   * test client deadlines and retried-but-deduplicated sends. Later requests
   * on the same connection wait behind it, since responses keep their order.
   */
  delayNext(api: number | ApiName, ms: number, count = 1): void {
    this.state.faults.delayNext(resolveApiKey(api), ms, count);
  }

  /**
   * Applies the next `count` requests of an API, then closes the connection
   * instead of answering: a Produce that was written although the client never
   * learns it (a connection reset mid-request).
   */
  dropAfterNext(api: number | ApiName, count = 1): void {
    this.state.faults.dropAfterNext(resolveApiKey(api), count);
  }

  /** Forgets every fault scheduled with failNext/delayNext/dropAfterNext and not yet used. */
  clearFaults(): void {
    this.state.faults.clear();
  }

  /** Sets the largest accepted record batch, in bytes on the wire; bigger ones get MESSAGE_TOO_LARGE (10). */
  setMaxMessageBytes(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`max message bytes must be a positive integer, got ${n}`);
    this.state.maxMessageBytes = n;
  }

  /** Destroys every open client socket; the listener stays up, so clients can reconnect. */
  dropConnections(): void {
    for (const connection of this.connections.values()) connection.destroy('dropConnections()');
    this.connections.clear();
  }

  /**
   * Simulates a broker restart: closes the listener and every socket, waits
   * `downtimeMs` (default 0) while connections are refused, then listens again
   * on the same port. Topics, records, producer state and pending faults are kept.
   */
  async restart(options: { downtimeMs?: number } = {}): Promise<void> {
    if (this.closed) throw new Error('broker is closed');
    await this.stopListening();
    if (options.downtimeMs !== undefined && options.downtimeMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.downtimeMs));
    }
    await this.listen();
  }

  /** Stops the broker for good. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopListening();
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    if (server === undefined) return;
    // close() calls back once every connection has ended; they were all destroyed above.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Starts a broker on 127.0.0.1 on a free port.
 *
 * @example
 * const broker = await startKafkaBroker({ topics: { 'wa.events': 3 } });
 * const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
 * // … produce …
 * broker.records('wa.events');
 * await broker.close();
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaTestBroker> {
  const broker = new KafkaTestBroker(options);
  await broker.listen();
  return broker;
}
