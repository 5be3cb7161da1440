import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { Writer } from '../protocol/writer.ts';
import { respond } from './types.ts';
import type { ApiHandler, HandlerResult, RequestContext } from './types.ts';

/**
 * InitProducerId (key 22), v0–v1 (v1 differs only in throttling behaviour; v2+ is flexible).
 *
 * Request: transactional_id nullable string, transaction_timeout_ms int32.
 * Response: throttle_time_ms int32, error_code int16, producer_id int64, producer_epoch int16.
 *
 * An idempotent, non-transactional producer gets a fresh producer id with
 * epoch 0 on every call, as from a real broker. Transactions are not
 * implemented: a non-null transactional id gets INVALID_REQUEST (a real
 * cluster would route it through FindCoordinator, which is not offered here).
 */
function encode(errorCode: number, producerId: bigint, epoch: number): Buffer {
  return new Writer().int32(0).int16(errorCode).int64(producerId).int16(epoch).toBuffer();
}

export const initProducerIdHandler: ApiHandler = {
  apiKey: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx: RequestContext): HandlerResult {
    const transactionalId = ctx.body.nullableString();
    ctx.body.int32(); // transaction_timeout_ms: only meaningful for transactions
    if (transactionalId !== null) return respond(encode(ErrorCode.INVALID_REQUEST, -1n, -1));
    return respond(encode(ErrorCode.NONE, ctx.state.allocateProducerId(), 0));
  },
  errorResponse(_ctx: RequestContext, errorCode: number): HandlerResult {
    return respond(encode(errorCode, -1n, -1));
  },
};
