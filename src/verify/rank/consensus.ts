// Crucible's ranking: CodeT's dual agreement refined by output agreement (MBR-exec) on shared
// inputs, with generated tests weighted by how much agreement stands behind them.
import { isValue, type RankCandidate, type RankContext, type Ranking } from "./methods.ts";

/**
 * Crucible's consensus ranking. What it sees: each candidate's pass marks on the generated tests
 * and its outputs on the shared inputs (the tests' literal call arguments plus generated inputs);
 * no expected output other than the tests' own.
 *
 * 1. Groups: candidates with the same pass set *and* the same outputs on every shared input
 *    (CodeT's groups split where candidates pass the same tests but behave differently elsewhere).
 * 2. Agreement: a group's support is the number of samples whose outputs equal its own on every
 *    shared input, whatever tests they pass (MBR-exec's agreement class, duplicates counted).
 * 3. Test weights: a first pass scores each group `Σ (multiplicity of tests passed) × √support`;
 *    each test is then weighted by its multiplicity × the total score of the groups passing it,
 *    scaled so the best-supported test weighs its multiplicity. A wrong test that only poorly
 *    supported candidates pass counts for little.
 * 4. Score: `Σ (weights of tests passed) × √support`.
 *
 * Candidates that did not load or passed no test are in no group (as in CodeT). Measured on the
 * CodeT CodeGen-16B pool (bench/rank.ts): see docs/benchmarks.md.
 */
export function crucibleRank(candidates: readonly RankCandidate[], context: RankContext = {}): Ranking {
  const weightOf = (i: number) => candidates[i]!.weight ?? 1;
  const loaded = candidates.flatMap((c, i) => (c.run.status === "ok" ? [i] : []));
  const outputsKey = (i: number) => candidates[i]!.run.outputs.join("\u0000");
  const support = new Map<string, number>();
  for (const i of loaded) {
    // A candidate that produced no value anywhere agrees with nothing worth counting.
    if (!candidates[i]!.run.outputs.some(isValue) && candidates[i]!.run.outputs.length > 0) continue;
    support.set(outputsKey(i), (support.get(outputsKey(i)) ?? 0) + weightOf(i));
  }
  const groups = new Map<string, number[]>();
  for (const i of loaded) {
    const marks = candidates[i]!.run.marks;
    if (!marks.includes("1")) continue;
    const key = `${marks.replace(/[^1]/g, "0")}\u0001${outputsKey(i)}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const members = [...groups.values()];
  if (members.length === 0) return [];
  const passes = members.map((m) => passedTests(candidates[m[0]!]!.run.marks));
  const root = members.map((m) => Math.sqrt(support.get(outputsKey(m[0]!)) ?? m.reduce((n, i) => n + weightOf(i), 0)));
  const multiplicity = (j: number) => context.testWeights?.[j] ?? 1;

  const firstScores = passes.map((tests, g) => tests.reduce((s, j) => s + multiplicity(j), 0) * root[g]!);
  const backing = new Map<number, number>();
  passes.forEach((tests, g) => {
    for (const j of tests) backing.set(j, (backing.get(j) ?? 0) + firstScores[g]!);
  });
  const most = Math.max(...backing.values());
  const weight = (j: number) => (most > 0 ? (multiplicity(j) * (backing.get(j) ?? 0)) / most : multiplicity(j));

  return members
    .map((m, g) => ({ members: m, score: passes[g]!.reduce((s, j) => s + weight(j), 0) * root[g]! }))
    .sort((a, b) => b.score - a.score || a.members[0]! - b.members[0]!);
}

function passedTests(marks: string): number[] {
  const out: number[] = [];
  for (let j = 0; j < marks.length; j++) if (marks[j] === "1") out.push(j);
  return out;
}
