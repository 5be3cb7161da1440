/**
 * Entry of the Kafka client thread (see threaded-client.ts): runs the kafkajs client of
 * producer.ts and answers the main thread's calls. Everything that crosses is plain data:
 * records in, results and errors out as { type, retriable, message }, log lines forwarded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ConnectorLogger } from '../../src/sdk/index.ts';
import { createKafkaClient, normalizeError, type KafkaClientOptions, type SendResult } from './producer.ts';
import type { ThreadCall, ThreadError, ThreadReply, WireSendResult } from './thread-protocol.ts';

const port = parentPort!;
const forward = (level: 'debug' | 'info' | 'warn' | 'error') => (fields: object, message?: string) =>
  port.postMessage({ log: level, fields, message: message ?? '' } satisfies ThreadReply);
const log: ConnectorLogger = {
  debug: forward('debug'),
  info: forward('info'),
  warn: forward('warn'),
  error: forward('error'),
};
const client = createKafkaClient({ ...(workerData as Omit<KafkaClientOptions, 'log'>), log });

const wireError = (error: unknown): ThreadError => {
  const normalized = normalizeError(error);
  return { type: normalized.type, retriable: normalized.retriable, message: normalized.message };
};
const wireResult = (result: SendResult): WireSendResult =>
  result.ok ? result : { ok: false, error: wireError(result.error) };

port.on('message', (call: ThreadCall) => {
  const answer =
    call.op === 'send'
      ? client.send(call.records).then((results) => results.map(wireResult))
      : call.op === 'ping'
        ? client.ping(call.topics).then(() => null)
        : client.close().then(() => null);
  answer.then(
    (value) => port.postMessage({ id: call.id, ok: true, value } satisfies ThreadReply),
    (error: unknown) => port.postMessage({ id: call.id, ok: false, error: wireError(error) } satisfies ThreadReply),
  );
});
