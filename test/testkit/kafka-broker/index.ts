/**
 * In-process Kafka broker for tests: real TCP, real wire protocol, real clients.
 * See broker.ts for what is implemented.
 */
export { KafkaTestBroker, startKafkaBroker } from './broker.ts';
export type { KafkaBrokerOptions } from './broker.ts';
export type { RequestLogEntry } from './connection.ts';
export type { StoredRecord } from './log.ts';
export type { RecordHeader } from './record-batch.ts';
export { ApiKey } from './protocol/api-keys.ts';
export type { ApiName } from './protocol/api-keys.ts';
export { ErrorCode, errorName } from './protocol/error-codes.ts';
export type { ErrorCodeName } from './protocol/error-codes.ts';
export { encodeRecordBatch } from './record-batch-writer.ts';
export type { BatchInput, RecordInput } from './record-batch-writer.ts';
export { crc32c } from './crc32c.ts';
export { Reader } from './protocol/reader.ts';
export { Writer } from './protocol/writer.ts';
export { RawKafkaClient, metadataRequestBody, produceRequestBody } from './raw-client.ts';
