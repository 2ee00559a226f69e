import { CrucibleError } from "../errors.ts";

function check(ok: boolean, message: string, details: Record<string, unknown>): void {
  if (!ok) throw new CrucibleError("invalid_argument", message, { details });
}

/**
 * ENAMEL's unbiased eff@k for one task: the expected best efficiency score among k samples drawn
 * without replacement from the task's n scores, `Σ_{r=k..n} C(r−1, k−1) / C(n, k) · e_(r)` over
 * the scores sorted ascending. Computed in ENAMEL's stable form: the weights are built as ratio
 * products from `λ_n = k/n` down (`λ_{r} = λ_{r+1} · (1 − (k−1)/r)`), never as binomials, so it
 * neither overflows nor cancels for large n. Timeouts and failures enter as 0 (right-censored).
 *
 * eff@1 is the mean score; eff@n is the best one.
 *
 * @throws CrucibleError `invalid_argument` when there are no scores, a score is not finite or
 * negative, or k is not an integer with 1 ≤ k ≤ n.
 */
export function effAtK(scores: readonly number[], k: number): number {
  const n = scores.length;
  check(n >= 1, "eff@k needs at least one efficiency score", { n });
  check(scores.every((e) => Number.isFinite(e) && e >= 0), "efficiency scores must be finite and at least 0", { scores: [...scores] });
  check(Number.isSafeInteger(k) && k >= 1 && k <= n, `eff@${k} needs an integer k with 1 ≤ k ≤ n = ${n}; draw more samples or lower k`, { n, k });
  // Weights for ranks n, n−1, …, k (descending), as ENAMEL builds them.
  const weights = [k / n];
  for (let r = n - 1; r > k - 1; r--) weights.push(weights[weights.length - 1]! * (1 - (k - 1) / r));
  weights.reverse();
  const sorted = [...scores].sort((a, b) => a - b).slice(k - 1);
  let sum = 0;
  for (const [i, e] of sorted.entries()) sum += weights[i]! * e;
  return sum;
}

/**
 * The benchmark's eff@k: the mean over tasks of `effAtK(scores, k)`, for each k of `ks` that every
 * task has samples enough for (k ≤ n for all tasks, as for pass@k). Keys are `eff@1`, `eff@10`, …;
 * a k left out is absent, and with no tasks nothing is reported (`{}`).
 *
 * @throws CrucibleError `invalid_argument` as `effAtK`, or when a k is not a positive integer.
 */
export function aggregateEffAtK(perTask: readonly (readonly number[])[], ks: readonly number[]): Record<`eff@${number}`, number> {
  for (const k of ks) check(Number.isSafeInteger(k) && k >= 1, `eff@k needs positive integer ks, got ${k}`, { k });
  const out: Record<`eff@${number}`, number> = {};
  if (perTask.length === 0) return out;
  const minN = perTask.reduce((m, t) => Math.min(m, t.length), Infinity);
  for (const k of ks) {
    if (k > minN) continue;
    let sum = 0;
    for (const scores of perTask) sum += effAtK(scores, k);
    out[`eff@${k}`] = sum / perTask.length;
  }
  return out;
}
