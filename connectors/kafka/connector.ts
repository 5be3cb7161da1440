import {
  delivered,
  failed,
  retry,
  withExchange,
  type Connector,
  type Delivery,
  type Outcome,
} from '../../src/sdk/index.ts';
import { classifyKafkaError } from './errors.ts';
import { recordExchange } from './exchange.ts';
import type { KafkaClient, SendResult } from './producer.ts';
import { RenderError, recordSizeOver, renderRecord, type RecordPlan, type RecordTemplates } from './render.ts';
import { isLiteral } from './topic-name.ts';

export interface KafkaConnectorOptions {
  readonly templates: RecordTemplates;
  readonly client: KafkaClient;
  readonly allowAutoTopicCreation: boolean;
  readonly maxMessageBytes: number;
  readonly sendTimeoutMs: number;
  /** close() waits this long for sends in flight before disconnecting. */
  readonly closeGraceMs?: number;
}

/** Results of sends that finished after their deliver() had given up, kept for the dispatcher's retry. */
const MAX_REMEMBERED = 10_000;

/**
 * The connector instance: renders each delivery into a record, sends the batch with one client
 * call, and maps each record's result to an outcome (ref = `topic/partition/offset`).
 *
 * A send that outlives its deadline keeps running (kafkajs cannot abort it). Its deliveries are
 * answered `retry`, and the dispatcher's retry does not send them again: it joins the send still in
 * flight, or takes the offset it got. So a slow acknowledgement never writes a record twice.
 */
export class KafkaConnector implements Connector {
  private readonly inFlight = new Map<string, Promise<SendResult>>();
  private readonly remembered = new Map<string, SendResult>();
  private readonly sends = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaConnectorOptions) {}

  preview(delivery: Delivery): unknown {
    try {
      const record = renderRecord(this.options.templates, delivery);
      return { topic: record.topic, key: record.key, value: record.value, headers: record.headers };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  async deliver(batch: readonly Delivery[], signal: AbortSignal): Promise<readonly Outcome[]> {
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.options.sendTimeoutMs)]);
    const outcomes: (Outcome | undefined)[] = new Array(batch.length);
    const records: (RecordPlan | undefined)[] = new Array(batch.length);
    const waiting: Promise<void>[] = [];
    const toSend: { index: number; delivery: Delivery; record: RecordPlan }[] = [];
    const settle = (index: number, result: Promise<SendResult>, record: RecordPlan) =>
      waiting.push(result.then((r) => void (outcomes[index] = this.outcomeOf(r, record))));

    batch.forEach((delivery, index) => {
      const key = delivery.idempotencyKey;
      const pending = this.inFlight.get(key);
      const done = this.remembered.get(key);
      let record: RecordPlan;
      try {
        record = renderRecord(this.options.templates, delivery);
      } catch (error) {
        outcomes[index] = failed(
          error instanceof RenderError ? error.message : `cannot build the record: ${(error as Error).message}`,
        );
        return;
      }
      records[index] = record;
      if (pending) return void settle(index, pending, record); // an earlier attempt is still being sent
      if (done?.ok) {
        this.remembered.delete(key);
        outcomes[index] = this.outcomeOf(done, record);
        return;
      }
      const size = recordSizeOver(record, this.options.maxMessageBytes);
      if (size !== undefined) {
        const reason = `MESSAGE_TOO_LARGE: the record is ${size} bytes, over maxMessageBytes (${this.options.maxMessageBytes})`;
        outcomes[index] = withExchange(failed(reason), recordExchange(record));
        return;
      }
      toSend.push({ index, delivery, record });
    });

    if (toSend.length > 0) {
      const sending = this.options.client.send(toSend.map((item) => item.record));
      let abandoned = false;
      const tracked = sending.then(
        (results) => {
          toSend.forEach(({ delivery }, n) => {
            const key = delivery.idempotencyKey;
            this.inFlight.delete(key);
            if (abandoned && results[n]?.ok) this.remember(key, results[n]);
          });
        },
        () => toSend.forEach(({ delivery }) => this.inFlight.delete(delivery.idempotencyKey)),
      );
      this.sends.add(tracked);
      void tracked.finally(() => this.sends.delete(tracked));
      const reject = (error: unknown): never => {
        throw error;
      };
      toSend.forEach(({ index, delivery, record }, n) => {
        const result = sending.then((results) => results[n]!, reject);
        this.inFlight.set(delivery.idempotencyKey, result);
        settle(index, result, record);
      });
      deadline.addEventListener('abort', () => (abandoned = true), { once: true });
    }

    const all = Promise.all(waiting).then(
      () => 'done' as const,
      (error: unknown) => error,
    );
    const aborted = new Promise<'aborted'>((resolve) => {
      if (deadline.aborted) resolve('aborted');
      deadline.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const answer = await Promise.race([all, aborted]);
    const fallback =
      answer === 'aborted'
        ? retry('the send did not finish before its deadline; it goes on, and a retry will not write the record twice')
        : retry(`send failed: ${answer instanceof Error ? answer.message : String(answer)}`);
    // No answer for these: the timeline shows the record that was sent.
    return Array.from(outcomes, (outcome, index) => {
      if (outcome) return outcome;
      const record = records[index];
      return record ? withExchange(fallback, recordExchange(record)) : fallback;
    });
  }

  async healthcheck(signal: AbortSignal): Promise<void> {
    const topic = this.options.templates.topic.source;
    const ping = this.options.client.ping(isLiteral(topic) ? [topic] : []);
    await Promise.race([
      ping,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Flush: let sends in flight finish (bounded), then disconnect.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.sends]),
        new Promise((resolve) => (timer = setTimeout(resolve, this.options.closeGraceMs ?? 5_000))),
      ]);
      clearTimeout(timer);
      await this.options.client.close();
    })();
    return this.closing;
  }

  private outcomeOf(result: SendResult, record: RecordPlan): Outcome {
    const outcome = result.ok
      ? delivered(`${record.topic}/${result.partition}/${result.offset}`)
      : classifyKafkaError(result.error, this.options.allowAutoTopicCreation);
    return withExchange(outcome, recordExchange(record, result));
  }

  private remember(key: string, result: SendResult): void {
    this.remembered.set(key, result);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
  }
}
