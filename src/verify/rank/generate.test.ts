import { describe, expect, it } from "vitest";
import { Encoded, encode } from "../../sandbox/guest/codec.mjs";
import { generateInputs } from "./generate.ts";

const seeds = (...args: unknown[][]) => args.map((a) => new Encoded(encode(a)));

describe("generateInputs", () => {
  it("should generate argument lists shaped like the seeds, bounded, distinct and reproducible", () => {
    const given = seeds([[1, 2, 3], "ab"], [[40], "xyz"], [[], ""]);
    const a = generateInputs(given, { count: 15 });
    expect(a.length).toBeGreaterThan(5);
    expect(generateInputs(given, { count: 15 })).toStrictEqual(a);
    const keys = new Set(a.map((args) => JSON.stringify(encode(args))));
    expect(keys.size).toBe(a.length);
    for (const k of given.map((s) => JSON.stringify(s.wire))) expect(keys.has(k)).toBe(false);
    for (const [xs, s] of a as [number[], string][]) {
      expect(Array.isArray(xs)).toBe(true);
      expect(typeof s).toBe("string");
      // Ints stay within the seeds' range widened to [-10, 10]: no value a naive candidate spins on.
      for (const x of xs) expect(Number.isInteger(x) && x >= -10 && x <= 40).toBe(true);
    }
  });

  it("should give nothing without seeds", () => {
    expect(generateInputs([])).toStrictEqual([]);
  });
});
