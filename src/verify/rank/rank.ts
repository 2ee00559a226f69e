// Ranking candidates end to end: dedupe programs and tests, gather inputs, run everything in the
// sandbox once, then let any method rank from what was observed.
import { CrucibleError } from "../../errors.ts";
import { encode, Encoded } from "../../sandbox/guest/codec.mjs";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { crucibleRank } from "./consensus.ts";
import { staticCheck, type StaticReport } from "../static/static.ts";
import { executeCandidates, type CandidateRun, type ExecutionLimits } from "./execute.ts";
import { testInputs } from "./extract.ts";
import { generateInputs, type GenerateOptions } from "./generate.ts";
import { alphaCodeClusters, dualAgreement, mbrExec, type RankCandidate, type RankContext, type Ranking, type RankMethod } from "./methods.ts";

/** One task's candidates and generated tests. */
export interface RankTask {
  /** Candidate programs, one per sample; equal texts are run once and counted as many. */
  readonly programs: readonly string[];
  /** Generated tests (assert statements), one per generated test; equal texts run once and count as many. */
  readonly tests: readonly string[];
  readonly entryPoint: string;
  /** Extra argument lists every candidate is called with (values or wire), besides the tests' own. */
  readonly inputs?: readonly (readonly unknown[] | Encoded)[];
  /** Per program, the model's log-probability (MBR-exec breaks ties with it). */
  readonly logprobs?: readonly number[];
}

/** What every candidate of a task did, deduplicated: the input of every ranking method. */
export interface Observed {
  /** Distinct program texts, in order of first appearance. */
  readonly programs: readonly string[];
  /** For each program of the task, the index of its distinct program. */
  readonly programOf: readonly number[];
  /** Distinct tests, in order of first appearance, with how many times each was given. */
  readonly tests: readonly string[];
  readonly testWeights: readonly number[];
  /** The inputs every program was called with: the tests' literal call arguments, then the task's, then generated ones. */
  readonly inputs: readonly Encoded[];
  /** How many of `inputs` Crucible generated (they come last). */
  readonly generatedInputs: number;
  /** Per distinct program: what it did. */
  readonly runs: readonly CandidateRun[];
  /** Per distinct program: how many samples had it, and its best log-probability when given. */
  readonly candidates: readonly RankCandidate[];
  /** Per distinct program: its static checks (empty when `staticFilter` was off). */
  readonly static: readonly StaticReport[];
}

export interface ObserveOptions extends ExecutionLimits {
  /** Inputs generated per task from the shapes of the tests' inputs (default 20; 0 for none). */
  readonly generate?: number | GenerateOptions;
  /**
   * Check programs statically first and run none that is rejected (syntax error, undefined name
   * where code always runs, import outside the standard library): such a program cannot load or
   * pass a test, so rankings are the same, and it costs no process (default true).
   */
  readonly staticFilter?: boolean;
  /** Sessions at once (default: the sandbox's pool size). */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs every distinct program of every task on its distinct tests and on shared inputs (the
 * literal arguments of the tests' calls to the entry point, the task's own inputs, and inputs
 * generated from their shapes), in the sandbox, one process per program.
 *
 * @throws CrucibleError `invalid_argument` for a task with no programs or mismatched log-probabilities;
 * `sandbox_unavailable` when the ranking helper fails; `aborted`.
 */
export async function observe(sandbox: Sandbox, tasks: readonly RankTask[], options: ObserveOptions = {}): Promise<Observed[]> {
  for (const [i, t] of tasks.entries()) {
    if (t.programs.length === 0) throw new CrucibleError("invalid_argument", `task ${i} has no candidate programs to rank`);
    if (t.logprobs && t.logprobs.length !== t.programs.length) throw new CrucibleError("invalid_argument", `task ${i} has ${t.logprobs.length} log-probabilities for ${t.programs.length} programs`);
  }
  const signal = options.signal;
  const distinctTests = tasks.map((t) => countDistinct(t.tests));
  const seeds = await testInputs(
    sandbox,
    tasks.map((t, i) => ({ tests: distinctTests[i]!.values, entryPoint: t.entryPoint })),
    signal ? { signal } : {},
  );
  const gen: GenerateOptions = typeof options.generate === "object" ? options.generate : { count: options.generate ?? 20 };
  const prepared = tasks.map((t, i) => {
    const programs = countDistinct(t.programs);
    const given = (t.inputs ?? []).map((a) => (a instanceof Encoded ? a : new Encoded(encode([...a]))));
    const shared = dedupeInputs([...seeds[i]!, ...given]);
    const generated = (gen.count ?? 20) > 0 ? generateInputs(shared, gen).map((a) => new Encoded(encode(a))) : [];
    const inputs = dedupeInputs([...shared, ...generated]);
    return { task: t, programs, tests: distinctTests[i]!, inputs, generated: inputs.length - shared.length };
  });
  const statics: StaticReport[][] = [];
  if (options.staticFilter !== false) {
    const all = await staticCheck(
      sandbox,
      prepared.flatMap((p) => p.programs.values),
      { entryPoints: prepared.flatMap((p) => p.programs.values.map(() => p.task.entryPoint)), ...(signal ? { signal } : {}) },
    );
    let at = 0;
    for (const p of prepared) statics.push(all.slice(at, (at += p.programs.values.length)));
  }
  const runnable = prepared.map((p, i) => p.programs.values.flatMap((_, d) => (statics[i]?.[d]?.status === "rejected" ? [] : [d])));
  const executed = await executeCandidates(
    sandbox,
    prepared.map((p, i) => ({
      programs: runnable[i]!.map((d) => p.programs.values[d]!),
      tests: p.tests.values,
      inputs: p.inputs,
      generatedInputs: p.generated,
      entryPoint: p.task.entryPoint,
    })),
    options,
  );
  const runs = prepared.map((p, i) => {
    const out: CandidateRun[] = p.programs.values.map(() => ({ status: "rejected", marks: "", outputs: [], wallMs: 0, cpuMs: 0 }));
    runnable[i]!.forEach((d, k) => (out[d] = executed[i]![k]!));
    return out;
  });
  return prepared.map((p, i) => {
    const candidates = p.programs.values.map((_, d) => {
      const logprobs = p.task.logprobs?.filter((_, s) => p.programs.index[s] === d);
      const run = runs[i]![d]!;
      return logprobs?.length ? { run, weight: p.programs.counts[d]!, logprob: Math.max(...logprobs) } : { run, weight: p.programs.counts[d]! };
    });
    return {
      programs: p.programs.values,
      programOf: p.programs.index,
      tests: p.tests.values,
      testWeights: p.tests.counts,
      inputs: p.inputs,
      generatedInputs: p.generated,
      runs: runs[i]!,
      candidates,
      static: statics[i] ?? [],
    };
  });
}

/** The ranking of a task's distinct programs (indices into `observed.programs`) by `method`. */
export function rankObserved(observed: Observed, method: RankMethod): Ranking {
  const context: RankContext = { testWeights: observed.testWeights };
  switch (method) {
    case "codet":
      return dualAgreement(observed.candidates, context);
    case "mbr":
      return mbrExec(observed.candidates, context);
    case "alphacode":
      return alphaCodeClusters(observed.candidates, context);
    case "crucible":
      return crucibleRank(observed.candidates, context);
  }
}

interface Distinct {
  readonly values: string[];
  readonly counts: number[];
  /** For each original item, the index of its distinct value. */
  readonly index: number[];
}

function countDistinct(items: readonly string[]): Distinct {
  const at = new Map<string, number>();
  const values: string[] = [];
  const counts: number[] = [];
  const index = items.map((item) => {
    let i = at.get(item);
    if (i === undefined) {
      i = values.length;
      at.set(item, i);
      values.push(item);
      counts.push(0);
    }
    counts[i]! += 1;
    return i;
  });
  return { values, counts, index };
}

function dedupeInputs(inputs: readonly Encoded[]): Encoded[] {
  const seen = new Set<string>();
  return inputs.filter((a) => {
    const key = JSON.stringify(a.wire);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
