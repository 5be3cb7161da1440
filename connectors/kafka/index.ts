import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConnector } from '../../src/sdk/index.ts';
import { KafkaConfig, type KafkaConfigOutput } from './config.ts';
import { KafkaConnector } from './connector.ts';
import type { TlsOptions } from './producer.ts';
import { createThreadedKafkaClient } from './threaded-client.ts';

/** TLS options with the *File fields read (relative to the config file's folder). */
function tlsOptions(ssl: KafkaConfigOutput['ssl'], configDir: string): boolean | TlsOptions {
  if (typeof ssl === 'boolean') return ssl;
  const read = (file: string | undefined) =>
    file === undefined ? undefined : readFileSync(resolve(configDir, file), 'utf8');
  const ca = [
    ...(ssl.ca === undefined ? [] : Array.isArray(ssl.ca) ? ssl.ca : [ssl.ca]),
    ...(ssl.caFile ? [read(ssl.caFile)!] : []),
  ];
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ca: ca.length > 0 ? ca : undefined,
    cert: ssl.cert ?? read(ssl.certFile),
    key: ssl.key ?? read(ssl.keyFile),
    servername: ssl.servername,
  };
}

/** Produce each event as a record to a Kafka topic, with exact offsets as refs. */
export default defineConnector({
  sdkVersion: 1,
  type: 'kafka',
  summary: 'Produce each event as a Kafka record (idempotent producer, key per chat, offset as ref).',
  config: KafkaConfig,
  examples: [
    {
      title: 'Every event to one topic, keyed by chat',
      config: { brokers: ['kafka-1:9092', 'kafka-2:9092'], topic: 'whatsapp.events' },
    },
    {
      title: 'One topic per event type, SASL over TLS, gzip, selected fields',
      config: {
        brokers: ['broker.example.com:9093'],
        topic: 'whatsapp.{{ event | replace: ":", "." }}',
        key: '{{ device.id }}:{{ chat.id }}',
        value: { id: '{{ id }}', at: '{{ receivedAt }}', from: '{{ contact.phone }}', text: '{{ message.body }}' },
        headers: { 'wa-device': '{{ device.id }}' },
        compression: 'gzip',
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'wa-router', password: '${KAFKA_PASSWORD}' },
      },
    },
  ],
  // Batches of 100 make few produce requests; per-chat ordering keeps one chat's events in order
  // across retries. The client sends one batch at a time (producer.ts); three in flight let the
  // next batches be claimed and rendered while one is on the wire, and never hold the same chat.
  delivery: { maxBatch: 100, maxInFlight: 3, timeoutMs: 30_000, orderBy: 'chat' },
  create(config, ctx) {
    const client = createThreadedKafkaClient({
      brokers: config.brokers,
      clientId: config.clientId,
      ssl: tlsOptions(config.ssl, ctx.configDir),
      sasl: config.sasl,
      compression: config.compression,
      acks: config.acks === 1 ? 1 : -1,
      allowAutoTopicCreation: config.allowAutoTopicCreation,
      connectionTimeoutMs: config.connectionTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      retries: config.retries,
      metadataMaxAgeMs: config.metadataMaxAgeMs,
      log: ctx.log,
    });
    return new KafkaConnector({
      templates: { topic: config.topic, key: config.key, value: config.value, headers: config.headers },
      client,
      allowAutoTopicCreation: config.allowAutoTopicCreation,
      maxMessageBytes: config.maxMessageBytes,
      sendTimeoutMs: config.sendTimeoutMs,
    });
  },
});
