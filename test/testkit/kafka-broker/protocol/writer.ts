/**
 * Growable big-endian writer for Kafka wire primitives, the mirror of
 * {@link Reader}. Used for responses and, in tests, for hand-built requests.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  /**
   * Reserve `n` bytes and return where they start. Call it BEFORE reading `this.buf`: it may
   * replace the buffer, and `this.buf.write…(v, this.ensure(n))` would write into the old one
   * (the receiver is evaluated before the arguments).
   */
  private ensure(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(v: number): this {
    const at = this.ensure(1);
    this.buf.writeInt8(v, at);
    return this;
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    const at = this.ensure(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }

  int32(v: number): this {
    const at = this.ensure(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }

  uint32(v: number): this {
    const at = this.ensure(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  int64(v: bigint | number): this {
    const at = this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(v), at);
    return this;
  }

  string(v: string): this {
    return this.nullableString(v);
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    const len = Buffer.byteLength(v, 'utf8');
    if (len > 0x7fff) throw new RangeError('STRING longer than 32767 bytes');
    this.int16(len);
    const at = this.ensure(len);
    this.buf.write(v, at, len, 'utf8');
    return this;
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }

  array<T>(items: readonly T[], writeItem: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeItem: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1);
    return this.array(items, writeItem);
  }

  raw(v: Uint8Array): this {
    const at = this.ensure(v.length);
    this.buf.set(v, at);
    return this;
  }

  private unsignedVarint(v: bigint): this {
    let rest = v;
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest !== 0n) byte |= 0x80;
      const at = this.ensure(1);
      this.buf.writeUInt8(byte, at);
    } while (rest !== 0n);
    return this;
  }

  /** VARINT: zig-zag int32. */
  varint(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`varint out of range: ${v}`);
    return this.unsignedVarint(BigInt(((v << 1) ^ (v >> 31)) >>> 0));
  }

  /** VARLONG: zig-zag int64. */
  varlong(v: bigint): this {
    const n = BigInt.asIntN(64, v);
    return this.unsignedVarint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
  }

  varintBytes(v: Buffer | null): this {
    if (v === null) return this.varint(-1);
    this.varint(v.length);
    return this.raw(v);
  }

  /** A copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
