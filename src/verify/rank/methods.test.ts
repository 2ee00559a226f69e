import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../errors.ts";
import type { CandidateRun } from "./execute.ts";
import { crucibleRank } from "./consensus.ts";
import { alphaCodeClusters, dualAgreement, mbrExec, type RankCandidate } from "./methods.ts";
import { rankedPassAtK, topKDraws, topPick } from "./top-k.ts";

const ok = (marks: string, outputs: string[] = []): CandidateRun => ({ status: "ok", marks, outputs, wallMs: 1, cpuMs: 1 });
const failedLoad: CandidateRun = { status: "load_error", marks: "", outputs: [], wallMs: 1, cpuMs: 1 };

describe("dualAgreement", () => {
  // Tests t0, t1, t2 generated 1, 2 and 1 times.
  const testWeights = [1, 2, 1];
  const candidates: RankCandidate[] = [
    { run: ok("110"), weight: 2 }, // A: passes t0, t1 (3 tests with duplicates), 2 samples
    { run: ok("111") }, // B: passes all 4, 1 sample
    { run: ok("001"), weight: 3 }, // C: passes t2, 3 samples
    { run: ok("000") }, // D: passes nothing
    { run: failedLoad }, // E: did not load
    { run: ok("11t") }, // F: same pass set as A (a timeout is a failure)
  ];

  it("should score each pass set by tests passed × √samples, duplicates counted, as CodeT does", () => {
    const ranking = dualAgreement(candidates, { testWeights });
    expect(ranking.map((g) => [g.members, g.score])).toStrictEqual([
      [[0, 5], 3 * Math.sqrt(3)],
      [[1], 4],
      [[2], Math.sqrt(3)],
    ]);
  });

  it("should leave out programs that passed nothing or did not load", () => {
    const members = dualAgreement(candidates, { testWeights }).flatMap((g) => g.members);
    expect(members).not.toContain(3);
    expect(members).not.toContain(4);
  });

  it("should refuse a non-positive weight", () => {
    expect(() => dualAgreement([{ run: ok("1"), weight: 0 }])).toThrow(CrucibleError);
  });
});

describe("rankedPassAtK", () => {
  it("should count CodeT's way: equal scores merge, extra draws go round-robin", () => {
    // Scores 6 and 6 tie (3·√4 = 2·√9); the third group scores less.
    const ranking = [
      { members: [0], score: 6 },
      { members: [1], score: 6 },
      { members: [2], score: 1 },
    ];
    const weight = (i: number) => [4, 9, 1][i]!;
    const correct = (i: number) => [4, 0, 1][i]!;
    expect(topKDraws(ranking, 1).map(([g, n]) => [g.members, n])).toStrictEqual([[[0, 1], 1]]);
    expect(rankedPassAtK(ranking, 1, correct, weight)).toBeCloseTo(4 / 13, 12);
    expect(rankedPassAtK(ranking, 2, correct, weight)).toBe(1);
    // One group and k = 3: three draws from it, with replacement.
    expect(rankedPassAtK([{ members: [0, 1], score: 1 }], 3, correct, weight)).toBeCloseTo(1 - (9 / 13) ** 3, 12);
  });

  it("should say null for an empty ranking, so the caller samples at random", () => {
    expect(rankedPassAtK([], 1, () => 0)).toBeNull();
    expect(topPick([])).toBeNull();
  });
});

describe("mbrExec and alphaCodeClusters", () => {
  const candidates: RankCandidate[] = [
    { run: ok("0", ["a", "b"]), weight: 2, logprob: -5 },
    { run: ok("1", ["a", "c"]), weight: 2, logprob: -1 },
    { run: ok("0", ["a", "b"]) },
    { run: ok("0", ["!ZeroDivisionError", "!timeout"]), weight: 9 },
  ];

  it("should pick the largest class of equal outputs, ties by log-probability", () => {
    const ranking = mbrExec(candidates);
    expect(ranking.map((g) => g.members)).toStrictEqual([[0, 2], [1]]);
    const tied = mbrExec([candidates[0]!, candidates[1]!]);
    expect(topPick(tied)).toBe(1);
  });

  it("should filter on the generated tests before clustering", () => {
    expect(alphaCodeClusters(candidates).map((g) => g.members)).toStrictEqual([[1]]);
  });
});

describe("crucibleRank", () => {
  // A passes both tests alone, but 4 more samples (C) agree with its outputs; B's 4 samples pass one test.
  const candidates: RankCandidate[] = [
    { run: ok("11", ["p"]) }, // A
    { run: ok("10", ["q"]), weight: 4 }, // B
    { run: ok("00", ["p"]), weight: 4 }, // C: agrees with A, passes nothing
  ];

  it("should break CodeT's tie with the support of agreeing outputs and tests weighted by it", () => {
    const codet = dualAgreement(candidates);
    expect(codet.map((g) => g.score)).toStrictEqual([2, 2]);
    const ranking = crucibleRank(candidates);
    const first = 2 * Math.sqrt(5); // A: 2 tests × √(1 + 4 agreeing samples)
    const t1 = first / (first + 2); // t1 is backed by A alone; t0 by A and B (1 × √4)
    expect(ranking.map((g) => g.members)).toStrictEqual([[0], [1]]);
    expect(ranking[0]!.score).toBeCloseTo((1 + t1) * Math.sqrt(5), 12);
    expect(ranking[1]!.score).toBeCloseTo(2, 12);
  });

  it("should rank nothing when no candidate passes a test", () => {
    expect(crucibleRank([{ run: ok("00", ["p"]) }, { run: failedLoad }])).toStrictEqual([]);
  });
});
