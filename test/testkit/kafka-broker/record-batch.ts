import { UnsupportedCodecError, decompress } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { ErrorCode } from './protocol/error-codes.ts';
import { DecodeError, Reader } from './protocol/reader.ts';

/**
 * Decoder and validator for record batch v2 ("magic 2"), the only message
 * format of Produce v3+ (https://kafka.apache.org/documentation/#recordbatch):
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8
 *   | crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64
 *   | maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32
 *   | recordsCount int32 | records (compressed as a whole when the codec is not 0)
 *
 * The checks follow what Apache Kafka's log validation rejects for client
 * produce requests, in the same order, so a client that passes here should not
 * trip over a real broker either.
 */

/** Bytes before the CRC-covered region: baseOffset, batchLength, partitionLeaderEpoch, magic, crc. */
const CRC_COVERED_START = 21;
/** Everything up to and including recordsCount (Kafka's RECORD_BATCH_OVERHEAD). */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: batchLength counts the bytes after itself. */
const LOG_OVERHEAD = 12;
const MAGIC_OFFSET = 16;

const ATTR_COMPRESSION_MASK = 0x07;
const ATTR_TIMESTAMP_TYPE = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

/** Producer id -1 means "not idempotent" (RecordBatch.NO_PRODUCER_ID). */
export const NO_PRODUCER_ID = -1n;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offsetDelta: number;
  /** baseTimestamp + timestampDelta (CreateTime), in ms. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  /** Total size on the wire, batchLength + 12: what max.message.bytes limits. */
  sizeInBytes: number;
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: DecodedRecord[];
}

/** A batch rejected with a Kafka error code, which the Produce handler returns for its partition. */
export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface DecodeOptions {
  /** Largest batch accepted (Kafka's max.message.bytes); larger → MESSAGE_TOO_LARGE. */
  maxBatchBytes?: number;
}

/**
 * Validates and decodes the RECORDS field of one partition in a Produce v3+
 * request, which must hold exactly one magic-2 batch.
 * @throws RecordBatchError carrying the error code to answer with
 */
export function decodeRecordBatch(data: Buffer, options: DecodeOptions = {}): DecodedBatch {
  // --- framing: exactly one complete batch. Truncation is corruption (CorruptRecordException
  // in Kafka); extra bytes mean more than one batch, which v3+ forbids (InvalidRecordException).
  if (data.length < LOG_OVERHEAD + 5) {
    throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, `record batch too short (${data.length} bytes)`);
  }
  const batchLength = data.readInt32BE(8);
  const sizeInBytes = batchLength + LOG_OVERHEAD;
  if (batchLength < 0 || sizeInBytes > data.length) {
    throw new RecordBatchError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch truncated: batchLength ${batchLength}, have ${data.length - LOG_OVERHEAD}`,
    );
  }
  const magic = data.readInt8(MAGIC_OFFSET);
  if (magic !== 2) {
    throw new RecordBatchError(ErrorCode.INVALID_RECORD, `Produce v3+ requires message format magic 2, got ${magic}`);
  }
  if (sizeInBytes < data.length) {
    throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'Produce v3+ allows exactly one record batch per partition');
  }
  if (sizeInBytes < RECORD_BATCH_OVERHEAD) {
    throw new RecordBatchError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch size ${sizeInBytes} is below the minimum overhead ${RECORD_BATCH_OVERHEAD}`,
    );
  }

  const r = new Reader(data);
  const baseOffset = r.int64();
  r.int32(); // batchLength, read above
  const partitionLeaderEpoch = r.int32();
  r.int8(); // magic, read above
  const crc = r.uint32();

  // --- size limit before CRC, as Kafka does (a huge batch is refused without hashing it).
  if (options.maxBatchBytes !== undefined && sizeInBytes > options.maxBatchBytes) {
    throw new RecordBatchError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `record batch of ${sizeInBytes} bytes exceeds max.message.bytes ${options.maxBatchBytes}`,
    );
  }

  // --- integrity: CRC-32C over everything from attributes to the end of the batch.
  const computed = crc32c(data.subarray(CRC_COVERED_START, sizeInBytes));
  if (computed !== crc) {
    throw new RecordBatchError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch CRC mismatch: stored 0x${crc.toString(16)}, computed 0x${computed.toString(16)}`,
    );
  }

  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const recordsCount = r.int32();

  const compression = attributes & ATTR_COMPRESSION_MASK;
  const isTransactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
  const isControl = (attributes & ATTR_CONTROL) !== 0;

  // --- header semantics Kafka's LogValidator enforces for client batches.
  if (baseOffset !== 0n) {
    throw new RecordBatchError(
      ErrorCode.INVALID_RECORD,
      `the baseOffset of a produced record batch must be 0, got ${baseOffset}`,
    );
  }
  if (isControl) {
    throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'clients must not produce control batches');
  }
  if ((attributes & ATTR_TIMESTAMP_TYPE) !== 0) {
    throw new RecordBatchError(ErrorCode.INVALID_TIMESTAMP, 'producers must not set timestamp type LogAppendTime');
  }
  if (recordsCount <= 0 || lastOffsetDelta + 1 !== recordsCount) {
    throw new RecordBatchError(
      ErrorCode.INVALID_RECORD,
      `inconsistent record count ${recordsCount} and lastOffsetDelta ${lastOffsetDelta}`,
    );
  }
  if (producerId !== NO_PRODUCER_ID && baseSequence < 0) {
    throw new RecordBatchError(ErrorCode.INVALID_RECORD, `idempotent batch has invalid baseSequence ${baseSequence}`);
  }

  let recordBytes: Buffer;
  try {
    recordBytes = decompress(compression, r.rest());
  } catch (err) {
    if (err instanceof UnsupportedCodecError) {
      throw new RecordBatchError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, err.message);
    }
    throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress records: ${(err as Error).message}`);
  }

  const records = decodeRecords(recordBytes, recordsCount, baseTimestamp);
  return {
    sizeInBytes,
    baseOffset,
    partitionLeaderEpoch,
    magic,
    crc,
    attributes,
    compression,
    isTransactional,
    isControl,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    records,
  };
}

/**
 * Record layout: length varint | attributes int8 | timestampDelta varlong |
 * offsetDelta varint | keyLength varint | key | valueLength varint | value |
 * headersCount varint | (keyLength varint | key | valueLength varint | value)*.
 */
function decodeRecords(bytes: Buffer, count: number, baseTimestamp: bigint): DecodedRecord[] {
  const r = new Reader(bytes);
  const records: DecodedRecord[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      if (length < 0) throw new DecodeError(`negative record length ${length}`);
      const body = new Reader(r.raw(length));
      body.int8(); // record attributes: unused by the format so far
      const timestampDelta = body.varlong();
      const offsetDelta = body.varint();
      // Inner offsets must run 0, 1, 2 … (Kafka: "inner record offsets must be sequential").
      if (offsetDelta !== i) throw new DecodeError(`record ${i} has offsetDelta ${offsetDelta}`);
      const key = copy(body.varintBytes());
      const value = copy(body.varintBytes());
      const headerCount = body.varint();
      if (headerCount < 0) throw new DecodeError(`negative header count ${headerCount}`);
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const headerKey = body.varintBytes();
        if (headerKey === null) throw new DecodeError('null header key');
        headers.push({ key: headerKey.toString('utf8'), value: copy(body.varintBytes()) });
      }
      if (body.remaining !== 0) throw new DecodeError(`record ${i} has ${body.remaining} trailing bytes`);
      records.push({ offsetDelta, timestamp: BigInt.asIntN(64, baseTimestamp + timestampDelta), key, value, headers });
    }
    if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the last record`);
  } catch (err) {
    if (err instanceof DecodeError)
      throw new RecordBatchError(ErrorCode.INVALID_RECORD, `invalid record: ${err.message}`);
    throw err;
  }
  return records;
}

/** Stored records get their own memory: a view would pin the whole request frame for the broker's lifetime. */
function copy(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}
