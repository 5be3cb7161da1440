import type { ExchangeInput } from '../../src/sdk/index.ts';
import type { SendResult } from './client.ts';
import type { RecordPlan } from './render.ts';

/**
 * A record's produce request and the broker's answer, in the shape of the attempt timeline's
 * request and response: `PRODUCE <topic> key=<key>`, the record's headers, its value as the body;
 * then the partition and offset it got, or the broker's error (its type, whether it is retriable,
 * and its message). Raw: `withExchange` masks the headers and cuts the value to 4 KB when recorded.
 */
export function recordExchange(record: RecordPlan, result?: SendResult): ExchangeInput {
  const request = {
    method: 'PRODUCE',
    url: record.key === null ? record.topic : `${record.topic} key=${record.key}`,
    headers: record.headers,
    body: record.value,
  };
  if (result === undefined) return { request };
  const response = result.ok
    ? { headers: { partition: String(result.partition), offset: result.offset } }
    : {
        headers: { error: result.error.type, retriable: String(result.error.retriable) },
        body: result.error.message,
      };
  return { request, response };
}
