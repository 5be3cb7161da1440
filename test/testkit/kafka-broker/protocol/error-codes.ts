/**
 * The Kafka error codes this broker can return or that tests commonly inject,
 * with their names from https://kafka.apache.org/protocol#protocol_error_codes.
 */
export const ErrorCode = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  TOPIC_AUTHORIZATION_FAILED: 29,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const namesByCode = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** Name for a code, e.g. 6 → 'NOT_LEADER_FOR_PARTITION'; unknown codes become 'ERROR_<code>'. */
export function errorName(code: number): string {
  return namesByCode.get(code) ?? `ERROR_${code}`;
}

/** Accepts a numeric code or one of the names above. */
export function resolveErrorCode(codeOrName: number | ErrorCodeName): number {
  if (typeof codeOrName === 'number') {
    if (!Number.isInteger(codeOrName) || codeOrName < -32768 || codeOrName > 32767) {
      throw new RangeError(`error code must be an int16: ${codeOrName}`);
    }
    return codeOrName;
  }
  const code = ErrorCode[codeOrName];
  if (code === undefined) throw new RangeError(`unknown error name: ${String(codeOrName)}`);
  return code;
}
