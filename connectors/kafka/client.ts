/**
 * What the connector knows of its Kafka client: records in, where each landed out. No kafkajs here:
 * producer.ts is the only file that knows it.
 */
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
