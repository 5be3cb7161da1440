import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Compression codecs of record batch v2 (attributes bits 0–2). Only gzip is
 * implemented: it is the one codec kafkajs ships without plugins, and node:zlib
 * provides it. The others are recognised so they can be refused explicitly.
 */
export const Codec = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;

export type CodecId = (typeof Codec)[keyof typeof Codec];

/** Thrown for a codec this broker cannot decompress. */
export class UnsupportedCodecError extends Error {
  override readonly name = 'UnsupportedCodecError';
  constructor(readonly codec: number) {
    super(`compression codec ${codec} is not supported by this test broker`);
  }
}

export function decompress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Codec.none:
      return data;
    case Codec.gzip:
      return gunzipSync(data);
    default:
      throw new UnsupportedCodecError(codec);
  }
}

export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Codec.none:
      return data;
    case Codec.gzip:
      return gzipSync(data);
    default:
      throw new UnsupportedCodecError(codec);
  }
}
