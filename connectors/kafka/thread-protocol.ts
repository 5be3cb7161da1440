/** Messages between the main thread and the Kafka client thread: plain data only. */
import type { OutgoingRecord } from './producer.ts';

export interface ThreadError {
  readonly type: string;
  readonly retriable: boolean;
  readonly message: string;
}

export type WireSendResult =
  | { readonly ok: true; readonly partition: number; readonly offset: string }
  | { readonly ok: false; readonly error: ThreadError };

export type ThreadCall =
  | { readonly id: number; readonly op: 'send'; readonly records: readonly OutgoingRecord[] }
  | { readonly id: number; readonly op: 'ping'; readonly topics: readonly string[] }
  | { readonly id: number; readonly op: 'close' };

export type ThreadReply =
  | { readonly id: number; readonly ok: true; readonly value: readonly WireSendResult[] | null }
  | { readonly id: number; readonly ok: false; readonly error: ThreadError }
  | { readonly log: 'debug' | 'info' | 'warn' | 'error'; readonly fields: object; readonly message: string };
