/**
 * The client on kafkajs (with kafkajs-kit.ts, the only files that know it). Everything else in the
 * connector talks to {@link KafkaClient} (client.ts): "send these records, tell me where each one
 * landed". Replacing kafkajs means rewriting these two files and nothing else (keep the
 * Java-compatible murmur2 partitioning, or keys move partitions).
 */
import type { Admin, PartitionMetadata, Producer } from 'kafkajs';
import {
  type KafkaClient,
  KafkaClientError,
  type KafkaClientOptions,
  normalizeError,
  type OutgoingRecord,
  type SendResult,
} from './client.ts';

import { type KafkaKit, loadKit } from './kafkajs-kit.ts';

export * from './client.ts';

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

interface Connection {
  readonly producer: Producer;
  readonly admin: Admin;
  readonly kit: KafkaKit;
}

interface CachedTopic {
  readonly partitions: PartitionMetadata[];
  readonly fetchedAt: number;
}

type Message = { key: string | null; value: string; headers: Record<string, string>; partition: number };

/** Records of one send, each with its explicit partition, and where each record sits in the input. */
interface Plan {
  /** topic → partition → indexes of the input records, in order. */
  readonly groups: Map<string, Map<number, number[]>>;
  readonly messages: Map<string, Message[]>;
}

/** Build the client. No I/O happens until the first `send` or `ping`. */
export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  return new KafkaJsClient(options);
}

/**
 * One send at a time, kafkajs's own retries included. kafkajs's idempotent producer gives a failed
 * attempt's sequence numbers back and frees its broker lock before retrying, so a second sendBatch
 * waiting on that lock would go out with those numbers. Had the failed attempt in fact been written
 * (a timeout), the broker would answer the second batch as its duplicate, and drop it. In this queue
 * a later batch waits with its records ready and goes out once the one before is done, and after a
 * failure, on a new producer (see `produce`).
 */
class KafkaJsClient implements KafkaClient {
  private readonly kit: Promise<KafkaKit>;
  private readonly topics = new Map<string, CachedTopic>();
  private readonly fetching = new Map<string, Promise<PartitionMetadata[]>>();
  private connection: Promise<Connection> | undefined;
  private previous: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: KafkaClientOptions) {
    this.kit = loadKit(options);
  }

  send(records: readonly OutgoingRecord[]): Promise<SendResult[]> {
    const turn = this.previous.then(() => this.sendNow(records));
    this.previous = turn.catch(() => undefined);
    return turn;
  }

  async ping(names: readonly string[]): Promise<void> {
    try {
      const c = await this.connect();
      if (names.length > 0) await c.admin.fetchTopicMetadata({ topics: [...names] });
      else await c.admin.describeCluster();
    } catch (error) {
      const normalized = normalizeError(error);
      if (normalized.type.startsWith('KafkaJSConnection')) this.reset();
      throw normalized;
    }
  }

  async close(): Promise<void> {
    const current = this.connection;
    this.connection = undefined;
    this.topics.clear();
    if (!current) return;
    const c = await current.catch(() => undefined);
    if (c) await Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]);
  }

  private connect(): Promise<Connection> {
    this.connection ??= this.open();
    const current = this.connection;
    current.catch(() => {
      if (this.connection === current) this.connection = undefined;
    });
    return current;
  }

  private async open(): Promise<Connection> {
    const { options } = this;
    const kit = await this.kit;
    const retry = { retries: options.retries, initialRetryTime: 100, maxRetryTime: 1_000 };
    const producer = kit.kafka.producer({
      idempotent: options.acks === -1,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      createPartitioner: kit.createPartitioner,
      metadataMaxAge: options.metadataMaxAgeMs,
      retry,
    });
    const admin = kit.kafka.admin({ retry });
    try {
      await Promise.all([producer.connect(), admin.connect()]);
    } catch (error) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      throw error;
    }
    return { producer, admin, kit };
  }

  /** Drop the connection (after an error that leaves it unusable); the next call connects afresh. */
  private reset(): void {
    const current = this.connection;
    this.connection = undefined;
    this.topics.clear();
    void current?.then(
      (c) => Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]),
      () => undefined,
    );
  }

  private async fetchPartitions(c: Connection, topic: string): Promise<PartitionMetadata[]> {
    const read = async (what: string) => {
      const {
        topics: [meta],
      } = await c.admin.fetchTopicMetadata({ topics: [topic] });
      if (!meta || meta.partitions.length === 0) throw new KafkaClientError('LEADER_NOT_AVAILABLE', true, what);
      return meta.partitions;
    };
    try {
      return await read(`no partitions known yet for topic ${topic}`);
    } catch (error) {
      const normalized = normalizeError(error);
      if (normalized.type !== 'UNKNOWN_TOPIC_OR_PARTITION' || !this.options.allowAutoTopicCreation) throw normalized;
      // The admin client never creates topics; the producer's metadata request does (auto.create.topics.enable).
      await c.producer.sendBatch({ acks: this.options.acks, topicMessages: [{ topic, messages: [] }] });
      return read(`topic ${topic} is being created`);
    }
  }

  private partitionsOf(c: Connection, topic: string): Promise<PartitionMetadata[]> {
    const cached = this.topics.get(topic);
    if (cached && Date.now() - cached.fetchedAt < this.options.metadataMaxAgeMs)
      return Promise.resolve(cached.partitions);
    let pending = this.fetching.get(topic);
    if (!pending) {
      pending = this.fetchPartitions(c, topic)
        .then((partitions) => {
          this.topics.set(topic, { partitions, fetchedAt: Date.now() });
          return partitions;
        })
        .finally(() => this.fetching.delete(topic));
      this.fetching.set(topic, pending);
    }
    return pending;
  }

  /** One send: partitions looked up, one sendBatch, one result per record. */
  private async sendNow(records: readonly OutgoingRecord[]): Promise<SendResult[]> {
    let c: Connection;
    try {
      c = await this.connect();
    } catch (error) {
      const failure = { ok: false, error: normalizeError(error) } as const;
      return records.map(() => failure);
    }
    const results: (SendResult | undefined)[] = new Array(records.length);
    const meta = await this.topicMeta(c, records);
    const plan = planRecords(c.kit, records, meta, results);
    if (plan.messages.size > 0) await this.produce(c, plan, results);
    return results as SendResult[];
  }

  /** Partition counts per topic; a topic that cannot be read fails only its own records. */
  private async topicMeta(
    c: Connection,
    records: readonly OutgoingRecord[],
  ): Promise<Map<string, PartitionMetadata[] | KafkaClientError>> {
    const meta = new Map<string, PartitionMetadata[] | KafkaClientError>();
    const names = [...new Set(records.map((r) => r.topic))];
    await Promise.all(
      names.map(async (topic) => {
        try {
          meta.set(topic, await this.partitionsOf(c, topic));
        } catch (error) {
          const normalized = normalizeError(error);
          if (normalized.type.startsWith('KafkaJSConnection')) this.reset();
          meta.set(topic, normalized);
        }
      }),
    );
    return meta;
  }

  /** One sendBatch; each record's offset is its partition's base offset plus its index there. */
  private async produce(c: Connection, plan: Plan, results: (SendResult | undefined)[]): Promise<void> {
    const planned = [...plan.groups.values()].flatMap((byPartition) => [...byPartition.values()].flat());
    try {
      const response = await c.producer.sendBatch({
        acks: this.options.acks,
        timeout: this.options.requestTimeoutMs,
        compression: c.kit.compression,
        topicMessages: [...plan.messages].map(([topic, list]) => ({ topic, messages: list })),
      });
      for (const { topicName, partition, baseOffset } of response) {
        const indexes = plan.groups.get(topicName)?.get(partition) ?? [];
        if (baseOffset === undefined || baseOffset === null) continue;
        const base = BigInt(baseOffset);
        indexes.forEach((recordIndex, n) => {
          results[recordIndex] = { ok: true, partition, offset: String(base + BigInt(n)) };
        });
      }
      const missing = new KafkaClientError('NO_ACKNOWLEDGEMENT', true, 'the broker answered without this partition');
      for (const i of planned) results[i] ??= { ok: false, error: missing };
    } catch (error) {
      const normalized = normalizeError(error);
      if (STALE_METADATA.has(normalized.type)) for (const topic of plan.messages.keys()) this.topics.delete(topic);
      // Any failed sendBatch leaves its outcome unknown: a request that timed out or lost its
      // connection may have been written, and kafkajs gives its sequence numbers back all the same.
      // The next batch on this producer id would reuse them and the broker would answer it as a
      // duplicate of the unknown one, with that one's offset: a record reported where it is not.
      // Even a protocol error may hide an earlier timed-out attempt of kafkajs's own retries. So a
      // failure always ends this producer; the next send gets a new producer id and sequence 0.
      this.reset();
      for (const i of planned) results[i] = { ok: false, error: normalized };
    }
  }
}

/**
 * Explicit partitions (kafkajs DefaultPartitioner = Java's murmur2) fix the grouping, so the
 * response's base offset per partition gives each record's exact offset. Records of a topic that
 * could not be read get its error in `results`.
 */
function planRecords(
  kit: KafkaKit,
  records: readonly OutgoingRecord[],
  meta: Map<string, PartitionMetadata[] | KafkaClientError>,
  results: (SendResult | undefined)[],
): Plan {
  const groups = new Map<string, Map<number, number[]>>();
  const messages = new Map<string, Message[]>();
  records.forEach((record, index) => {
    const partitions = meta.get(record.topic)!;
    if (partitions instanceof KafkaClientError) {
      results[index] = { ok: false, error: partitions };
      return;
    }
    const message = { key: record.key, value: record.value, headers: { ...record.headers } };
    const partition = kit.partitioner({ topic: record.topic, partitionMetadata: partitions, message });
    let byPartition = groups.get(record.topic);
    if (!byPartition) groups.set(record.topic, (byPartition = new Map()));
    const indexes = byPartition.get(partition);
    if (indexes) indexes.push(index);
    else byPartition.set(partition, [index]);
    const list = messages.get(record.topic);
    if (list) list.push({ ...message, partition });
    else messages.set(record.topic, [{ ...message, partition }]);
  });
  return { groups, messages };
}
