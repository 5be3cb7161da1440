import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Reader } from '../protocol/reader.ts';
import { Writer } from '../protocol/writer.ts';
import { NO_PRODUCER_ID, RecordBatchError, decodeRecordBatch } from '../record-batch.ts';
import type { DecodedBatch } from '../record-batch.ts';
import type { BrokerState } from '../state.ts';
import { respond } from './types.ts';
import type { ApiHandler, HandlerResult, RequestContext } from './types.ts';

/**
 * Produce (key 0), v3–v8: the versions that carry record batch v2 and are
 * not flexible (v9+ is). v0–v2 use the older message sets and are not offered,
 * as Apache Kafka 4.0 no longer offers them either.
 *
 * Request: transactional_id nullable string, acks int16, timeout_ms int32,
 * topics [name, partitions [index int32, records nullable bytes]].
 *
 * Response: topics [name, partitions [index, error_code, base_offset int64,
 * log_append_time_ms int64, log_start_offset int64 (v5+), record_errors (v8+),
 * error_message (v8+)]], throttle_time_ms int32.
 *
 * Each partition succeeds or fails on its own, as in Kafka. Zstd (allowed
 * from v7) is refused like every codec but gzip: see compression.ts.
 */

interface PartitionData {
  index: number;
  records: Buffer | null;
}

interface TopicData {
  name: string;
  partitions: PartitionData[];
}

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: TopicData[];
}

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  errorMessage: string | null;
}

interface TopicResult {
  name: string;
  partitions: PartitionResult[];
}

function decode(body: Reader): ProduceRequest {
  const transactionalId = body.nullableString();
  const acks = body.int16();
  const timeoutMs = body.int32();
  const topics = body.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
  }));
  return { transactionalId, acks, timeoutMs, topics };
}

function encode(version: number, results: readonly TopicResult[]): Buffer {
  const w = new Writer();
  w.array(results, (w2, t) => {
    w2.string(t.name).array(t.partitions, (w3, p) => {
      w3.int32(p.index)
        .int16(p.errorCode)
        .int64(p.errorCode === ErrorCode.NONE ? p.baseOffset : -1n);
      w3.int64(-1n); // log_append_time_ms: -1 because topics use CreateTime
      if (version >= 5) w3.int64(p.errorCode === ErrorCode.NONE ? 0n : -1n); // log_start_offset: nothing is ever deleted
      if (version >= 8) {
        w3.array([], () => {}); // record_errors: batches are accepted or refused whole
        w3.nullableString(p.errorMessage);
      }
    });
  });
  w.int32(0); // throttle_time_ms
  return w.toBuffer();
}

function fail(index: number, errorCode: number, errorMessage: string | null): PartitionResult {
  return { index, errorCode, baseOffset: -1n, errorMessage };
}

function producePartition(state: BrokerState, topic: string, data: PartitionData): PartitionResult {
  const log = state.topics.partition(topic, data.index);
  if (log === undefined) {
    // Produce never auto-creates topics; that is Metadata's job.
    return fail(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic-partition ${topic}-${data.index}`);
  }
  if (data.records === null) {
    return fail(data.index, ErrorCode.INVALID_RECORD, 'Produce v3+ requires exactly one record batch, got null');
  }
  let batch: DecodedBatch;
  try {
    batch = decodeRecordBatch(data.records, { maxBatchBytes: state.maxMessageBytes });
  } catch (err) {
    if (err instanceof RecordBatchError) return fail(data.index, err.errorCode, err.message);
    throw err;
  }
  if (batch.isTransactional) {
    return fail(data.index, ErrorCode.INVALID_TXN_STATE, 'transactions are not implemented by this test broker');
  }

  if (batch.producerId !== NO_PRODUCER_ID) {
    const verdict = state.producers.check(
      batch.producerId,
      batch.producerEpoch,
      topic,
      data.index,
      batch.baseSequence,
      batch.lastOffsetDelta,
    );
    if (verdict.kind === 'reject') return fail(data.index, verdict.errorCode, verdict.message);
    if (verdict.kind === 'duplicate') {
      // A retry of a batch already written: Kafka answers success with the offset
      // the first attempt got and does not append again.
      return { index: data.index, errorCode: ErrorCode.NONE, baseOffset: verdict.baseOffset, errorMessage: null };
    }
  }

  const baseOffset = log.append(batch);
  if (batch.producerId !== NO_PRODUCER_ID) {
    state.producers.recordAppend(
      batch.producerId,
      batch.producerEpoch,
      topic,
      data.index,
      batch.baseSequence,
      batch.lastOffsetDelta,
      baseOffset,
    );
  }
  return { index: data.index, errorCode: ErrorCode.NONE, baseOffset, errorMessage: null };
}

/** Every partition of the request with the same error, nothing appended. */
function failAll(req: ProduceRequest, errorCode: number, message: string | null): TopicResult[] {
  return req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => fail(p.index, errorCode, message)),
  }));
}

/**
 * acks=0 producers read no responses, so Kafka reports a failure to them by
 * closing the connection; success gets no response at all.
 */
function finish(version: number, req: ProduceRequest, results: readonly TopicResult[]): HandlerResult {
  if (req.acks !== 0) return respond(encode(version, results));
  const failed = results.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE);
  if (failed !== undefined) return { kind: 'close', reason: `acks=0 produce failed with error ${failed.errorCode}` };
  return { kind: 'none' };
}

export const produceHandler: ApiHandler = {
  apiKey: ApiKey.Produce,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 8,
  handle(ctx: RequestContext): HandlerResult {
    const req = decode(ctx.body);
    const version = ctx.header.apiVersion;
    // Kafka validates acks for the whole request before touching any partition.
    if (req.acks !== -1 && req.acks !== 0 && req.acks !== 1) {
      return finish(version, req, failAll(req, ErrorCode.INVALID_REQUIRED_ACKS, `invalid acks ${req.acks}`));
    }
    const results = req.topics.map(
      (t): TopicResult => ({
        name: t.name,
        partitions: t.partitions.map((p) => producePartition(ctx.state, t.name, p)),
      }),
    );
    return finish(version, req, results);
  },
  errorResponse(ctx: RequestContext, errorCode: number): HandlerResult {
    const req = decode(ctx.body);
    return finish(ctx.header.apiVersion, req, failAll(req, errorCode, 'injected by the test broker'));
  },
};
