// Local endpoint for the benchmark's http route: answers 200 and reports, per event, the time
// from the POST to the router (epoch ms in the body's `sentAt`) to its arrival here.
import { createServer } from 'node:http';

const latencies = [];
let received = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    received++;
    const sentAt = Number(JSON.parse(Buffer.concat(chunks).toString()).sentAt);
    if (Number.isFinite(sentAt) && sentAt > 0) latencies.push(Date.now() - sentAt);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
process.on('message', (message) => {
  if (message === 'reset') {
    latencies.length = 0;
    received = 0;
  } else if (message === 'report') {
    process.send?.({ received, latencies });
  }
});
