import { InvalidArgumentError, Option, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { readTextFile } from "./files.ts";
import type { Wire } from "../sandbox/guest/codec.mjs";
import { createSandbox } from "../sandbox/sandbox.ts";
import type { Clock, MeasureReport, ProblemEfficiency } from "../verify/index.ts";
import { cacheDirFrom, EXIT_INTERRUPTED, parseKs } from "./eval.ts";
import { escapeForTerminal } from "./render.ts";

interface MeasureOptions {
  readonly entry?: string;
  readonly inputs?: string;
  readonly reference?: string;
  readonly reps: number;
  readonly clock: Clock;
  readonly limitMs?: number;
  readonly instructions?: boolean;
  readonly instructionCap?: number;
  readonly dataset?: string;
  readonly samples?: string;
  readonly k: readonly number[];
  readonly concurrency: number;
  readonly cacheDir?: string;
  readonly json?: boolean;
}

function positiveInt(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/u.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive whole number.`);
    return n;
  };
}

/**
 * Adds `crucible measure`: a program's cost on given inputs (timed repetitions inside the
 * sandbox, optionally bytecode instructions, optionally against a reference), or eff@k of a
 * samples file on ENAMEL. Exit codes: 0 measured (a dataset run, whatever the scores), 1 the
 * program failed, timed out or disagreed with the reference on an input, 2 bad usage or input,
 * 3 no sandbox, 130 interrupted.
 */
export function registerMeasure(cli: Command): void {
  cli
    .command("measure")
    .description("measure a program's efficiency in the sandbox (robust timing, bytecode instructions), or eff@k of samples on ENAMEL")
    .argument("[file]", "Python program to measure (not with --dataset)")
    .option("--entry <name>", "function to call")
    .option("--inputs <file.json>", "JSON list of argument lists, one per input")
    .option("--reference <file.py>", "reference program: outputs must agree, and the report gets ENAMEL's efficiency score")
    .addOption(new Option("--reps <n>", "timed repetitions per input").argParser(positiveInt("--reps")).default(6))
    .addOption(new Option("--clock <clock>", "clock for the estimate: the thread's CPU time, or wall time (ENAMEL's)").choices(["cpu", "wall"]).default("cpu"))
    .option("--limit-ms <ms>", "limit per repetition, ms (default 10000)", positiveInt("--limit-ms"))
    .option("--instructions", "also count Python bytecode instructions (deterministic; tracing is slow)")
    .option("--instruction-cap <n>", "stop counting past this many instructions", positiveInt("--instruction-cap"))
    .option("--dataset <name|path>", "score a samples file on a leveled benchmark: enamel, or the path of enamel.csv[.gz]")
    .option("--samples <file>", "with --dataset: samples JSONL (task_id + completion or solution) or ENAMEL's samples JSON")
    .addOption(new Option("-k <list>", "with --dataset: eff@k to report, comma-separated").argParser(parseKs).default([1], "1"))
    .addOption(new Option("--concurrency <n>", "with --dataset: problems measured at once (more disturbs the timings)").argParser(positiveInt("--concurrency")).default(1))
    .option("--cache-dir <dir>", "where a named dataset is cached (default: $XDG_CACHE_HOME/crucible or ~/.cache/crucible)")
    .option("--json", "print the report as JSON on stdout")
    .action(async (file: string | undefined, opts: MeasureOptions) => {
      if (opts.dataset !== undefined) {
        if (file !== undefined) throw new CrucibleError("invalid_argument", "give either a program file or --dataset, not both");
        if (opts.samples === undefined) throw new CrucibleError("invalid_argument", "--dataset needs --samples <file>");
        await measureDataset(opts);
        return;
      }
      if (file === undefined || opts.entry === undefined || opts.inputs === undefined) {
        throw new CrucibleError("invalid_argument", "measure a program with: crucible measure <file.py> --entry <function> --inputs <inputs.json> (or use --dataset with --samples)");
      }
      await measureFile(file, opts.entry, opts.inputs, opts);
    });
}


/** The inputs file: a JSON list of argument lists, parsed as Python's json does (1.0 stays a float, big ints exact). */
async function readInputs(path: string): Promise<Wire[][]> {
  const { parsePythonJson } = await import("../eval/python-json.ts");
  let value: Wire;
  try {
    value = parsePythonJson(await readTextFile(path, "inputs file"));
  } catch (cause) {
    if (cause instanceof CrucibleError && cause.message.startsWith("no such")) throw cause;
    throw new CrucibleError("invalid_argument", `${path} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every(Array.isArray)) {
    throw new CrucibleError("invalid_argument", `${path} must hold a non-empty JSON list of argument lists, like [[1, 2], [3, 4]]`);
  }
  return value as Wire[][];
}

async function measureFile(file: string, entry: string, inputsPath: string, opts: MeasureOptions): Promise<void> {
  const [code, inputs, reference] = await Promise.all([
    readTextFile(file, "program"),
    readInputs(inputsPath),
    opts.reference === undefined ? Promise.resolve(undefined) : readTextFile(opts.reference, "reference"),
  ]);
  const sandbox = createSandbox({ poolSize: 1, prespawn: false });
  try {
    const { measureProgram } = await import("../verify/efficiency/measure.ts");
    const report = await measureProgram(sandbox, {
      code,
      entryPoint: entry,
      inputs,
      reps: opts.reps,
      clock: opts.clock,
      ...(opts.limitMs === undefined ? {} : { limitMs: opts.limitMs }),
      ...(opts.instructions ? { instructions: true } : {}),
      ...(opts.instructionCap === undefined ? {} : { instructionCap: opts.instructionCap }),
      ...(reference === undefined ? {} : { reference }),
    });
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatMeasureReport(report));
    const agreed = report.reference === undefined || report.reference.firstMismatch === -1;
    process.exitCode = report.program.ok && agreed ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}

function fmtMs(ms: number | null): string {
  if (ms === null) return "–";
  return ms < 0.01 ? `${(ms * 1000).toFixed(2)} µs` : ms < 10 ? `${ms.toFixed(3)} ms` : `${ms.toFixed(1)} ms`;
}

/** The report as aligned lines for a terminal. */
export function formatMeasureReport(r: MeasureReport): string {
  const counted = r.program.cases.some((c) => c.instructions !== undefined);
  const head = ["input", "status", `time (${r.clock}, HL)`, "range", ...(counted ? ["instructions"] : []), ...(r.reference ? ["reference", "speed-up"] : [])];
  const rows = r.program.cases.map((c, i) => {
    const chosen = r.clock === "cpu" ? c.cpuMs : c.wallMs;
    const ref = r.reference?.cases[i];
    const why = c.exception ? ` (${c.exception.type})` : "";
    return [
      `#${i}`,
      `${c.status}${why}`,
      fmtMs(c.timeMs),
      chosen.length > 0 ? `${fmtMs(Math.min(...chosen))} – ${fmtMs(Math.max(...chosen))}` : "–",
      ...(counted ? [c.instructions === undefined ? "–" : `${c.instructions.toLocaleString("en-US")}${c.instructionStatus === "ok" ? "" : ` (${c.instructionStatus})`}`] : []),
      ...(ref ? [fmtMs(ref.timeMs), ref.timeMs !== null && c.timeMs !== null && c.timeMs > 0 ? `${(ref.timeMs / c.timeMs).toFixed(2)}×` : "–"] : []),
    ];
  });
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, j) => (j < 2 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join("  ");
  const out = [`${escapeForTerminal(r.entryPoint)}: ${r.program.cases.length} input(s), ${r.reps} repetition(s) each, limit ${r.limitMs} ms per repetition`, "", line(head), ...rows.map(line), ""];
  if (r.reference) {
    const m = r.reference.firstMismatch;
    out.push(`outputs   ${m === null ? "not compared (a run did not finish)" : m < 0 ? "agree with the reference" : `differ from the reference on input #${m}`}`);
    const e = r.reference.efficiency;
    out.push(`efficiency ${e === null ? "– (the reference did not finish)" : e.toFixed(3)} (ENAMEL's score, α = 2: 1 = as fast as the reference, 0 = at 2× its worst case or failed)`);
    if (r.reference.instructionEfficiency !== undefined) {
      const ie = r.reference.instructionEfficiency;
      out.push(`efficiency ${ie === null ? "–" : ie.toFixed(3)} by bytecode instructions`);
    }
  }
  out.push(`time      ${(r.wallMs / 1000).toFixed(1)} s wall`);
  return `${out.join("\n")}\n`;
}

async function measureDataset(opts: MeasureOptions): Promise<void> {
  const controller = new AbortController();
  const { signal } = controller;
  const { createProgress } = await import("./progress.ts");
  const progress = createProgress(process.stderr);
  const onSigint = () => {
    if (signal.aborted) process.exit(EXIT_INTERRUPTED);
    progress.stop();
    process.stderr.write("crucible: interrupted; stopping the measurement (Ctrl-C again to quit at once)\n");
    controller.abort(new CrucibleError("aborted", "interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  const sandbox = createSandbox({ poolSize: Math.max(2, opts.concurrency) });
  try {
    const [{ resolveEnamel, enamelSubset, enamelLeveled, enamelSampleCode, parseEnamelSamples }, { loadSamples, readDataText }, { aggregateEffAtK }, { aggregatePassAtK }, { measureSuite, ENAMEL_SETTINGS }] =
      await Promise.all([
        import("../eval/datasets/enamel.ts"),
        import("../eval/datasets/index.ts"),
        import("../eval/eff-at-k.ts"),
        import("../eval/pass-at-k.ts"),
        import("../verify/index.ts"),
      ]);
    const dataset = await resolveEnamel(opts.dataset!, { cacheDir: cacheDirFrom(opts.cacheDir), signal });
    const problems = enamelSubset(dataset);
    const samplesText = (await readDataText(opts.samples!, { signal })).text;
    const byIndex = parseEnamelSamples(samplesText);
    const codesOf = new Map<string, string[]>();
    if (byIndex !== null) {
      for (const p of problems) if (byIndex.has(p.index)) codesOf.set(p.taskId, byIndex.get(p.index)!);
    } else {
      const byId = new Map(dataset.problems.map((p) => [p.taskId, p]));
      for (const s of await loadSamples(opts.samples!, { signal })) {
        const p = byId.get(s.taskId);
        if (p === undefined) throw new CrucibleError("invalid_argument", `${opts.samples} has a sample for ${s.taskId}, which ENAMEL does not have`);
        codesOf.set(s.taskId, [...(codesOf.get(s.taskId) ?? []), enamelSampleCode(p, s)]);
      }
    }
    const entries = problems.filter((p) => (codesOf.get(p.taskId)?.length ?? 0) > 0).map((p) => ({ problem: enamelLeveled(p), codes: codesOf.get(p.taskId)! }));
    if (entries.length === 0) throw new CrucibleError("invalid_argument", `${opts.samples} has no samples for any of ENAMEL's ${problems.length} problems`);
    const settings = { ...ENAMEL_SETTINGS, reps: opts.reps, clock: opts.clock, metric: opts.instructions ? ("instructions" as const) : ("time" as const) };
    const started = performance.now();
    const results = await measureSuite(sandbox, entries, {
      settings,
      concurrency: opts.concurrency,
      signal,
      onProgress: (p) => progress.update({ ...p, phase: "grading" }),
    });
    progress.stop();
    const scores = results.map((r) => r.samples.map((s) => s.efficiency));
    const summary = {
      dataset: { name: "enamel", path: dataset.path, sha256: dataset.sha256, problems: problems.length },
      settings,
      tasksMeasured: results.length,
      samples: scores.reduce((n, s) => n + s.length, 0),
      effAtK: aggregateEffAtK(scores, opts.k),
      passAtK: aggregatePassAtK(
        results.map((r) => ({ n: r.samples.length, c: r.samples.filter((s) => s.passed).length })),
        opts.k,
      ),
      wallMs: performance.now() - started,
    };
    if (results.length < problems.length) {
      process.stderr.write(`crucible: ${problems.length - results.length} of ENAMEL's ${problems.length} problems have no samples; eff@k is over the ${results.length} measured\n`);
    }
    process.stdout.write(opts.json ? `${JSON.stringify({ ...summary, tasks: results.map(taskJson) }, null, 2)}\n` : formatDatasetSummary(summary));
    process.exitCode = 0;
  } catch (error) {
    if (!signal.aborted) throw error;
    process.stderr.write("crucible: interrupted; nothing was reported\n");
    process.exitCode = EXIT_INTERRUPTED;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await sandbox.close();
  }
}

function taskJson(r: ProblemEfficiency) {
  return {
    task_id: r.id,
    correction: r.correction,
    reference: { maxCost: r.reference.maxCost, levelCosts: r.reference.levelCosts.map((c) => (Number.isFinite(c) ? c : null)) },
    samples: r.samples.map((s) => ({ passed: s.passed, efficiency: s.efficiency, levels: s.levels.map((l) => l.efficiency), ...(s.failure ? { failure: s.failure } : {}) })),
  };
}

function formatDatasetSummary(s: {
  tasksMeasured: number;
  samples: number;
  effAtK: Record<string, number>;
  passAtK: Record<string, number>;
  settings: { metric: string; clock: string; reps: number };
  wallMs: number;
}): string {
  const metric = s.settings.metric === "instructions" ? "bytecode instructions" : `${s.settings.clock} time, ${s.settings.reps} repetitions, Hodges–Lehmann`;
  const lines = [`dataset   ENAMEL, ${s.tasksMeasured} problems, ${s.samples} samples; cost = ${metric}`, ""];
  for (const [key, value] of [...Object.entries(s.effAtK), ...Object.entries(s.passAtK)]) lines.push(`${key.padEnd(10)}${value.toFixed(3)}`);
  lines.push("", `time      ${(s.wallMs / 1000).toFixed(1)} s wall`);
  return `${lines.join("\n")}\n`;
}
