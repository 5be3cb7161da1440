/**
 * Bounds-checked reader for the Kafka wire primitives
 * (https://kafka.apache.org/protocol#protocol_types), big-endian, plus the
 * zig-zag varint/varlong encoding used inside record batches.
 *
 * Every read checks the remaining length and throws {@link DecodeError}, so a
 * truncated or hostile request can never read past its frame.
 */

/** Thrown when bytes do not form a valid value of the expected type. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): number {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new DecodeError(`not enough bytes for ${what}: need ${n}, have ${this.remaining}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'int8'));
  }

  boolean(): boolean {
    // The spec: "When reading a boolean value, any non-zero value is considered true."
    return this.buf.readUInt8(this.need(1, 'boolean')) !== 0;
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'int16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'int32'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.need(4, 'uint32'));
  }

  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'int64'));
  }

  /** STRING: int16 length N >= 0, then N bytes of UTF-8. */
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new DecodeError('null where a non-nullable STRING was expected');
    return s;
  }

  /** NULLABLE_STRING: int16 length, -1 meaning null. */
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < 0) throw new DecodeError(`invalid string length ${len}`);
    const at = this.need(len, 'string');
    return this.buf.toString('utf8', at, at + len);
  }

  /** NULLABLE_BYTES / RECORDS: int32 length, -1 meaning null. Returns a view, not a copy. */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < 0) throw new DecodeError(`invalid bytes length ${len}`);
    const at = this.need(len, 'bytes');
    return this.buf.subarray(at, at + len);
  }

  /**
   * ARRAY: int32 count N, then N elements; -1 is a null array (allowed by the
   * spec only where a field is nullable, which callers check).
   */
  nullableArray<T>(readItem: (r: Reader) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    if (count < 0) throw new DecodeError(`invalid array length ${count}`);
    // Each element takes at least one byte, so a huge count in a small frame is a lie;
    // failing early avoids allocating for it.
    if (count > this.remaining) throw new DecodeError(`array length ${count} exceeds frame`);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(readItem(this));
    return items;
  }

  array<T>(readItem: (r: Reader) => T): T[] {
    const items = this.nullableArray(readItem);
    if (items === null) throw new DecodeError('null where a non-nullable ARRAY was expected');
    return items;
  }

  /** Raw bytes of a known length (a view, not a copy). */
  raw(n: number): Buffer {
    const at = this.need(n, 'raw bytes');
    return this.buf.subarray(at, at + n);
  }

  /** Everything not read yet (a view). */
  rest(): Buffer {
    return this.raw(this.remaining);
  }

  /** Unsigned LEB128 of at most `maxBytes` bytes, as a bigint. */
  private unsignedVarint(maxBytes: number, what: string): bigint {
    let result = 0n;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.buf.readUInt8(this.need(1, what));
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return result;
    }
    throw new DecodeError(`${what} longer than ${maxBytes} bytes`);
  }

  /** VARINT: zig-zag int32 in at most 5 bytes. */
  varint(): number {
    const raw = this.unsignedVarint(5, 'varint');
    if (raw > 0xffffffffn) throw new DecodeError('varint out of int32 range');
    const n = Number(raw);
    // Zig-zag decode: (n >>> 1) ^ -(n & 1), done in 32-bit signed arithmetic.
    return (n >>> 1) ^ -(n & 1);
  }

  /** VARLONG: zig-zag int64 in at most 10 bytes. */
  varlong(): bigint {
    const raw = this.unsignedVarint(10, 'varlong');
    if (raw > 0xffffffffffffffffn) throw new DecodeError('varlong out of int64 range');
    return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
  }

  /** Varint-length-prefixed bytes as used inside records; length -1 means null. */
  varintBytes(): Buffer | null {
    const len = this.varint();
    if (len === -1) return null;
    if (len < 0) throw new DecodeError(`invalid varint length ${len}`);
    return this.raw(len);
  }
}
