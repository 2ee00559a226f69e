// Ranking methods: pure functions from what candidates did (pass marks on generated tests, output
// fingerprints on shared inputs) to groups of candidates in order of preference.
import { CrucibleError } from "../../errors.ts";
import type { CandidateRun } from "./execute.ts";

/** The ranking methods Crucible implements. */
export const RANK_METHODS = ["codet", "mbr", "alphacode", "crucible"] as const;
export type RankMethod = (typeof RANK_METHODS)[number];

/** One distinct candidate program of a task, with what it did. */
export interface RankCandidate {
  readonly run: CandidateRun;
  /** How many samples had this exact program text (CodeT counts duplicates; default 1). */
  readonly weight?: number;
  /** The model's log-probability of the program; breaks MBR-exec's ties when given. */
  readonly logprob?: number;
}

/** What a method sees of a task besides the candidates. */
export interface RankContext {
  /** Per distinct test (the order of `CandidateRun.marks`), how many times it was generated (default 1). */
  readonly testWeights?: readonly number[];
}

/**
 * Candidates of equal behaviour, as a method groups them, with the group's score. `members` are
 * indices into the candidates given; `tiebreak` orders groups of equal score (higher first) and
 * two groups tie only when both are equal.
 */
export interface RankGroup {
  readonly members: readonly number[];
  readonly score: number;
  readonly tiebreak?: number;
}

/** Groups in order of preference: score descending, then tiebreak descending. May be empty. */
export type Ranking = readonly RankGroup[];

const weightOf = (c: RankCandidate): number => c.weight ?? 1;

function checkInputs(candidates: readonly RankCandidate[], context: RankContext): void {
  for (const [i, c] of candidates.entries()) {
    const w = weightOf(c);
    if (!(Number.isFinite(w) && w > 0)) throw new CrucibleError("invalid_argument", `candidate ${i} has weight ${w}; weights are positive numbers (sample counts)`);
  }
  const tests = context.testWeights;
  if (tests && tests.some((w) => !(Number.isFinite(w) && w >= 0))) throw new CrucibleError("invalid_argument", "test weights are non-negative numbers");
}

function sorted(groups: RankGroup[]): RankGroup[] {
  return groups.sort((a, b) => b.score - a.score || (b.tiebreak ?? 0) - (a.tiebreak ?? 0) || a.members[0]! - b.members[0]!);
}

/** Groups indices by a key, keeping first-seen order (members ascending). */
function groupBy(indices: Iterable<number>, key: (i: number) => string): number[][] {
  const groups = new Map<string, number[]>();
  for (const i of indices) {
    const k = key(i);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  return [...groups.values()];
}

const loaded = (candidates: readonly RankCandidate[]) => candidates.flatMap((c, i) => (c.run.status === "ok" ? [i] : []));

/** Whether an output fingerprint is a value (not an exception, timeout, crash or skip mark). */
export const isValue = (output: string): boolean => !output.startsWith("!");

/**
 * CodeT's dual execution agreement (microsoft/CodeT `agreement.py`): candidates that passed the
 * same set of generated tests form a group, scored `(tests in the set) × √(candidates in the
 * group)`, both counted with duplicates (a test generated three times counts three). Candidates
 * that did not load, or passed no test, are in no group — as in CodeT, where a program that
 * passes nothing never enters the ranking.
 */
export function dualAgreement(candidates: readonly RankCandidate[], context: RankContext = {}): Ranking {
  checkInputs(candidates, context);
  const testWeight = (j: number) => context.testWeights?.[j] ?? 1;
  const passing = loaded(candidates).filter((i) => candidates[i]!.run.marks.includes("1"));
  const groups = groupBy(passing, (i) => passSet(candidates[i]!.run.marks));
  return sorted(
    groups.map((members) => {
      const marks = candidates[members[0]!]!.run.marks;
      let tests = 0;
      for (let j = 0; j < marks.length; j++) if (marks[j] === "1") tests += testWeight(j);
      const size = members.reduce((n, i) => n + weightOf(candidates[i]!), 0);
      // The product in CodeT's order, so equal scores tie exactly as they do there.
      return { members, score: tests * Math.sqrt(size) };
    }),
  );
}

const passSet = (marks: string): string => marks.replace(/[^1]/g, "0");

/**
 * MBR-exec (Shi et al. 2022) with its hard loss: two candidates agree when their outputs on every
 * shared input are equal, so the candidate of least Bayes risk is one of the largest class of
 * agreeing candidates. Groups are those classes scored by their size (duplicates counted), ties
 * broken by the highest log-probability among members when log-probabilities are given.
 * Candidates that did not load, or produced no value on any input (raised or timed out
 * everywhere), are in no group.
 */
export function mbrExec(candidates: readonly RankCandidate[], context: RankContext = {}): Ranking {
  checkInputs(candidates, context);
  const usable = loaded(candidates).filter((i) => candidates[i]!.run.outputs.some(isValue));
  const groups = groupBy(usable, (i) => candidates[i]!.run.outputs.join("\u0000"));
  return sorted(
    groups.map((members) => {
      const size = members.reduce((n, i) => n + weightOf(candidates[i]!), 0);
      const logprobs = members.map((i) => candidates[i]!.logprob).filter((p): p is number => p !== undefined);
      return logprobs.length ? { members, score: size, tiebreak: Math.max(...logprobs) } : { members, score: size };
    }),
  );
}

/**
 * AlphaCode-style filtering and clustering (Li et al. 2022): filter, then cluster by behaviour on
 * shared inputs and take the clusters largest first. AlphaCode filters on the problem's example
 * tests; a pool with no trusted examples (CodeT's prompts have them removed) filters on the
 * generated tests instead, keeping candidates that pass at least one. Clusters are candidates with
 * equal outputs on every input, scored by size (duplicates counted).
 */
export function alphaCodeClusters(candidates: readonly RankCandidate[], context: RankContext = {}): Ranking {
  checkInputs(candidates, context);
  const kept = loaded(candidates).filter((i) => candidates[i]!.run.marks.includes("1") || candidates[i]!.run.marks.length === 0);
  const groups = groupBy(kept, (i) => candidates[i]!.run.outputs.join("\u0000"));
  return sorted(groups.map((members) => ({ members, score: members.reduce((n, i) => n + weightOf(candidates[i]!), 0) })));
}
