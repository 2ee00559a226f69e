import { describe, expect, it } from "vitest";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import { ValueFeedback } from "./feedback.ts";
import { InputPool } from "./pool.ts";
import { Rng } from "./rng.ts";
import { boundaries, floatWire, intWire, kindOf, mutate } from "./values.ts";

const SAMPLES: Wire[] = [
  3,
  -7,
  { $t: "int", v: "0x1fffffffffffffff" },
  2.5,
  { $t: "float", v: "2.0" },
  "hello",
  "",
  true,
  null,
  [1, 2, 3],
  [],
  { $t: "tuple", v: [1, "a"] },
  { $t: "set", v: [1, 2] },
  { a: 1, b: [2.5] },
  { $t: "dict", v: [[1, "x"], [2, "y"]] },
];

describe("wire values", () => {
  it("should keep the Python type of every value through any number of mutations", () => {
    const rng = new Rng(7);
    for (const w of SAMPLES) {
      let v = w;
      for (let i = 0; i < 300; i++) {
        v = mutate(v, [], rng);
        expect(kindOf(v), `${JSON.stringify(w)} became ${JSON.stringify(v)}`).toBe(kindOf(w));
      }
    }
  });

  it("should keep a float a float even when it becomes whole", () => {
    expect(floatWire(3)).toEqual({ $t: "float", v: "3.0" });
    expect(kindOf(floatWire(3))).toBe("float");
    expect(floatWire(-0)).toEqual({ $t: "float", v: "-0.0" });
    expect(kindOf(intWire(2n ** 70n))).toBe("int");
    expect(intWire(5n)).toBe(5);
  });

  it("should give boundary values of the same type, empty and one-item containers among them", () => {
    for (const w of SAMPLES) for (const b of boundaries(w)) expect(kindOf(b)).toBe(kindOf(w));
    expect(boundaries([4, 5])).toContainEqual([]);
    expect(boundaries([4, 5])).toContainEqual([0]);
    expect(boundaries(12)).toContain(0);
    expect(boundaries("abc")).toContain("");
  });

  it("should never leave duplicate items in a mutated set", () => {
    const rng = new Rng(3);
    let v: Wire = { $t: "set", v: [1, 2, 3] };
    for (let i = 0; i < 200; i++) {
      v = mutate(v, [], rng);
      const items = (v as { v: Wire[] }).v.map((x) => JSON.stringify(x));
      expect(new Set(items).size).toBe(items.length);
    }
  });
});

describe("input pool", () => {
  it("should hand out the seeds first, then new inputs only, the same ones for the same seed", () => {
    const make = () => new InputPool(new Rng(11), [[[1, 2], 3]], undefined, 4000);
    const [p1, p2] = [make(), make()];
    const first = p1.next(8);
    expect(first).toEqual([{ args: [[1, 2], 3], key: "[[1,2],3]", strategy: "seed" }]);
    const later1 = [...p1.next(50), ...p1.next(50)];
    p2.next(8);
    const later2 = [...p2.next(50), ...p2.next(50)];
    expect(later1).toEqual(later2);
    const keys = later1.map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).not.toContain("[[1,2],3]");
    expect(later1.some((c) => c.strategy === "boundary")).toBe(true);
    expect(later1.every((c) => c.args.length === 2)).toBe(true);
  });

  it("should have nothing to offer without seeds or types", () => {
    expect(new InputPool(new Rng(1), [], undefined, 4000).next(10)).toEqual([]);
  });

  it("should label mutants of inputs that made the versions diverge as feedback", () => {
    const pool = new InputPool(new Rng(5), [[1]], undefined, 4000);
    pool.next(4);
    pool.next(200);
    pool.reward({ args: [1000], key: "[1000]", strategy: "mutation" }, { divergence: 50, novelty: 0 });
    const next = pool.next(200);
    expect(next.some((c) => c.strategy === "feedback")).toBe(true);
  });
});

describe("value feedback (Mokav)", () => {
  it("should score a value one version's variable takes that the other's never took", () => {
    const fb = new ValueFeedback();
    const p = (entries: [string, string[]][]) => new Map(entries);
    expect(fb.observe(p([["f.x", ["1", "2"]]]), p([["f.x", ["1", "2"]]]))).toEqual({ divergence: 0, novelty: 4 });
    const s = fb.observe(p([["f.x", ["3"]]]), p([["f.x", ["4"]]]));
    expect(s.divergence).toBeGreaterThan(0);
    // Values both versions have already taken, on other inputs, make no divergence.
    expect(fb.observe(p([["f.x", ["1"]]]), p([["f.x", ["1"]]])).divergence).toBe(0);
    expect(fb.sharedVariables()).toEqual(["f.x"]);
  });
});
