/**
 * API keys (https://kafka.apache.org/protocol#protocol_api_keys) that this
 * broker implements. Any other key closes the connection, as a real broker
 * does for a request it cannot parse.
 */
export const ApiKey = {
  Produce: 0,
  Metadata: 3,
  ApiVersions: 18,
  InitProducerId: 22,
} as const;

export type ApiName = keyof typeof ApiKey;

const namesByKey = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]));

export function apiName(key: number): string {
  return namesByKey.get(key) ?? `ApiKey${key}`;
}

/** Accepts a numeric API key or one of the names above. */
export function resolveApiKey(keyOrName: number | ApiName): number {
  if (typeof keyOrName === 'number') return keyOrName;
  const key = ApiKey[keyOrName];
  if (key === undefined) throw new RangeError(`unknown API name: ${String(keyOrName)}`);
  return key;
}
