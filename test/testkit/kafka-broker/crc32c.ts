/**
 * CRC-32C (Castagnoli), the checksum of record batch v2
 * (https://kafka.apache.org/documentation/#recordbatch). Note that it is not
 * the CRC-32 of zlib: the polynomial differs (0x1EDC6F41, reflected 0x82F63B78).
 * Table-driven, one byte at a time, which is ample for test traffic.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `data` as an unsigned 32-bit number. crc32c(Buffer.from('123456789')) === 0xe3069283. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    // Indices are < 256 by construction, so the lookup is never undefined.
    crc = (TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
