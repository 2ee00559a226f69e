import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CrucibleError } from "../errors.ts";
import { encodeFrame, FrameReader } from "./frames.ts";

/** A reader that records what it delivers. */
function reader(maxFrameBytes = 1 << 20) {
  const frames: unknown[] = [];
  const errors: CrucibleError[] = [];
  const r = new FrameReader(
    maxFrameBytes,
    (frame) => frames.push(frame),
    (error) => errors.push(error),
  );
  return { r, frames, errors };
}

/** A frame with a hand-written body, for bodies encodeFrame would never produce. */
function rawFrame(body: Buffer | string, declaredLength?: number): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const head = Buffer.alloc(4);
  head.writeUInt32BE(declaredLength ?? bytes.length, 0);
  return Buffer.concat([head, bytes]);
}

describe("encodeFrame", () => {
  it("should prefix the UTF-8 JSON body with its byte length, big-endian", () => {
    const frame = encodeFrame({ s: "é" });
    const body = '{"s":"é"}';
    expect(frame.readUInt32BE(0)).toBe(Buffer.byteLength(body));
    expect(frame.subarray(4).toString("utf8")).toBe(body);
  });
});

describe("FrameReader", () => {
  it("should deliver one frame pushed whole", () => {
    const { r, frames, errors } = reader();
    r.push(encodeFrame({ ready: true }));
    expect(frames).toStrictEqual([{ ready: true }]);
    expect(errors).toStrictEqual([]);
  });

  it("should deliver a frame split across chunks, byte by byte, only once it is complete", () => {
    const { r, frames } = reader();
    const data = encodeFrame({ value: "ünïcødé 🎉", n: 42 });
    for (let i = 0; i < data.length - 1; i++) {
      r.push(data.subarray(i, i + 1));
      expect(frames).toStrictEqual([]);
    }
    r.push(data.subarray(data.length - 1));
    expect(frames).toStrictEqual([{ value: "ünïcødé 🎉", n: 42 }]);
  });

  it("should deliver a frame whose length header itself is split", () => {
    const { r, frames } = reader();
    const data = encodeFrame([1, 2, 3]);
    r.push(data.subarray(0, 2));
    r.push(data.subarray(2, 3));
    r.push(data.subarray(3));
    expect(frames).toStrictEqual([[1, 2, 3]]);
  });

  it("should deliver several frames from one chunk, in order, and keep the tail of the next", () => {
    const { r, frames } = reader();
    const next = encodeFrame("third");
    r.push(Buffer.concat([encodeFrame(1), encodeFrame({ two: 2 }), next.subarray(0, 5)]));
    expect(frames).toStrictEqual([1, { two: 2 }]);
    r.push(next.subarray(5));
    expect(frames).toStrictEqual([1, { two: 2 }, "third"]);
  });

  it("should deliver falsy frames too: {}, null, 0, false and the empty string", () => {
    const { r, frames } = reader();
    r.push(Buffer.concat([{}, null, 0, false, ""].map((v) => encodeFrame(v))));
    expect(frames).toStrictEqual([{}, null, 0, false, ""]);
  });

  it("should deliver the same frames however the stream is cut into chunks", () => {
    const values = fc.array(fc.jsonValue(), { maxLength: 8 });
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { maxLength: 20 }), (vs, cuts) => {
        const stream = Buffer.concat(vs.map((v) => encodeFrame(v)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const { r, frames, errors } = reader();
        let at = 0;
        for (const p of [...points, stream.length]) {
          r.push(stream.subarray(at, p));
          at = p;
        }
        expect(errors).toStrictEqual([]);
        // JSON turns -0 into 0; compare with what JSON itself gives back.
        expect(frames).toStrictEqual(vs.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
      }),
    );
  });

  it("should report one protocol error for an oversize frame, from the header alone, and deliver nothing after", () => {
    const { r, frames, errors } = reader(16);
    r.push(encodeFrame("ok"));
    // Only the header of the big frame arrives: the reader must not wait for 1 GiB to refuse it.
    r.push(rawFrame(Buffer.alloc(0), 1 << 30));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("protocol");
    expect(errors[0]!.message).toMatch(/1073741824 bytes passed the 16-byte limit/);
    r.push(encodeFrame("after"));
    r.push(encodeFrame("more"));
    expect(frames).toStrictEqual(["ok"]);
    expect(errors).toHaveLength(1);
  });

  it("should accept a frame of exactly maxFrameBytes", () => {
    const { r, frames, errors } = reader(7);
    r.push(rawFrame('"12345"'));
    expect(frames).toStrictEqual(["12345"]);
    expect(errors).toStrictEqual([]);
  });

  it("should report invalid JSON once as a protocol error and stop delivering", () => {
    const { r, frames, errors } = reader();
    r.push(Buffer.concat([encodeFrame("before"), rawFrame("{not json"), encodeFrame("after")]));
    expect(frames).toStrictEqual(["before"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("protocol");
    expect(errors[0]!.message).toMatch(/not valid JSON/);
    r.push(encodeFrame("later"));
    expect(frames).toStrictEqual(["before"]);
    expect(errors).toHaveLength(1);
  });

  it("should not deliver a frame whose body is a truncated JSON document", () => {
    const { r, frames, errors } = reader();
    r.push(rawFrame('{"a":'));
    expect(frames).toStrictEqual([]);
    expect(errors.map((e) => e.code)).toStrictEqual(["protocol"]);
  });

  it("should keep a '__proto__' key in a frame as data, not as the frame's prototype", () => {
    const { r, frames } = reader();
    r.push(rawFrame('{"__proto__":{"polluted":true}}'));
    const frame = frames[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(frame)).toBe(Object.prototype);
    expect(Object.hasOwn(frame, "__proto__")).toBe(true);
    expect(frame["polluted"]).toBeUndefined();
  });
});
