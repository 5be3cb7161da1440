import { compress } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { NO_PRODUCER_ID } from './record-batch.ts';
import { Writer } from './protocol/writer.ts';

/**
 * Encoder for record batch v2, the inverse of decodeRecordBatch. Tests use it
 * to hand-build Produce requests (including deliberately broken ones); a
 * future Fetch implementation can use it to serve stored records.
 */

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Array<{ key: string; value: Buffer | string | null }>;
  /** Added to baseTimestamp; default 0. */
  timestampDelta?: bigint;
}

export interface BatchInput {
  records: RecordInput[];
  /** Written as-is; clients must send 0 (the broker assigns offsets). */
  baseOffset?: bigint;
  baseTimestamp?: bigint;
  /** Codec id for attributes bits 0–2: 0 none, 1 gzip. */
  compression?: number;
  /** Extra attribute bits OR-ed in (e.g. 0x10 transactional), for negative tests. */
  extraAttributes?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

export function encodeRecordBatch(input: BatchInput): Buffer {
  const baseTimestamp = input.baseTimestamp ?? BigInt(Date.now());
  const compression = input.compression ?? 0;
  const producerId = input.producerId ?? NO_PRODUCER_ID;

  const records = new Writer();
  let maxTimestamp = baseTimestamp;
  input.records.forEach((rec, i) => {
    const delta = rec.timestampDelta ?? 0n;
    if (baseTimestamp + delta > maxTimestamp) maxTimestamp = baseTimestamp + delta;
    const body = new Writer()
      .int8(0)
      .varlong(delta)
      .varint(i)
      .varintBytes(toBuffer(rec.key))
      .varintBytes(toBuffer(rec.value));
    const headers = rec.headers ?? [];
    body.varint(headers.length);
    for (const h of headers) {
      body.varintBytes(Buffer.from(h.key, 'utf8')).varintBytes(toBuffer(h.value));
    }
    const bytes = body.toBuffer();
    records.varint(bytes.length).raw(bytes);
  });

  // The CRC covers attributes through the end, so build that region first.
  const covered = new Writer()
    .int16(compression | (input.extraAttributes ?? 0))
    .int32(input.records.length - 1)
    .int64(baseTimestamp)
    .int64(maxTimestamp)
    .int64(producerId)
    .int16(input.producerEpoch ?? -1)
    .int32(input.baseSequence ?? -1)
    .int32(input.records.length)
    .raw(compress(compression, records.toBuffer()))
    .toBuffer();

  return new Writer()
    .int64(input.baseOffset ?? 0n)
    .int32(4 + 1 + 4 + covered.length) // partitionLeaderEpoch + magic + crc + covered
    .int32(input.partitionLeaderEpoch ?? -1)
    .int8(2)
    .uint32(crc32c(covered))
    .raw(covered)
    .toBuffer();
}
