import type { Connector, Delivery } from '../sdk/connector.ts';
import type { Outcome } from '../sdk/outcome.ts';
import { failed, retry } from '../sdk/outcome.ts';

/** What a connector bug's dead letter says, so the plugin's author knows what to return. */
const EXPECTED =
  'deliver() must resolve to an array with one outcome per delivery, in order, made with the SDK helpers ' +
  'delivered(ref?), skipped(reason), retry(reason, retryAfterMs?), unreachable(reason) or failed(reason)';

function describe(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 200);
  } catch {
    return String(value);
  }
}

/** The shape of each status, as the SDK helpers build it. */
function isOutcome(value: unknown): value is Outcome {
  if (value === null || typeof value !== 'object') return false;
  const { status, reason, ref, retryAfterMs } = value as Record<string, unknown>;
  switch (status) {
    case 'delivered':
      return ref === undefined || typeof ref === 'string';
    case 'retry':
      return typeof reason === 'string' && (retryAfterMs === undefined || typeof retryAfterMs === 'number');
    case 'skipped':
    case 'failed':
      return typeof reason === 'string';
    default:
      return false;
  }
}

/**
 * Call `deliver` under a deadline and make its answer safe to act on. A timeout or a throw is `retry`; a malformed answer (wrong count, unknown status,
 * a reason that is not text) is a connector bug: `failed` at once, with a reason that says what was
 * returned and what is expected, since retrying would only run the bug's side effects again. The
 * signal aborts at the deadline so well-behaved clients stop their requests.
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
      const got = Array.isArray(answer) ? `${answer.length} outcomes` : describe(answer);
      return batch.map(() => failed(`connector bug: returned ${got} for ${batch.length} deliveries; ${EXPECTED}`));
    }
    return answer.map((outcome: unknown) =>
      isOutcome(outcome) ? outcome : failed(`connector bug: returned ${describe(outcome)}; ${EXPECTED}`),
    );
  } catch (error) {
    onThrow(error);
    return batch.map(() => retry(`connector threw: ${error instanceof Error ? error.message : String(error)}`));
  } finally {
    clearTimeout(timer);
  }
}
