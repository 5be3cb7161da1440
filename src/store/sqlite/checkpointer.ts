import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a worker thread with its own connection. SQLite's automatic checkpoint runs
 * inside the COMMIT that crosses 1,000 WAL pages, on the connection's thread: with 4 KB bodies
 * that is every few hundred webhooks, and it copies ~4 MB into the database file and fsyncs it
 * while the event loop waits (acknowledgements stalled for 100 ms and more). The router's
 * connection turns that off (wal_autocheckpoint = 0); this thread runs PASSIVE checkpoints,
 * which never block writers, and once one has copied everything the next commit starts the WAL
 * over, so it stays at about a second of writes (a longer interval also copies a page rewritten
 * by many commits once).
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | undefined;

  constructor(databasePath: string, everyMs = 1_000, onError: (message: string) => void = () => {}) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { databasePath, driver, everyMs } });
    this.worker.on('message', (message: { error?: string }) => message.error && onError(message.error));
    this.worker.on('error', (error) => onError(error.message));
    // Never keeps the process alive by itself.
    this.worker.unref();
  }

  /** A last checkpoint, then the thread ends. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.worker.ref(); // the answer must keep the loop alive
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('stop');
    });
    return this.stopped;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.databasePath);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;
