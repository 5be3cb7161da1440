/**
 * kafkajs loaded and configured for the client in producer.ts (the two files are the only ones
 * that know kafkajs): its config from the connector's options, its logs into the connector's log.
 */
import type {
  CompressionTypes,
  ICustomPartitioner,
  Kafka,
  KafkaConfig,
  logLevel as KafkaLogLevel,
  LogEntry,
  SASLOptions,
} from 'kafkajs';
import type { ConnectorLogger } from '../../src/sdk/index.ts';
import type { KafkaClientOptions } from './client.ts';

function toKafkaLogLevel(level: KafkaLogLevel, warn: KafkaLogLevel, entry: LogEntry, log: ConnectorLogger): void {
  // Only the message, namespace, broker and error text: never the SASL block or connection options.
  const fields = { namespace: entry.namespace, broker: entry.log['broker'], error: entry.log['error'] };
  const message = `kafkajs: ${entry.log.message}`;
  if (level <= warn) log.warn(fields, message);
  else log.debug(fields, message);
}

/** What the client takes from kafkajs once it is loaded. */
export interface KafkaKit {
  readonly kafka: Kafka;
  readonly createPartitioner: ICustomPartitioner;
  readonly partitioner: ReturnType<ICustomPartitioner>;
  readonly compression: CompressionTypes;
}

function kafkaConfig(options: KafkaClientOptions): KafkaConfig {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: options.retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
  const { ssl } = options;
  if (ssl !== false) {
    config.ssl =
      ssl === true
        ? true
        : {
            ...(ssl.rejectUnauthorized !== undefined ? { rejectUnauthorized: ssl.rejectUnauthorized } : {}),
            ...(ssl.ca ? { ca: [...ssl.ca] } : {}),
            ...(ssl.cert ? { cert: ssl.cert } : {}),
            ...(ssl.key ? { key: ssl.key } : {}),
            ...(ssl.servername ? { servername: ssl.servername } : {}),
          };
  }
  if (options.sasl) config.sasl = { ...options.sasl } as SASLOptions;
  return config;
}

/** Loaded on first use, not at module load: kafkajs costs memory at start even when no kafka connector is configured. */
export function loadKit(options: KafkaClientOptions): Promise<KafkaKit> {
  const kit = import('kafkajs').then(({ CompressionTypes, Kafka, Partitioners, logLevel }) => ({
    kafka: new Kafka({
      ...kafkaConfig(options),
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => toKafkaLogLevel(entry.level, logLevel.WARN, entry, options.log),
    }),
    createPartitioner: Partitioners.DefaultPartitioner,
    partitioner: Partitioners.DefaultPartitioner(),
    compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
  }));
  kit.catch(() => undefined); // a failed load is reported by the first send or ping (through connect)
  return kit;
}
