// Local endpoint for the benchmark's http route: answers 200 and reports, per event, the time
// from the POST to the router (epoch ms in the body's `sentAt`) to its arrival here.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const latencies: number[] = [];
let received = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    received++;
    const sentAt = Number((JSON.parse(Buffer.concat(chunks).toString()) as { sentAt?: string }).sentAt);
    if (Number.isFinite(sentAt) && sentAt > 0) latencies.push(Date.now() - sentAt);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`));
process.on('message', (message) => {
  if (message === 'reset') {
    latencies.length = 0;
    received = 0;
  } else if (message === 'report') {
    process.send?.({ received, latencies });
  }
});
