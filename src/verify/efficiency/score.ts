import { CrucibleError } from "../../errors.ts";

/**
 * ENAMEL's efficiency of one level (`calc_eff`): `max(0, timeout − cost) / (timeout − reference)`,
 * where `cost` is the sample's worst case over the level's tests, `reference` the reference's
 * worst case over the same tests and `timeout = α × ` the reference's worst case over all scored
 * levels. 1 means as fast as the reference, more than 1 faster, 0 at or past the timeout (a
 * sample that timed out is right-censored to 0). The unit does not matter (seconds, instructions).
 *
 * @throws CrucibleError `invalid_argument` when `timeout ≤ reference` (the score is undefined).
 */
export function levelEfficiency(cost: number, reference: number, timeout: number): number {
  if (!(timeout > reference)) {
    throw new CrucibleError("invalid_argument", `a level's efficiency needs timeout > reference cost, got timeout ${timeout} and reference ${reference}`, {
      details: { cost, reference, timeout },
    });
  }
  return Math.max(0, timeout - cost) / (timeout - reference);
}

/**
 * A sample's efficiency score: the levels' efficiencies averaged with the levels' hardness as
 * weights (ENAMEL: `np.average(effs, weights=hardness)`, hardness 0, 3, 3, 4, so the first level
 * only checks correctness). Levels not reached (after a timeout) count 0.
 *
 * @throws CrucibleError `invalid_argument` when the lengths differ or the weights do not sum to more than 0.
 */
export function weightedEfficiency(levels: readonly number[], hardness: readonly number[]): number {
  if (levels.length !== hardness.length) {
    throw new CrucibleError("invalid_argument", `${levels.length} level efficiencies for ${hardness.length} hardness weights`);
  }
  const total = hardness.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new CrucibleError("invalid_argument", "the hardness weights must sum to more than 0");
  let sum = 0;
  for (const [j, e] of levels.entries()) sum += e * hardness[j]!;
  return sum / total;
}
