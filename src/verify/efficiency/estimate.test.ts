import { describe, expect, it } from "vitest";
import { isCrucibleError } from "../../errors.ts";
import { hodgesLehmann, median } from "./estimate.ts";
import { levelEfficiency, weightedEfficiency } from "./score.ts";

/** ENAMEL's calc_exec_time, transcribed literally: ts/2, the i ≥ j triangle of pairwise sums, np.median. */
function enamelHL(ts: readonly number[]): number {
  const half = ts.map((t) => t / 2);
  const sums: number[] = [];
  for (let i = 0; i < half.length; i++) for (let j = 0; j <= i; j++) sums.push(half[j]! + half[i]!);
  return median(sums);
}

describe("hodgesLehmann", () => {
  it("should be the median of the Walsh averages, each value paired with itself included", () => {
    // Walsh averages of 1, 2, 3: 1, 1.5, 2, 2, 2.5, 3 → median 2.
    expect(hodgesLehmann([1, 2, 3])).toBe(2);
    expect(hodgesLehmann([5])).toBe(5);
    expect(hodgesLehmann([1, 3])).toBe(2);
  });

  it("should agree with ENAMEL's estimator on six repetitions", () => {
    const reps = [0.0123, 0.0119, 0.0131, 0.0498, 0.0121, 0.0120];
    expect(hodgesLehmann(reps)).toBe(enamelHL(reps));
  });

  it("should shrug off one slow repetition of six where the mean does not", () => {
    const reps = [10, 10.2, 9.9, 10.1, 10, 80];
    expect(hodgesLehmann(reps)).toBeGreaterThan(9.9);
    expect(hodgesLehmann(reps)).toBeLessThan(10.3);
  });

  it("should refuse no values and values that are not finite", () => {
    for (const xs of [[], [1, Number.NaN], [Infinity]]) {
      let caught: unknown;
      try {
        hodgesLehmann(xs);
      } catch (error) {
        caught = error;
      }
      expect(isCrucibleError(caught, "invalid_argument")).toBe(true);
    }
  });
});

describe("ENAMEL's efficiency score", () => {
  it("should give 1 at the reference's cost, more when faster, 0 at or past α × the worst case", () => {
    // Reference worst case 1 s, α = 2: timeout 2 s.
    expect(levelEfficiency(1, 1, 2)).toBe(1);
    expect(levelEfficiency(0.5, 1, 2)).toBe(1.5);
    expect(levelEfficiency(1.5, 1, 2)).toBe(0.5);
    expect(levelEfficiency(2, 1, 2)).toBe(0);
    expect(levelEfficiency(7, 1, 2)).toBe(0);
    // A level whose own reference cost is below the overall worst case.
    expect(levelEfficiency(0.5, 0.5, 2)).toBe(1);
  });

  it("should weight levels by hardness, the first (weight 0) only checking correctness", () => {
    expect(weightedEfficiency([0, 1, 1, 1], [0, 3, 3, 4])).toBe(1);
    expect(weightedEfficiency([0, 1, 0.5, 0], [0, 3, 3, 4])).toBeCloseTo((3 + 1.5) / 10, 12);
    expect(() => weightedEfficiency([1], [0])).toThrow();
    expect(() => levelEfficiency(1, 2, 2)).toThrow();
  });
});
