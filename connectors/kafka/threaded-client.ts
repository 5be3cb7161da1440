import { Worker } from 'node:worker_threads';
import {
  KafkaClientError,
  type KafkaClient,
  type KafkaClientOptions,
  type OutgoingRecord,
  type SendResult,
} from './producer.ts';
import type { ThreadCall, ThreadError, ThreadReply, WireSendResult } from './thread-protocol.ts';

type Call = ThreadCall extends infer C ? (C extends ThreadCall ? Omit<C, 'id'> : never) : never;

// The entry is TypeScript when the router runs from source (tests, `npm start`): tsx's loader is
// registered in the main thread only, so the thread registers it itself before importing.
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './client-thread.ts' : './client-thread.js', import.meta.url)
  .href;
// import(), not require: an eval'd worker is ESM when the process runs with --input-type=module.
const BOOTSTRAP = `
import('node:worker_threads').then(async ({ workerData }) => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
});
`;

const fromWire = (error: ThreadError): KafkaClientError =>
  new KafkaClientError(error.type, error.retriable, error.message);

/**
 * The Kafka client on a thread of its own. kafkajs encodes every record, computes its CRC-32C and
 * copies its buffers in JavaScript: ~120-150 µs of CPU per 4 KB record here, 12-15 ms per batch of
 * 100 during which the event loop would not answer a webhook. On its own thread that work runs
 * beside the router's (on a second core when there is one) and acknowledgements do not wait for it.
 * Same interface as {@link createKafkaClient}; records cross as plain data (a copy of ~4 KB each).
 *
 * The thread starts on first use and ends with close(); a thread that dies fails its calls in
 * progress with a retriable error, and the next call starts a new one.
 */
export function createThreadedKafkaClient(options: KafkaClientOptions): KafkaClient {
  const { log, ...data } = options;
  let thread: ClientThread | undefined;
  let nextId = 1;

  function start(): ClientThread {
    const tsx = ENTRY.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined;
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry: ENTRY, tsx } });
    // Calls are kept per thread: a thread that ends fails its own calls, not those of the next one.
    const started: ClientThread = { worker, pending: new Map() };
    const failAll = (error: KafkaClientError): void => {
      for (const { reject } of started.pending.values()) reject(error);
      started.pending.clear();
    };
    worker.on('message', (reply: ThreadReply) => {
      if ('log' in reply) return void log[reply.log](reply.fields, reply.message);
      const call = started.pending.get(reply.id);
      if (!call) return;
      started.pending.delete(reply.id);
      if (started.pending.size === 0) worker.unref();
      if (reply.ok) call.resolve(reply.value);
      else call.reject(fromWire(reply.error));
    });
    worker.on('error', (error) => {
      log.error({ error: error.message }, 'The Kafka client thread failed.');
      failAll(new KafkaClientError('KafkaClientThreadError', true, `the Kafka client thread failed: ${error.message}`));
    });
    worker.on('exit', () => {
      if (thread === started) thread = undefined;
      failAll(new KafkaClientError('KafkaClientThreadError', true, 'the Kafka client thread ended'));
    });
    worker.unref(); // only calls in progress keep the process alive
    return started;
  }

  function call(message: Call, on: ClientThread = (thread ??= start())): Promise<readonly WireSendResult[] | null> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      on.pending.set(id, { resolve, reject });
      on.worker.ref();
      on.worker.postMessage({ ...message, id });
    });
  }

  return {
    async send(records: readonly OutgoingRecord[]): Promise<SendResult[]> {
      const results = (await call({ op: 'send', records })) ?? [];
      return results.map((result) => (result.ok ? result : { ok: false, error: fromWire(result.error) }));
    },
    async ping(topics: readonly string[]): Promise<void> {
      await call({ op: 'ping', topics });
    },
    async close(): Promise<void> {
      const closing = thread;
      if (!closing) return;
      thread = undefined; // a call from now on starts a new thread
      try {
        await call({ op: 'close' }, closing);
      } finally {
        await closing.worker.terminate();
      }
    },
  };
}

interface ClientThread {
  readonly worker: Worker;
  readonly pending: Map<
    number,
    { resolve: (value: readonly WireSendResult[] | null) => void; reject: (error: KafkaClientError) => void }
  >;
}
