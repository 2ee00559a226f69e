import { readFileSync } from "node:fs";
import { CrucibleError, throwIfAborted } from "../../errors.ts";
import { Encoded } from "../../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";

/** The helper's source: its three guest files, in the order they build on each other. */
const RANK_PY = ["fingerprint.py", "rank_tests.py", "rank_exec.py"].map((f) => readFileSync(new URL(`./guest/${f}`, import.meta.url), "utf8")).join("\n\n");

/** Defaults of `ExecutionLimits`. */
export const RANK_DEFAULTS = Object.freeze({
  testTimeoutMs: 100,
  generatedTimeoutMs: 20,
  loadTimeoutMs: 1000,
  stallMs: 1000,
  maxTimeouts: 2,
  memoryBytes: 384 * 1024 * 1024,
});

/** What one candidate program did on a task's tests and inputs. */
export interface CandidateRun {
  /**
   * `load_error`: the program raised (or did not compile) at load; `load_timeout`: loading ran out
   * of time; `crashed`: it broke the ranking helper itself; `rejected`: static checks rejected it,
   * so it never ran (see `observe`).
   */
  readonly status: "ok" | "load_error" | "load_timeout" | "crashed" | "rejected";
  /**
   * One mark per test (empty unless `ok`): `1` passed, `0` failed (raised or asserted false), `t`
   * ran out of time, `s` not run because the program had already timed out too often.
   */
  readonly marks: string;
  /**
   * One output fingerprint per input (empty unless `ok`): a hash of the returned value that is
   * equal for values Python's `==` calls equal (ints and equal floats, sets and frozensets; floats
   * to 10 significant digits), or `!<ExceptionType>`, `!timeout`, `!crash`, `!skipped`.
   */
  readonly outputs: readonly string[];
  /** Wall time spent on this program inside the sandbox, ms. */
  readonly wallMs: number;
  /** CPU time of this program's processes (user + system, kernel-tick resolution), ms. */
  readonly cpuMs: number;
}

/** Time limits of execution for ranking. */
export interface ExecutionLimits {
  /** CPU time for one test or one call on a seed input (CodeT: 100 ms). Default 100. */
  readonly testTimeoutMs?: number;
  /**
   * CPU time for one call on a generated input (small by construction). Default 20. Generated
   * inputs run after the tests, and one timeout among them skips the rest of them.
   */
  readonly generatedTimeoutMs?: number;
  /** CPU time for loading a program (its top-level code). Default 1000. */
  readonly loadTimeoutMs?: number;
  /** Wall time without progress after which a program's process is killed (hangs no signal interrupts). Default 1000. */
  readonly stallMs?: number;
  /**
   * After this many timeouts on seed inputs and tests, a program's remaining inputs and tests are
   * not run (`s`, `!skipped`).
   * Default 2: a timeout costs `testTimeoutMs` of CPU, and the few candidates that spin on
   * generated inputs would otherwise take most of the ranking's time.
   */
  readonly maxTimeouts?: number;
  /** Address space a program's process may add to the helper's (RLIMIT_AS); the helper's session, programs included, has 768 MiB. Default 384 MiB. */
  readonly memoryBytes?: number;
}

/** One task's work: the candidates, the distinct tests and the inputs they are all run on. */
export interface ExecutionTask {
  readonly programs: readonly string[];
  /** Test statements (`assert …`), each run in the program's namespace after it loaded. */
  readonly tests: readonly string[];
  /** Argument lists to call `entryPoint` with; values (`Tuple`, `Set`, bigint…) or `Encoded` wire. */
  readonly inputs: readonly (readonly unknown[] | Encoded)[];
  /** How many of `inputs`, at the end, were generated (they run after the tests; default 0). */
  readonly generatedInputs?: number;
  readonly entryPoint: string;
}

export interface ExecuteOptions extends ExecutionLimits {
  /** Sessions working at once (default: the sandbox's pool size). */
  readonly concurrency?: number;
  /** Programs sent in one round trip (default 16). */
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs every program of every task on its task's tests and inputs, in the sandbox, and returns one
 * `CandidateRun` per program (`result[t][p]` for task t, program p). Each program runs in a
 * process of its own, forked inside a session by trusted guest code (guest/rank_exec.py), so a
 * program that hangs or crashes costs only itself; many programs go in one round trip. A batch
 * whose session broke (a program killed the guest helper) is run again one program at a time, and
 * a program that breaks it alone is `crashed`.
 *
 * @throws CrucibleError `sandbox_unavailable` when the guest helper cannot be loaded; `aborted`.
 */
export async function executeCandidates(sandbox: Sandbox, tasks: readonly ExecutionTask[], options: ExecuteOptions = {}): Promise<CandidateRun[][]> {
  const { signal } = options;
  const batchSize = Math.max(1, options.batchSize ?? 16);
  const total = tasks.reduce((n, t) => n + t.programs.length, 0);
  const results: CandidateRun[][] = tasks.map((t) => new Array<CandidateRun>(t.programs.length));
  const jobs: { task: number; from: number; to: number }[] = [];
  for (const [i, t] of tasks.entries()) {
    for (let from = 0; from < t.programs.length; from += batchSize) jobs.push({ task: i, from, to: Math.min(t.programs.length, from + batchSize) });
  }
  let next = 0;
  let done = 0;
  const worker = async () => {
    const runner = await RankRunner.open(sandbox, signal);
    try {
      while (next < jobs.length) {
        throwIfAborted(signal, "ranking");
        const job = jobs[next++]!;
        const task = tasks[job.task]!;
        const runs = await runner.run(task, task.programs.slice(job.from, job.to), options);
        for (const [k, run] of runs.entries()) results[job.task]![job.from + k] = run;
        done += runs.length;
        options.onProgress?.(done, total);
      }
    } finally {
      await runner.close();
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? sandbox.poolSize, jobs.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** One session of the guest helper, prepared for one task at a time. */
class RankRunner {
  private session: Session;
  private prepared: ExecutionTask | null = null;
  private readonly sandbox: Sandbox;
  private readonly signal: AbortSignal | undefined;

  private constructor(sandbox: Sandbox, session: Session, signal: AbortSignal | undefined) {
    this.sandbox = sandbox;
    this.session = session;
    this.signal = signal;
  }

  static async open(sandbox: Sandbox, signal?: AbortSignal): Promise<RankRunner> {
    return new RankRunner(sandbox, await openRankHelper(sandbox, signal), signal);
  }

  async run(task: ExecutionTask, programs: readonly string[], limits: ExecutionLimits): Promise<CandidateRun[]> {
    const batch = await this.tryBatch(task, programs, limits);
    if (batch) return batch;
    // The helper died under this batch: find the program that did it by running each alone.
    const out: CandidateRun[] = [];
    for (const program of programs) {
      out.push((await this.tryBatch(task, [program], limits))?.[0] ?? { status: "crashed", marks: "", outputs: [], wallMs: 0, cpuMs: 0 });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  private async tryBatch(task: ExecutionTask, programs: readonly string[], limits: ExecutionLimits): Promise<CandidateRun[] | null> {
    await this.prepare(task, limits);
    const worst = programs.length * ((limits.loadTimeoutMs ?? 1000) + ((limits.maxTimeouts ?? RANK_DEFAULTS.maxTimeouts) + 6) * (limits.stallMs ?? RANK_DEFAULTS.stallMs)) + 30_000;
    const verdict = await this.session.call("rank_run", [[...programs]], { timeoutMs: Math.min(worst, 3_600_000), ...(this.signal ? { signal: this.signal } : {}) });
    if (verdict.status !== "ok") {
      this.prepared = null;
      if (verdict.restarted !== true) {
        await this.session.close();
        this.session = await openRankHelper(this.sandbox, this.signal);
      }
      return null;
    }
    return parseRuns(verdict.value, programs.length, task);
  }

  private async prepare(task: ExecutionTask, limits: ExecutionLimits): Promise<void> {
    if (this.prepared === task) return;
    const opts = {
      ...RANK_DEFAULTS,
      ...Object.fromEntries(Object.entries(limits).filter(([k, v]) => v !== undefined && k in RANK_DEFAULTS)),
    };
    const verdict = await this.session.call("rank_prepare", [[...task.tests], task.inputs.map((a) => (a instanceof Encoded ? a : [...a])), task.entryPoint, opts, task.generatedInputs ?? 0], {
      timeoutMs: 60_000,
      ...(this.signal ? { signal: this.signal } : {}),
    });
    if (verdict.status !== "ok") {
      throw new CrucibleError("sandbox_unavailable", `the ranking helper could not take the task's tests and inputs: ${verdict.status} ${verdict.reason ?? ""} ${verdict.exception?.message ?? ""}`);
    }
    this.prepared = task;
  }
}

/**
 * A session of the trusted ranking helper (guest/rank_exec.py). Its limits bound the helper and,
 * as a cgroup, every program process it forks.
 *
 * @throws CrucibleError `sandbox_unavailable` when the helper does not load.
 */
export async function openRankHelper(sandbox: Sandbox, signal?: AbortSignal): Promise<Session> {
  const session = await sandbox.session({
    language: "python",
    code: RANK_PY,
    limits: { wallTimeMs: 600_000, cpuTimeMs: 3_600_000, memoryBytes: 768 * 1024 ** 2, maxProcesses: 64 },
    ...(signal ? { signal } : {}),
  });
  if (session.loaded.status !== "ok") {
    await session.close();
    throw new CrucibleError("sandbox_unavailable", `the ranking helper did not load: ${session.loaded.reason ?? session.loaded.status}`);
  }
  return session;
}

function parseRuns(value: unknown, count: number, task: ExecutionTask): CandidateRun[] {
  if (!Array.isArray(value) || value.length !== count) throw new CrucibleError("protocol", "the ranking helper answered with the wrong number of results");
  return value.map((raw: unknown) => {
    const r = (raw ?? {}) as Record<string, unknown>;
    const status = r["s"];
    const marks = typeof r["t"] === "string" ? r["t"] : "";
    const outputs = Array.isArray(r["o"]) ? r["o"].map(String) : [];
    const wallMs = typeof r["ms"] === "number" ? r["ms"] : 0;
    const cpuMs = typeof r["cpu"] === "number" ? r["cpu"] : 0;
    if (status === "ok") {
      if (marks.length !== task.tests.length || outputs.length !== task.inputs.length) throw new CrucibleError("protocol", "the ranking helper's result does not match the task");
      return { status, marks, outputs, wallMs, cpuMs };
    }
    if (status === "load_error" || status === "load_timeout") return { status, marks: "", outputs: [], wallMs, cpuMs };
    throw new CrucibleError("protocol", `the ranking helper answered an unknown status ${JSON.stringify(status)}`);
  });
}
