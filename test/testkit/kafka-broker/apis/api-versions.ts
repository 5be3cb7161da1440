import { ApiKey } from '../protocol/api-keys.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { Writer } from '../protocol/writer.ts';
import { respond } from './types.ts';
import type { ApiHandler, HandlerResult, RequestContext } from './types.ts';

/**
 * ApiVersions (key 18), v0–v2. The request body is empty in these versions.
 * Response: error_code int16, [api_key int16, min_version int16, max_version int16],
 * then throttle_time_ms int32 from v1.
 *
 * v3+ is flexible (compact arrays, tagged fields) and is not implemented; a
 * client that tries it gets the spec's fallback, see {@link unsupportedApiVersionsResponse}.
 */
export const API_VERSIONS_MIN = 0;
export const API_VERSIONS_MAX = 2;

interface VersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

function encode(version: number, errorCode: number, ranges: readonly VersionRange[]): Buffer {
  const w = new Writer().int16(errorCode).array(ranges, (w2, r) => {
    w2.int16(r.apiKey).int16(r.minVersion).int16(r.maxVersion);
  });
  if (version >= 1) w.int32(0);
  return w.toBuffer();
}

/**
 * The answer to an ApiVersions request of a version this broker does not
 * support: a v0 body with UNSUPPORTED_VERSION, whose list holds only the
 * supported ApiVersions range (KIP-511, Kafka 2.4+), so the client can retry
 * with a version both sides know. The response header stays v0 (ApiVersions
 * responses never use the flexible header, so old and new clients can read it).
 */
export function unsupportedApiVersionsResponse(): Buffer {
  return encode(0, ErrorCode.UNSUPPORTED_VERSION, [
    { apiKey: ApiKey.ApiVersions, minVersion: API_VERSIONS_MIN, maxVersion: API_VERSIONS_MAX },
  ]);
}

export function createApiVersionsHandler(listHandlers: () => readonly ApiHandler[]): ApiHandler {
  return {
    apiKey: ApiKey.ApiVersions,
    name: 'ApiVersions',
    minVersion: API_VERSIONS_MIN,
    maxVersion: API_VERSIONS_MAX,
    handle(ctx: RequestContext): HandlerResult {
      const ranges = listHandlers()
        .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
        .sort((a, b) => a.apiKey - b.apiKey);
      return respond(encode(ctx.header.apiVersion, ErrorCode.NONE, ranges));
    },
    errorResponse(ctx: RequestContext, errorCode: number): HandlerResult {
      return respond(encode(ctx.header.apiVersion, errorCode, []));
    },
  };
}
