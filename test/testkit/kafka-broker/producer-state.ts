import { addSequence } from './log.ts';
import { ErrorCode } from './protocol/error-codes.ts';

/**
 * Idempotent-producer bookkeeping per (producerId, topic, partition), after
 * Kafka's ProducerStateManager (KIP-98): the current epoch, plus the sequence
 * range and base offset of the last five batches, which is how many a Kafka
 * broker caches to recognise a retried batch (max.in.flight ≤ 5 for idempotence).
 */

const CACHED_BATCHES = 5;

interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  /** Oldest first. */
  batches: BatchMetadata[];
}

export type SequenceCheck =
  /** In sequence: append the batch, then call {@link ProducerStateTable.recordAppend}. */
  | { kind: 'append' }
  /** A retry of a batch already written: answer success with its original offset, append nothing. */
  | { kind: 'duplicate'; baseOffset: bigint }
  | { kind: 'reject'; errorCode: number; message: string };

export class ProducerStateTable {
  private readonly entries = new Map<string, ProducerEntry>();

  private static key(producerId: bigint, topic: string, partition: number): string {
    return `${producerId}\u0000${topic}\u0000${partition}`;
  }

  /**
   * Decides what to do with a batch from an idempotent producer. Mirrors Kafka's
   * order: duplicate detection first, then the epoch, then the sequence.
   */
  check(
    producerId: bigint,
    epoch: number,
    topic: string,
    partition: number,
    firstSeq: number,
    lastOffsetDelta: number,
  ): SequenceCheck {
    const entry = this.entries.get(ProducerStateTable.key(producerId, topic, partition));
    const lastSeq = addSequence(firstSeq, lastOffsetDelta);

    if (entry === undefined) {
      // Stricter than Kafka ≥ 2.5, which (KIP-360) accepts any first sequence from a
      // producer whose state it may have expired. This broker never expires state,
      // so a first batch not starting at 0 is a client bug worth surfacing.
      if (firstSeq !== 0) {
        return {
          kind: 'reject',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `first batch of producer ${producerId} on ${topic}-${partition} has sequence ${firstSeq}, expected 0`,
        };
      }
      return { kind: 'append' };
    }

    if (epoch === entry.epoch) {
      const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
      if (dup !== undefined) return { kind: 'duplicate', baseOffset: dup.baseOffset };
    }
    if (epoch < entry.epoch) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${producerId} epoch ${epoch} is older than current epoch ${entry.epoch}`,
      };
    }
    if (epoch > entry.epoch) {
      // A bumped epoch restarts the sequence at 0.
      if (firstSeq !== 0) {
        return {
          kind: 'reject',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `new epoch ${epoch} of producer ${producerId} must start at sequence 0, got ${firstSeq}`,
        };
      }
      return { kind: 'append' };
    }
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : addSequence(last.lastSeq, 1);
    if (firstSeq !== expected) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId} on ${topic}-${partition}: expected sequence ${expected}, got ${firstSeq}`,
      };
    }
    return { kind: 'append' };
  }

  /** Remembers an appended batch so that a retry of it is recognised as a duplicate. */
  recordAppend(
    producerId: bigint,
    epoch: number,
    topic: string,
    partition: number,
    firstSeq: number,
    lastOffsetDelta: number,
    baseOffset: bigint,
  ): void {
    const key = ProducerStateTable.key(producerId, topic, partition);
    let entry = this.entries.get(key);
    if (entry === undefined || epoch !== entry.epoch) {
      entry = { epoch, batches: [] };
      this.entries.set(key, entry);
    }
    entry.batches.push({ firstSeq, lastSeq: addSequence(firstSeq, lastOffsetDelta), baseOffset });
    if (entry.batches.length > CACHED_BATCHES) entry.batches.shift();
  }

  /** Last sequence written for a producer on a partition, or undefined. For test assertions. */
  lastSequence(producerId: bigint, topic: string, partition: number): number | undefined {
    const entry = this.entries.get(ProducerStateTable.key(producerId, topic, partition));
    return entry?.batches[entry.batches.length - 1]?.lastSeq;
  }
}
