// Reading a ranking: what is picked first, and pass@k of the top k picks as CodeT counts it.
import { CrucibleError } from "../../errors.ts";
import type { Ranking, RankGroup } from "./methods.ts";

/** Groups of equal score and tiebreak merged into one, in order. */
export function mergeTies(ranking: Ranking): RankGroup[] {
  const out: RankGroup[] = [];
  for (const g of ranking) {
    const last = out.at(-1);
    if (last && last.score === g.score && (last.tiebreak ?? 0) === (g.tiebreak ?? 0)) {
      out[out.length - 1] = { ...last, members: [...last.members, ...g.members] };
    } else out.push(g);
  }
  return out;
}

/**
 * The picks of the top k: one draw from each of the first k tie-merged groups; when there are
 * fewer groups than k, the extra draws go round-robin from the first group on (CodeT's
 * `_turn_solution_scores_into_choose_count`). Returns `[group, draws]` pairs.
 */
export function topKDraws(ranking: Ranking, k: number): [RankGroup, number][] {
  if (!(Number.isSafeInteger(k) && k >= 1)) throw new CrucibleError("invalid_argument", `k must be a positive integer, got ${k}`);
  const merged = mergeTies(ranking);
  if (merged.length >= k) return merged.slice(0, k).map((g) => [g, 1]);
  const draws = merged.map(() => 1);
  for (let i = 0; i < k - merged.length; i++) draws[i % merged.length]! += 1;
  return merged.map((g, i) => [g, draws[i]!]);
}

/**
 * pass@k of a ranking as CodeT's `get_result_of_sorted_solutions` computes it: each draw from a
 * group picks one of its samples uniformly (with replacement), so the chance that all k picks
 * fail is Π over groups of (1 − correct/size)^draws; sizes count duplicates (`weight`). Returns
 * `null` for an empty ranking: the caller falls back to sampling at random, as CodeT does.
 *
 * @param weight samples behind candidate i (default 1)
 * @param correct how many of those samples pass the ground-truth tests
 */
export function rankedPassAtK(ranking: Ranking, k: number, correct: (i: number) => number, weight: (i: number) => number = () => 1): number | null {
  const draws = topKDraws(ranking, k);
  if (draws.length === 0) return null;
  let allWrong = 1;
  for (const [group, n] of draws) {
    const size = group.members.reduce((s, i) => s + weight(i), 0);
    const good = group.members.reduce((s, i) => s + correct(i), 0);
    allWrong *= Math.pow(1 - good / size, n);
  }
  return 1 - allWrong;
}

/** The candidate picked first: the lowest index among the top (tie-merged) group, or `null` for an empty ranking. */
export function topPick(ranking: Ranking): number | null {
  const first = mergeTies(ranking)[0];
  return first ? Math.min(...first.members) : null;
}
