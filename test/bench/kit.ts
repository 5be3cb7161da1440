import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The 4.2 KB message:in:new sample of the seed documentation. */
const sample = readFileSync(new URL('../fixtures/wassenger/message-in-new.json', import.meta.url), 'utf8');
const ID = '"id": "D94B1A12EC4E83F5F4CC71EC2B1E"';
if (!sample.includes(ID)) throw new Error('sample changed: cannot vary the message id');

export const SECRET = 'bench-secret-0123456789';

let counter = 0;
const CHAT = '"id": "1234567890@c.us"';
if (!sample.includes(CHAT)) throw new Error('sample changed: cannot vary the chat id');

/**
 * A fresh body per request: a unique message id (no dedupe), the send time (for latency) as its
 * text, and optionally another chat id (the sample's chat otherwise).
 */
export function sampleBody(chat?: string): string {
  counter++;
  const body = sample
    .replace(ID, `"id": "BENCH${process.pid}X${counter}"`)
    .replace('"body": "Hello"', `"body": "${Date.now()}"`);
  return chat === undefined ? body : body.replace(CHAT, `"id": "${chat}"`);
}

/** The port a child prints (`PORT n`, or the router's "Router listening." log line). */
export function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const read = (chunk: Buffer): void => {
      out += chunk.toString();
      const port = /PORT (\d+)/.exec(out) ?? /"port":(\d+).*Router listening/.exec(out);
      if (!port) return;
      resolve(Number(port[1]));
      // Stop keeping the output once the port is known, but keep draining the pipe: a router logs a
      // line per webhook, and piling those up (and searching them) cost the bench a core.
      child.stdout!.off('data', read);
      child.stdout!.resume();
      out = '';
    };
    child.stdout!.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

/** CPU time (user + system, all threads) a process has used so far, from /proc. */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100); // clock ticks of 10 ms (USER_HZ)
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Ask the sink (test/bench/sink-server.mjs) what it received since its last reset. */
export function sinkReport(sink: ChildProcess): Promise<{ received: number; latencies: number[] }> {
  return new Promise((resolve) => {
    sink.once('message', (message) => resolve(message as { received: number; latencies: number[] }));
    sink.send('report');
  });
}

/** Wait until the sink stops receiving: the router drained its backlog. */
export async function drain(sink: ChildProcess, maxSeconds = 120): Promise<void> {
  for (let drained = -1, waited = 0; waited < maxSeconds; waited++) {
    const { received } = await sinkReport(sink);
    if (received === drained) return;
    drained = received;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/**
 * Post webhooks at a fixed rate (a tick every millisecond sends what the elapsed time calls for, so arrivals are spread as evenly as timers allow) over keep-alive connections, and
 * measure each one's acknowledgement time. The body's send time is taken right before it is
 * written, so the sink's end-to-end latency is POST → arrival (a generator that prepares bodies
 * ahead of its send slot would inflate it).
 */
export async function fixedRate(
  url: string,
  rate: number,
  seconds: number,
): Promise<{ sent: number; acknowledged: number; ackLatencies: number[] }> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const ackLatencies: number[] = [];
  let sent = 0;
  let acknowledged = 0;
  const pending = new Set<Promise<void>>();
  let owed = 0;
  let last = Date.now();
  const end = last + seconds * 1_000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() >= end) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Timers drift: owe what the elapsed time calls for, not a fixed share per tick.
      const now = Date.now();
      owed += ((now - last) / 1_000) * rate;
      last = now;
      for (; owed >= 1; owed--) {
        sent++;
        const body = sampleBody();
        const started = performance.now();
        const done = new Promise<void>((settle) => {
          const req = request(
            {
              agent,
              host: target.hostname,
              port: target.port,
              path: `${target.pathname}${target.search}`,
              method: 'POST',
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              res.resume();
              res.on('end', () => {
                if (res.statusCode === 200) acknowledged++;
                ackLatencies.push(performance.now() - started);
                settle();
              });
            },
          );
          req.on('error', () => settle());
          req.end(body);
        });
        pending.add(done);
        void done.then(() => pending.delete(done));
      }
    }, 1);
  });
  await Promise.all(pending);
  agent.destroy();
  return { sent, acknowledged, ackLatencies };
}

/** The router config of the benchmarks: every event to one http route at the bench sink. */
export function sinkRouterConfig(store: string, sinkPort: number, options: { noRoute?: boolean } = {}): string {
  return `server: { port: 0, host: 127.0.0.1, secret: "\${WA_ROUTER_SECRET}" }
store: ${store}
log: { level: warn }
connectors:
  sink:
    type: http
    url: http://127.0.0.1:${sinkPort}/in
    body: { id: "{{ id }}", sentAt: "{{ message.body }}" }
    delivery: { maxInFlight: 32 }
routes:
  - name: all
    ${options.noRoute ? 'when: { event: none }' : ''}
    to: [sink]
`;
}
