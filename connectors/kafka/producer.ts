/**
 * The only file that knows kafkajs. Everything else in the connector talks to {@link KafkaClient}:
 * "send these records, tell me where each one landed". Replacing kafkajs means rewriting this file
 * and nothing else (keep the Java-compatible murmur2 partitioning, or keys move partitions).
 */
import type {
  Admin,
  CompressionTypes,
  ICustomPartitioner,
  Kafka,
  KafkaConfig,
  LogEntry,
  PartitionMetadata,
  Producer,
  SASLOptions,
  logLevel as KafkaLogLevel,
} from 'kafkajs';
import type { ConnectorLogger } from '../../src/sdk/index.ts';

/** One record to produce. The client picks its partition. */
export interface OutgoingRecord {
  readonly topic: string;
  /** null: no key (spread over the available partitions). */
  readonly key: string | null;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Where a record landed, or why it did not. One per record, in input order. */
export type SendResult =
  | { readonly ok: true; readonly partition: number; readonly offset: string }
  | { readonly ok: false; readonly error: KafkaClientError };

/** A client error reduced to what the connector needs: a stable type name and kafkajs's retriable flag. */
export class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError';
  constructor(
    /** Kafka protocol error (`MESSAGE_TOO_LARGE`, …) when there is one on the cause chain, else the client error name. */
    readonly type: string,
    readonly retriable: boolean,
    message: string,
  ) {
    super(message);
  }
}

export interface TlsOptions {
  readonly rejectUnauthorized?: boolean | undefined;
  readonly ca?: readonly string[] | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly servername?: string | undefined;
}

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean | TlsOptions;
  readonly sasl?:
    | {
        readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
        readonly username: string;
        readonly password: string;
      }
    | undefined;
  readonly compression: 'none' | 'gzip';
  /** -1 (all in-sync replicas; enables the idempotent producer) or 1 (leader only). */
  readonly acks: -1 | 1;
  readonly allowAutoTopicCreation: boolean;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** kafkajs's own retries inside one send; the dispatcher owns the real retries. */
  readonly retries: number;
  /** Partition counts are refreshed at least this often (Kafka's metadata.max.age.ms). */
  readonly metadataMaxAgeMs: number;
  readonly log: ConnectorLogger;
}

/** The narrow interface the connector uses. */
export interface KafkaClient {
  /**
   * Produce every record with one `sendBatch` (records of unknown or unreadable topics are left out
   * and get their error), once the sends called before it have ended. Connects on first use.
   * Offsets are exact: each record is sent with an explicit partition, so its offset is the
   * partition's base offset plus its index there.
   */
  send(records: readonly OutgoingRecord[]): Promise<SendResult[]>;
  /** A metadata round trip: the given topics, or just the cluster when none. */
  ping(topics: readonly string[]): Promise<void>;
  /** Disconnect. Safe to call more than once; the client can still reconnect afterwards if used. */
  close(): Promise<void>;
}

/** Errors after which cached partition counts are refreshed. */
const STALE_METADATA = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSBrokerNotFound',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
]);

/** Reduce a kafkajs error (possibly wrapped in KafkaJSNumberOfRetriesExceeded) to type + retriable. */
export function normalizeError(error: unknown): KafkaClientError {
  if (error instanceof KafkaClientError) return error;
  let current: unknown = error;
  let outer: { name?: string; message?: string; retriable?: boolean } | undefined;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 6; depth++) {
    const e = current as {
      name?: string;
      type?: unknown;
      message?: string;
      retriable?: boolean;
      cause?: unknown;
      originalError?: unknown;
    };
    outer ??= e;
    if (typeof e.type === 'string' && e.type !== '')
      return new KafkaClientError(e.type, e.retriable !== false, e.message ?? e.type);
    const next = e.cause ?? e.originalError;
    if (next === undefined || next === null) {
      // The innermost error decides: a retries-exceeded wrapper is not retriable itself, its cause may be.
      const name = e.name && e.name !== 'Error' ? e.name : (outer.name ?? 'Error');
      return new KafkaClientError(name, e.retriable ?? outer.retriable ?? true, e.message ?? String(error));
    }
    current = next;
  }
  return new KafkaClientError('Error', true, String(error));
}

function toKafkaLogLevel(level: KafkaLogLevel, warn: KafkaLogLevel, entry: LogEntry, log: ConnectorLogger): void {
  // Only the message, namespace, broker and error text: never the SASL block or connection options.
  const fields = { namespace: entry.namespace, broker: entry.log['broker'], error: entry.log['error'] };
  const message = `kafkajs: ${entry.log.message}`;
  if (level <= warn) log.warn(fields, message);
  else log.debug(fields, message);
}

/** What the client takes from kafkajs once it is loaded. */
interface KafkaKit {
  readonly kafka: Kafka;
  readonly createPartitioner: ICustomPartitioner;
  readonly partitioner: ReturnType<ICustomPartitioner>;
  readonly compression: CompressionTypes;
}

interface Connection {
  readonly producer: Producer;
  readonly admin: Admin;
  readonly kit: KafkaKit;
}

interface CachedTopic {
  readonly partitions: PartitionMetadata[];
  readonly fetchedAt: number;
}

/** Build the client. No I/O happens until the first `send` or `ping`. */
export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: options.retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
  if (options.ssl !== false) {
    config.ssl =
      options.ssl === true
        ? true
        : {
            ...(options.ssl.rejectUnauthorized !== undefined
              ? { rejectUnauthorized: options.ssl.rejectUnauthorized }
              : {}),
            ...(options.ssl.ca ? { ca: [...options.ssl.ca] } : {}),
            ...(options.ssl.cert ? { cert: options.ssl.cert } : {}),
            ...(options.ssl.key ? { key: options.ssl.key } : {}),
            ...(options.ssl.servername ? { servername: options.ssl.servername } : {}),
          };
  }
  if (options.sasl) config.sasl = { ...options.sasl } as SASLOptions;
  // Loaded here, not at module load: kafkajs costs memory at start even when no kafka connector is configured.
  const kit: Promise<KafkaKit> = import('kafkajs').then(({ CompressionTypes, Kafka, Partitioners, logLevel }) => ({
    kafka: new Kafka({
      ...config,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => toKafkaLogLevel(entry.level, logLevel.WARN, entry, options.log),
    }),
    createPartitioner: Partitioners.DefaultPartitioner,
    partitioner: Partitioners.DefaultPartitioner(),
    compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
  }));
  kit.catch(() => undefined); // a failed load is reported by the first send or ping (through connect)
  const topics = new Map<string, CachedTopic>();
  const fetching = new Map<string, Promise<PartitionMetadata[]>>();
  let connection: Promise<Connection> | undefined;

  function connect(): Promise<Connection> {
    connection ??= (async () => {
      const loaded = await kit;
      const producer = loaded.kafka.producer({
        idempotent: options.acks === -1,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: options.allowAutoTopicCreation,
        createPartitioner: loaded.createPartitioner,
        metadataMaxAge: options.metadataMaxAgeMs,
        retry: { retries: options.retries, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      const admin = loaded.kafka.admin({
        retry: { retries: options.retries, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      try {
        await Promise.all([producer.connect(), admin.connect()]);
      } catch (error) {
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
        throw error;
      }
      return { producer, admin, kit: loaded };
    })();
    const current = connection;
    current.catch(() => {
      if (connection === current) connection = undefined;
    });
    return current;
  }

  /** Drop the connection (after an error that leaves it unusable); the next call connects afresh. */
  function reset(): void {
    const current = connection;
    connection = undefined;
    topics.clear();
    void current?.then(
      (c) => Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]),
      () => undefined,
    );
  }

  async function fetchPartitions(admin: Admin, producer: Producer, topic: string): Promise<PartitionMetadata[]> {
    try {
      const {
        topics: [meta],
      } = await admin.fetchTopicMetadata({ topics: [topic] });
      if (!meta || meta.partitions.length === 0)
        throw new KafkaClientError('LEADER_NOT_AVAILABLE', true, `no partitions known yet for topic ${topic}`);
      return meta.partitions;
    } catch (error) {
      const normalized = normalizeError(error);
      if (normalized.type !== 'UNKNOWN_TOPIC_OR_PARTITION' || !options.allowAutoTopicCreation) throw normalized;
      // The admin client never creates topics; the producer's metadata request does (auto.create.topics.enable).
      await producer.sendBatch({ acks: options.acks, topicMessages: [{ topic, messages: [] }] });
      const {
        topics: [meta],
      } = await admin.fetchTopicMetadata({ topics: [topic] });
      if (!meta || meta.partitions.length === 0)
        throw new KafkaClientError('LEADER_NOT_AVAILABLE', true, `topic ${topic} is being created`);
      return meta.partitions;
    }
  }

  async function partitionsOf(c: Connection, topic: string): Promise<PartitionMetadata[]> {
    const cached = topics.get(topic);
    if (cached && Date.now() - cached.fetchedAt < options.metadataMaxAgeMs) return cached.partitions;
    let pending = fetching.get(topic);
    if (!pending) {
      pending = fetchPartitions(c.admin, c.producer, topic)
        .then((partitions) => {
          topics.set(topic, { partitions, fetchedAt: Date.now() });
          return partitions;
        })
        .finally(() => fetching.delete(topic));
      fetching.set(topic, pending);
    }
    return pending;
  }

  /** One send: partitions looked up, one sendBatch, one result per record. */
  async function sendNow(records: readonly OutgoingRecord[]): Promise<SendResult[]> {
    const results: (SendResult | undefined)[] = new Array(records.length);
    let c: Connection;
    try {
      c = await connect();
    } catch (error) {
      const failure = { ok: false, error: normalizeError(error) } as const;
      return records.map(() => failure);
    }
    // Partition counts per topic; a topic that cannot be read fails only its own records.
    const names = [...new Set(records.map((r) => r.topic))];
    const meta = new Map<string, PartitionMetadata[] | KafkaClientError>();
    await Promise.all(
      names.map(async (topic) => {
        try {
          meta.set(topic, await partitionsOf(c, topic));
        } catch (error) {
          const normalized = normalizeError(error);
          if (normalized.type.startsWith('KafkaJSConnection')) reset();
          meta.set(topic, normalized);
        }
      }),
    );
    // Explicit partitions (kafkajs DefaultPartitioner = Java's murmur2) fix the grouping, so the
    // response's base offset per partition gives each record's exact offset.
    const groups = new Map<string, Map<number, number[]>>();
    const messages = new Map<
      string,
      { key: string | null; value: string; headers: Record<string, string>; partition: number }[]
    >();
    records.forEach((record, index) => {
      const partitions = meta.get(record.topic)!;
      if (partitions instanceof KafkaClientError) {
        results[index] = { ok: false, error: partitions };
        return;
      }
      const message = { key: record.key, value: record.value, headers: { ...record.headers } };
      const partition = c.kit.partitioner({ topic: record.topic, partitionMetadata: partitions, message });
      let byPartition = groups.get(record.topic);
      if (!byPartition) groups.set(record.topic, (byPartition = new Map()));
      const indexes = byPartition.get(partition);
      if (indexes) indexes.push(index);
      else byPartition.set(partition, [index]);
      const list = messages.get(record.topic);
      if (list) list.push({ ...message, partition });
      else messages.set(record.topic, [{ ...message, partition }]);
    });
    if (messages.size > 0) {
      try {
        const response = await c.producer.sendBatch({
          acks: options.acks,
          timeout: options.requestTimeoutMs,
          compression: c.kit.compression,
          topicMessages: [...messages].map(([topic, list]) => ({ topic, messages: list })),
        });
        for (const { topicName, partition, baseOffset } of response) {
          const indexes = groups.get(topicName)?.get(partition) ?? [];
          if (baseOffset === undefined || baseOffset === null) continue;
          const base = BigInt(baseOffset);
          indexes.forEach((recordIndex, n) => {
            results[recordIndex] = { ok: true, partition, offset: String(base + BigInt(n)) };
          });
        }
        const missing = new KafkaClientError('NO_ACKNOWLEDGEMENT', true, 'the broker answered without this partition');
        for (const byPartition of groups.values())
          for (const indexes of byPartition.values())
            for (const i of indexes) results[i] ??= { ok: false, error: missing };
      } catch (error) {
        const normalized = normalizeError(error);
        if (STALE_METADATA.has(normalized.type)) for (const topic of messages.keys()) topics.delete(topic);
        // Any failed sendBatch leaves its outcome unknown: a request that timed out or lost its
        // connection may have been written, and kafkajs gives its sequence numbers back all the same.
        // The next batch on this producer id would reuse them and the broker would answer it as a
        // duplicate of the unknown one, with that one's offset: a record reported where it is not.
        // Even a protocol error may hide an earlier timed-out attempt of kafkajs's own retries. So a
        // failure always ends this producer; the next send gets a new producer id and sequence 0.
        reset();
        for (const byPartition of groups.values())
          for (const indexes of byPartition.values())
            for (const i of indexes) results[i] = { ok: false, error: normalized };
      }
    }
    return results as SendResult[];
  }

  // One send at a time, kafkajs's own retries included. kafkajs's idempotent producer gives a failed
  // attempt's sequence numbers back and frees its broker lock before retrying, so a second sendBatch
  // waiting on that lock would go out with those numbers. Had the failed attempt in fact been
  // written (a timeout), the broker would answer the second batch as its duplicate, and drop it.
  // In this queue a later batch waits with its records ready and goes out once the one before is
  // done, and after a failure, on a new producer (see the catch in sendNow).
  let previous: Promise<unknown> = Promise.resolve();

  return {
    send(records) {
      const turn = previous.then(() => sendNow(records));
      previous = turn.catch(() => undefined);
      return turn;
    },

    async ping(names) {
      try {
        const c = await connect();
        if (names.length > 0) await c.admin.fetchTopicMetadata({ topics: [...names] });
        else await c.admin.describeCluster();
      } catch (error) {
        const normalized = normalizeError(error);
        if (normalized.type.startsWith('KafkaJSConnection')) reset();
        throw normalized;
      }
    },

    async close() {
      const current = connection;
      connection = undefined;
      topics.clear();
      if (!current) return;
      const c = await current.catch(() => undefined);
      if (c) await Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]);
    },
  };
}
