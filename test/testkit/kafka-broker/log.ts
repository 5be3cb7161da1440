import type { DecodedBatch, RecordHeader } from './record-batch.ts';
import { topicNameProblem } from './topic-name.ts';

/**
 * In-memory topic/partition logs. Offsets are per partition, start at 0 and
 * grow by one per record, as in Kafka (no compaction, no retention).
 */

/** A record as stored by the broker, for test assertions. */
export interface StoredRecord {
  topic: string;
  partition: number;
  /** Offset assigned by the broker (int64). */
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /**
   * Header map for convenient assertions. Kafka allows repeated keys and null
   * values: for a repeated key the last value wins (like Java's Headers.lastHeader),
   * and null values are left out. `headerList` keeps every header in order.
   */
  headers: Record<string, Buffer>;
  headerList: RecordHeader[];
  /** CreateTime in ms since the epoch, as sent by the producer. */
  timestamp: bigint;
  /** -1 when the producer was not idempotent. */
  producerId: bigint;
  producerEpoch: number;
  /** Sequence number of this record (baseSequence + offsetDelta), or -1 when not idempotent. */
  sequence: number;
}

class PartitionLog {
  readonly records: StoredRecord[] = [];
  nextOffset = 0n;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Appends every record of an already validated batch; returns the base offset given to it. */
  append(batch: DecodedBatch): bigint {
    const baseOffset = this.nextOffset;
    for (const rec of batch.records) {
      const headers: Record<string, Buffer> = {};
      for (const h of rec.headers) {
        if (h.value === null) continue;
        // defineProperty, not assignment: a header named "__proto__" must become a
        // key, not replace the object's prototype. A plain object (rather than a
        // null-prototype one) keeps deepStrictEqual against {…} literals working.
        Object.defineProperty(headers, h.key, { value: h.value, enumerable: true, writable: true, configurable: true });
      }
      this.records.push({
        topic: this.topic,
        partition: this.partition,
        offset: baseOffset + BigInt(rec.offsetDelta),
        key: rec.key,
        value: rec.value,
        headers,
        headerList: rec.headers,
        timestamp: rec.timestamp,
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        sequence: batch.producerId < 0n ? -1 : addSequence(batch.baseSequence, rec.offsetDelta),
      });
    }
    this.nextOffset = baseOffset + BigInt(batch.records.length);
    return baseOffset;
  }
}

/**
 * Kafka sequence numbers are int32 that wrap from 2147483647 to 0
 * (DefaultRecordBatch.incrementSequence).
 */
export function addSequence(sequence: number, increment: number): number {
  if (sequence > 0x7fffffff - increment) return increment - (0x7fffffff - sequence) - 1;
  return sequence + increment;
}

export class TopicStore {
  private readonly topics = new Map<string, PartitionLog[]>();

  /**
   * Creates a topic with `partitions` empty partitions.
   * @throws Error when the name is illegal, the count is not a positive integer, or the topic exists
   */
  create(name: string, partitions: number): void {
    const problem = topicNameProblem(name);
    if (problem !== null) throw new Error(`invalid topic: ${problem}`);
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
    }
    if (this.topics.has(name)) throw new Error(`topic "${name}" already exists`);
    this.topics.set(
      name,
      Array.from({ length: partitions }, (_, i) => new PartitionLog(name, i)),
    );
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  names(): string[] {
    return [...this.topics.keys()].sort();
  }

  partitionCount(name: string): number | undefined {
    return this.topics.get(name)?.length;
  }

  partition(name: string, index: number): PartitionLog | undefined {
    return this.topics.get(name)?.[index];
  }

  /** How many records a topic holds (0 for an unknown topic), without copying them. */
  count(name: string): number {
    let total = 0;
    for (const log of this.topics.get(name) ?? []) total += log.records.length;
    return total;
  }

  /**
   * Records of a topic, optionally of one partition, ordered by partition then offset.
   * An unknown topic gives an empty list so tests can poll before it exists.
   */
  records(name: string, partition?: number): StoredRecord[] {
    const logs = this.topics.get(name) ?? [];
    const selected = partition === undefined ? logs : logs.filter((l) => l.partition === partition);
    return selected.flatMap((l) => l.records);
  }
}
