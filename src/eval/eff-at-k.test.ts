import { describe, expect, it } from "vitest";
import { isCrucibleError } from "../errors.ts";
import { aggregateEffAtK, effAtK } from "./eff-at-k.ts";

/** eff@k by its definition, with exact binomials (small n only): E[max of k drawn without replacement]. */
function bruteForce(scores: readonly number[], k: number): number {
  const n = scores.length;
  let total = 0;
  let count = 0;
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      total += Math.max(...chosen.map((i) => scores[i]!));
      count++;
      return;
    }
    for (let i = start; i < n; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return total / count;
}

describe("effAtK", () => {
  const e = [0, 0.2, 0.5, 0.9, 0.31, 0, 1.0];

  it("should give the issue's vector: eff@1 0.415714, eff@2 0.658571, eff@3 0.803714, eff@7 1.0", () => {
    expect(effAtK(e, 1)).toBeCloseTo(0.415714, 6);
    expect(effAtK(e, 2)).toBeCloseTo(0.658571, 6);
    expect(effAtK(e, 3)).toBeCloseTo(0.803714, 6);
    expect(effAtK(e, 7)).toBe(1);
  });

  it("should equal the expected maximum over all k-subsets", () => {
    for (let k = 1; k <= e.length; k++) expect(effAtK(e, k)).toBeCloseTo(bruteForce(e, k), 12);
    const scores = [0.1, 0.7, 0.7, 0, 1.3, 0.05, 0.9, 0.44, 0.2];
    for (let k = 1; k <= scores.length; k++) expect(effAtK(scores, k)).toBeCloseTo(bruteForce(scores, k), 12);
  });

  it("should stay finite and within the scores' range for n in the thousands", () => {
    const scores = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 1000) / 1000);
    for (const k of [1, 10, 100, 1000, 5000]) {
      const v = effAtK(scores, k);
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(0.999 + 1e-9);
    }
    expect(effAtK(scores, 5000)).toBeCloseTo(0.999, 9);
  });

  it("should refuse k outside 1..n and negative or non-finite scores", () => {
    for (const [scores, k] of [
      [e, 0],
      [e, 8],
      [e, 1.5],
      [[], 1],
      [[0.5, -0.1], 1],
      [[0.5, Number.NaN], 1],
    ] as const) {
      let caught: unknown;
      try {
        effAtK(scores, k);
      } catch (error) {
        caught = error;
      }
      expect(isCrucibleError(caught, "invalid_argument")).toBe(true);
    }
  });
});

describe("aggregateEffAtK", () => {
  it("should average tasks and leave out a k some task has too few samples for", () => {
    const out = aggregateEffAtK([[0, 1], [0.5, 0.5], [1]], [1, 2]);
    expect(out["eff@1"]).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    expect(out["eff@2"]).toBeUndefined();
    expect(aggregateEffAtK([], [1])).toEqual({});
  });
});
