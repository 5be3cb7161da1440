/**
 * Runs the file connector once in its own process, so a test can give that process a small
 * file-size limit (RLIMIT_FSIZE, `ulimit -f`): the kernel then makes a real short write and then
 * EFBIG, as a full disk does with a short write and then ENOSPC.
 * Usage: append-child.ts <path> <events> <body bytes>; prints the outcomes as JSON on stdout.
 */
import type { ConnectorDefinition, Delivery } from '../../../src/sdk/index.ts';
import { memoryState } from '../../../src/sdk/testing.ts';
import file from '../index.ts';

const [path = '', count = '1', size = '10'] = process.argv.slice(2);
const definition = file as unknown as ConnectorDefinition;
const connector = await definition.create(
  definition.config.parse({ path, line: { id: '{{ id }}', body: '{{ message.body }}' } }),
  {
    name: 'file',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    configDir: '.',
    state: memoryState(),
  },
);
const batch: Delivery[] = Array.from({ length: Number(count) }, (_, index) => ({
  id: String(index + 1),
  idempotencyKey: `evt_${process.pid}_${index}:file`,
  attempt: 1,
  route: 'r',
  params: undefined,
  event: {
    id: `evt_${process.pid}_${index}`,
    event: 'message:in:new',
    receivedAt: '2026-01-01T00:00:00.000Z',
    device: { id: 'd' },
    message: { id: `M${index}`, type: 'text', body: 'x'.repeat(Number(size)), fromMe: false },
    data: {},
  },
}));
const outcomes = await connector.deliver(batch, AbortSignal.timeout(30_000));
await connector.close?.();
process.stdout.write(JSON.stringify(outcomes));
