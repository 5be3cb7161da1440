import type { Connector, Delivery } from '../sdk/connector.ts';
import type { Outcome } from '../sdk/outcome.ts';
import { retry } from '../sdk/outcome.ts';

const STATUSES = new Set(['delivered', 'skipped', 'retry', 'failed']);

function isOutcome(value: unknown): value is Outcome {
  return value !== null && typeof value === 'object' && STATUSES.has((value as { status?: unknown }).status as string);
}

/**
 * Call `deliver` under a deadline and make its answer safe to act on: a timeout, a throw or a
 * malformed answer (wrong count, unknown status) becomes `retry` for the items concerned, with a
 * reason. The signal aborts at the deadline so well-behaved clients stop their requests.
 */
export async function callConnector(
  connector: Connector,
  batch: readonly Delivery[],
  timeoutMs: number,
  onThrow: (error: unknown) => void,
): Promise<readonly Outcome[]> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new DOMException(`delivery deadline of ${timeoutMs} ms passed`, 'TimeoutError'));
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const answer = await Promise.race([connector.deliver(batch, controller.signal), deadline]);
    if (answer === 'timeout') return batch.map(() => retry(`timed out after ${timeoutMs} ms`));
    if (!Array.isArray(answer) || answer.length !== batch.length) {
      const count = Array.isArray(answer) ? answer.length : typeof answer;
      return batch.map(() => retry(`connector bug: returned ${count} outcomes for ${batch.length} deliveries`));
    }
    return answer.map((outcome: unknown) =>
      isOutcome(outcome) ? outcome : retry('connector bug: returned an invalid outcome'),
    );
  } catch (error) {
    onThrow(error);
    return batch.map(() => retry(`connector threw: ${error instanceof Error ? error.message : String(error)}`));
  } finally {
    clearTimeout(timer);
  }
}
