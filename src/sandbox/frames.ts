import { CrucibleError } from "../errors.ts";

/**
 * Length-prefixed JSON frames (4-byte big-endian length, then UTF-8 JSON) on the host's side of a
 * sandbox channel. What arrives is hostile: a frame over `maxFrameBytes` or one that is not JSON is a
 * protocol breach, reported once through `onError`; the caller kills the sandbox.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;
  private readonly maxFrameBytes: number;
  private readonly onFrame: (frame: unknown) => void;
  private readonly onError: (error: CrucibleError) => void;

  constructor(maxFrameBytes: number, onFrame: (frame: unknown) => void, onError: (error: CrucibleError) => void) {
    this.maxFrameBytes = maxFrameBytes;
    this.onFrame = onFrame;
    this.onError = onError;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        return this.fail(`a frame of ${length} bytes passed the ${this.maxFrameBytes}-byte limit`);
      }
      if (this.buffered < 4 + length) return;
      const body = this.take(4 + length).subarray(4);
      let frame: unknown;
      try {
        frame = JSON.parse(body.toString("utf8"));
      } catch {
        return this.fail("a frame was not valid JSON");
      }
      this.onFrame(frame);
    }
  }

  private fail(message: string): void {
    this.failed = true;
    this.chunks = [];
    this.onError(new CrucibleError("protocol", message));
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/** Encodes one frame. */
export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}
