import { failed, retry, unreachable, type Outcome } from '../../src/sdk/index.ts';
import type { KafkaClientError } from './producer.ts';

/** Kafka errors that no retry can fix: the delivery becomes a dead letter with the error name. */
const PERMANENT = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'CORRUPT_MESSAGE',
  'INVALID_RECORD',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_TIMESTAMP',
  'SASL_AUTHENTICATION_FAILED',
  'KafkaJSSASLAuthenticationError',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'POLICY_VIOLATION',
]);

/** Kafka errors that pass: leader moves, timeouts, lost connections, a producer being reset. */
const TRANSIENT = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'COORDINATOR_NOT_AVAILABLE',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'NO_ACKNOWLEDGEMENT',
]);

/** Errors that mean no broker could be reached or answered: the connector is probed as a whole. */
const UNREACHABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
]);

/**
 * The outcome of a failed send. UNKNOWN_TOPIC_OR_PARTITION is permanent when topics are not
 * auto-created (nobody is going to create it in time), and passing while an auto-created topic appears.
 */
export function classifyKafkaError(error: KafkaClientError, allowAutoTopicCreation: boolean): Outcome {
  const reason = `${error.type}: ${error.message}`;
  if (error.type === 'UNKNOWN_TOPIC_OR_PARTITION') return allowAutoTopicCreation ? retry(reason) : failed(reason);
  if (PERMANENT.has(error.type)) return failed(reason);
  if (UNREACHABLE.has(error.type)) return unreachable(reason);
  if (TRANSIENT.has(error.type)) return retry(reason);
  // The producer was being closed (a reload or shutdown): another instance will send it.
  if (/disconnect/i.test(error.message)) return retry(reason);
  return error.retriable ? retry(reason) : failed(reason);
}
