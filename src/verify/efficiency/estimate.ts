import { CrucibleError } from "../../errors.ts";

/**
 * The Hodges–Lehmann estimate of a sample's location: the median of the Walsh averages
 * `(x_i + x_j) / 2` over all pairs `i ≤ j` (each value paired with itself included), as ENAMEL's
 * `calc_exec_time` computes it. Robust to a few slow repetitions (a timer interrupt, another
 * process) while using all of them, unlike the minimum or the mean.
 *
 * @throws CrucibleError `invalid_argument` for an empty sample or a value that is not finite.
 */
export function hodgesLehmann(xs: readonly number[]): number {
  if (xs.length === 0) throw new CrucibleError("invalid_argument", "the Hodges–Lehmann estimate needs at least one value");
  if (!xs.every(Number.isFinite)) throw new CrucibleError("invalid_argument", "the Hodges–Lehmann estimate needs finite values", { details: { values: [...xs] } });
  const averages: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    // ENAMEL halves first, then adds (ts / 2, then ts[None, :] + ts[:, None]): the same rounding.
    for (let j = 0; j <= i; j++) averages.push(xs[i]! / 2 + xs[j]! / 2);
  }
  return median(averages);
}

/** The median (the mean of the two middle values for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
