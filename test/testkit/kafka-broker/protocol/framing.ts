/**
 * Splits a TCP byte stream into Kafka frames: every request is an int32 size
 * followed by that many bytes (https://kafka.apache.org/protocol#protocol_common).
 * TCP may deliver a frame in many chunks or several frames in one chunk, so
 * bytes are buffered until a whole frame is present.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxFrameBytes largest accepted frame; Kafka's socket.request.max.bytes defaults to 100 MiB. */
  constructor(private readonly maxFrameBytes = 100 * 1024 * 1024) {}

  /**
   * Adds bytes and returns every frame (without its size prefix) now complete.
   * Throws RangeError on a negative or oversized length, after which the
   * connection must be closed: the stream cannot be resynchronised.
   */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new RangeError(`invalid frame size ${size}`);
      }
      if (this.buffered < 4 + size) break;
      const all = this.take(4 + size);
      frames.push(all.subarray(4));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    // Merge once, so a frame trickling in byte by byte is not re-concatenated on every chunk.
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }
}

/** Prefixes a response (header + body) with its int32 size. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}
