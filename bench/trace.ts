// Fault localisation by differential traces on HumanEvalFix (Python): on the pairs where `crucible
// diff` found a difference-exposing input (bench/diff.ts's found-inputs file, the "types only"
// setting), how often does the first block where the buggy and the fixed program diverge on that
// input hold a line the bug edited? The same measure on the inputs of the tasks' own test asserts is
// kept for comparison, and is the fallback when the file is missing. Writes the "Execution traces"
// section of docs/benchmarks.md. Run: npm run bench:trace [-- --found <found-inputs.json>]
import { writeFileSync } from "node:fs";
import { availableParallelism, homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createSandbox } from "../src/sandbox/sandbox.ts";
import { benchHost } from "./baselines.ts";
import { describeMachine, machineFacts } from "./machine.ts";
import { table, writeSection } from "./report.ts";
import { loadFixPairs, loadFoundInputs, localisePairs, PAIR_TRACE_LIMITS, type FixPair, type FoundInputs, type PairResult } from "./trace-pairs.ts";

const DOC = new URL("../docs/benchmarks.md", import.meta.url).pathname;
const RESULTS = join(tmpdir(), "crucible-bench-trace.json");
export const TRACE_MARKERS = { start: "<!-- bench:trace:start -->", end: "<!-- bench:trace:end -->" } as const;
const GOAL = 0.7;
const QUIET_WAIT_S = 60;
/** Where bench/diff.ts writes its found inputs by default. */
const DEFAULT_FOUND = join(homedir(), ".cache", "crucible", "diff", "found-inputs.json");

const { values: cliArgs } = parseArgs({ options: { found: { type: "string" } } });
const foundPath = cliArgs.found ?? DEFAULT_FOUND;

const progress = (message: string) => process.stderr.write(`bench:trace: ${message}\n`);
const pct = (n: number, d: number) => (d === 0 ? "–" : `${((100 * n) / d).toFixed(1)}%`);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const home = (path: string) => (path.startsWith(homedir()) ? `~${path.slice(homedir().length)}` : path);

/** One measured run over the 164 pairs: the results of the pairs traced, and how many had a separating input. */
interface Run {
  readonly label: string;
  readonly pairs: number;
  /** Pairs with a separating input (an error while measuring one counts as a miss). */
  readonly withInput: number;
  readonly results: readonly PairResult[];
  readonly seconds: number;
}

const hitsOf = (rs: readonly PairResult[]) => rs.filter((r) => r.outcome === "hit").length;

function summaryRow(run: Run, primary: boolean): string[] {
  const rs = run.results;
  const n = run.withInput;
  const diverged = rs.filter((r) => r.outcome === "hit" || r.outcome === "miss").length;
  const hits = hitsOf(rs);
  const strict = rs.filter((r) => r.hitVia === "block").length;
  const last = rs.filter((r) => r.lastBlockHit).length;
  const bold = (x: string) => (primary ? `**${x}**` : x);
  return [run.label, String(run.pairs), String(n), String(diverged), bold(`${hits} (${pct(hits, n)})`), `${strict} (${pct(strict, n)})`, `${last} (${pct(last, n)})`, `${run.seconds.toFixed(1)} s`];
}

/** The source of the separating inputs the headline figure uses, said in the report. */
function sourceText(found: FoundInputs | null): string {
  return found
    ? `**Separating inputs: \`crucible diff\`'s** (\`${home(found.file)}\`, written by \`npm run bench:diff\`), from its strict ` +
        `"types only" setting: the search saw the parameter types but not the docstring examples as seeds (seed ${found.seed}, ` +
        `budget ${found.budgetMs} ms per pair). The pairs where it found no difference are not traced.`
    : `**Separating inputs: the test asserts' (fallback).** \`${home(foundPath)}\` does not exist: run \`npm run bench:diff\` to produce ` +
        "`crucible diff`'s inputs, then this script again, for the headline figure on them.";
}

function render(runs: readonly Run[], found: FoundInputs | null, concurrency: number, machine: string, date: string): string {
  const primary = runs[0]!;
  const results = primary.results;
  const seconds = runs.reduce((t, r) => t + r.seconds, 0);
  const diverged = results.filter((r) => r.outcome === "hit" || r.outcome === "miss");
  const hits = hitsOf(results);
  const goalMet = primary.withInput > 0 && hits / primary.withInput >= GOAL;
  const kinds = (["state", "path", "call", "end"] as const).map((k) => {
    const of = diverged.filter((r) => r.kind === k);
    return [k, String(of.length), String(hitsOf(of)), pct(hitsOf(of), of.length)];
  });
  const bugTypes = [...new Set(results.map((r) => r.bugType))].sort().map((t) => {
    const of = results.filter((r) => r.bugType === t);
    return [t, String(of.length), String(hitsOf(of)), pct(hitsOf(of), of.length)];
  });
  const others = results.filter((r) => r.outcome !== "hit");
  const hung = results.filter((r) => r.statuses?.some((s) => s === "timeout" || s === "time_limit" || s === "step_limit")).length;
  const lines = [
    TRACE_MARKERS.start,
    "## Execution traces: fault localisation on HumanEvalFix",
    "",
    `Generated by \`npm run bench:trace\` (\`node bench/trace.ts [--found <file>]\`) on ${date} in ${seconds.toFixed(0)} s. Do not edit this section by hand: run the command again.`,
    "",
    "For each HumanEvalFix (Python) pair, the buggy program (`prompt + buggy_solution`) and the fixed one",
    "(`prompt + canonical_solution`) are traced (`traceCall`) on an input that separates them, and `firstDivergence` walks",
    "the two paths in step. A **hit** is a first divergent block holding a line the bug edited (lines of one version not",
    "aligned with the other, `lineMap`); for a `path` divergence (a branch went the other way) the deciding block and the",
    "block each version ran next count. Rates are of the pairs with a separating input; an error counts as a miss. Trace caps: " +
      `${Object.entries(PAIR_TRACE_LIMITS)
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(", ")}.`,
    "",
    sourceText(found),
    "",
    table(["separating input", "pairs", "with an input", "first divergence found", "hits: divergence holds an edited line", "… in the divergent block itself", "baseline: last block the buggy run executed", "wall time"], runs.map((r, i) => summaryRow(r, i === 0))),
    "",
    found
      ? `Goal (issue): ≥ ${(GOAL * 100).toFixed(0)}% of the pairs where \`crucible diff\` found a difference localised — ${pct(hits, primary.withInput)}: ${goalMet ? "**met**" : "**NOT met**"}.`
      : `Goal (issue): ≥ ${(GOAL * 100).toFixed(0)}% of the pairs where \`crucible diff\` found a difference localised — not measured (no found-inputs file); on the test inputs: ${pct(hits, primary.withInput)}.`,
    "The test-assert row takes the task's own `check` inputs (recorded by calling it with a wrapper around the fixed function):",
    "the first whose outcomes differ and on which the buggy version finishes. A diff input is traced as found, even when a",
    `version hangs on it (its trace then stops at a cap): ${hung} such pair(s) in the first row.`,
    "",
    `Breakdown of the first row (${primary.label}). Median lines in the divergent block / in the solution: ` +
      `${median(diverged.map((r) => r.blockLines))} / ${median(results.map((r) => r.solutionLines))}; median ${(median(results.map((r) => r.ms)) / 1000).toFixed(2)} s per pair, ${concurrency} pairs at once.`,
    "",
    table(["divergence kind", "pairs", "hits", "rate"], kinds),
    "",
    table(["bug type", "pairs", "hits", "rate"], bugTypes),
    "",
    others.length === 0
      ? "Every pair was a hit."
      : `Not a hit: ${others.map((r) => `${r.taskId} (${r.outcome}${r.kind ? `, ${r.kind}` : ""}${r.detail ? `: ${r.detail.slice(0, 80)}` : ""})`).join("; ")}.`,
    "",
    machine,
    TRACE_MARKERS.end,
  ];
  return lines.join("\n");
}

async function measure(label: string, sandbox: ReturnType<typeof createSandbox>, all: readonly FixPair[], concurrency: number, found: FoundInputs | null): Promise<Run> {
  const started = performance.now();
  // With diff inputs, only the pairs where diff found a difference are traced.
  const pairs = found ? all.filter((p) => found.byTask.get(p.taskId)) : all;
  progress(`${label}: ${pairs.length} of ${all.length} pairs, ${concurrency} at once`);
  const results = await localisePairs(sandbox, pairs, {
    concurrency,
    ...(found ? { found: found.byTask } : {}),
    onResult: (r, done) => {
      if (done % 20 === 0 || r.outcome !== "hit") progress(`${label} ${done}/${pairs.length} ${r.taskId}: ${r.outcome}${r.kind ? ` (${r.kind})` : ""}`);
    },
  });
  const withInput = found ? pairs.length : results.filter((r) => r.outcome !== "no_input").length;
  return { label, pairs: all.length, withInput, results, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const found = loadFoundInputs(foundPath, "types");
  if (found) progress(`separating inputs from crucible diff (types only): ${foundPath}`);
  else progress(`${foundPath} not found: run \`npm run bench:diff\` to produce crucible diff's inputs; falling back to the test asserts' inputs`);
  const facts = await machineFacts(benchHost(), QUIET_WAIT_S, progress);
  const concurrency = Math.max(1, Math.min(availableParallelism(), 4));
  const sandbox = createSandbox({ poolSize: concurrency });
  try {
    const pairs = loadFixPairs();
    const unknown = found ? [...found.byTask.keys()].filter((id) => !pairs.some((p) => p.taskId === id)) : [];
    if (unknown.length > 0) progress(`ignoring ${unknown.length} task id(s) of ${foundPath} not in HumanEvalFix: ${unknown.slice(0, 5).join(", ")}`);
    const runs: Run[] = [];
    if (found) runs.push(await measure("`crucible diff` inputs (types only)", sandbox, pairs, concurrency, found));
    runs.push(await measure("test-assert inputs", sandbox, pairs, concurrency, null));
    const section = render(runs, found, concurrency, describeMachine(facts), new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC");
    writeSection(DOC, section, TRACE_MARKERS);
    writeFileSync(RESULTS, `${JSON.stringify({ foundInputs: found ? foundPath : null, runs }, null, 1)}\n`);
    process.stdout.write(`${section}\n`);
    progress(`wrote ${DOC}; per-pair results in ${RESULTS}`);
  } finally {
    await sandbox.close();
  }
}

await main();
