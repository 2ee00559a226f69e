// Ranking benchmark: the CodeT CodeGen-16B pool (164 HumanEval problems × 100 completions, 100
// generated test completions each) ranked by every method with no LLM, graded on the official
// HumanEval tests. One run of `npm run bench:rank`
// 1. extracts CodeT's tests, checks every distinct program statically, generates inputs and runs
//    every distinct program on its task's distinct tests and shared inputs in the sandbox — timed
//    as "the whole computation";
// 2. grades every sample on the official tests through `evaluate()` (ground truth, cached under the
//    cache dir: a second run only reads it);
// 3. prints pass@1/2/10 for random, CodeT, MBR-exec, AlphaCode-style and Crucible's method, the
//    static-check counts, and rewrites the "Ranking" section of docs/benchmarks.md.
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CODET_FILES, loadCodeTPool, readDataText } from "../src/eval/datasets/index.ts";
import { codetRankTask, rankingTable } from "../src/eval/datasets/codet-tests.ts";
import { evaluate } from "../src/eval/run.ts";
import { CODET_STOPS, cutAtStops } from "../src/eval/sanitize.ts";
import { createSandbox } from "../src/sandbox/index.ts";
import { RANK_DEFAULTS } from "../src/verify/rank/execute.ts";
import { extractTests } from "../src/verify/rank/extract.ts";
import { RANK_METHODS, type RankMethod } from "../src/verify/rank/methods.ts";
import { observe, type Observed } from "../src/verify/rank/rank.ts";
import { benchHost } from "./baselines.ts";
import { describeMachine, machineFacts } from "./machine.ts";
import { foreignShareOf, startMeter } from "./measure.ts";
import { DISTURBED_SHARE, table, writeSection } from "./report.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const DOC = join(REPO, "docs", "benchmarks.md");
const CODET_DIR = join(REPO, "..", "shared", "datasets", "codet-codegen16b");
const CACHE = join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "crucible");
const MARKERS = { start: "<!-- bench:rank:start -->", end: "<!-- bench:rank:end -->" };
const GENERATED_INPUTS = 20;
const KS = [1, 2, 10];
const GOAL_S = 60;
const CODET_PAPER = { random: 22.12, codet: 37.24 };

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

const pct = (x: number) => (x * 100).toFixed(2);
const int = (n: number) => n.toLocaleString("en-US");

const SEES: Record<RankMethod | "random", string> = {
  random: "nothing: the expected pass rate of one sample drawn at random (unbiased pass@k over the 100)",
  codet: "pass marks on the generated tests (first 5 of each completion, duplicates counted); groups by pass set, score tests × √samples",
  mbr: "outputs on the shared inputs (the tests' call arguments + generated inputs); largest class of equal outputs",
  alphacode: "filter: passes ≥ 1 generated test (no trusted examples in these prompts); clusters of equal outputs on the shared inputs, largest first",
  crucible: "both: groups by pass set and outputs; support = samples with the same outputs; tests weighted by the support behind them",
};

async function main(): Promise<void> {
  const started = performance.now();
  const host = benchHost();
  const machine = await machineFacts(host, 30, progress);
  const pool = await loadCodeTPool(CODET_DIR);
  const sandbox = createSandbox({ poolSize: machine.cores });
  try {
    progress(`ranking: ${pool.length} problems, ${int(pool.length * 100)} samples, ${GENERATED_INPUTS} generated inputs per problem`);
    const meter = startMeter({ watchMs: 250 });
    const t0 = performance.now();
    const extracted = await extractTests(
      sandbox,
      pool.map((t) => ({ completions: t.generatedTests, entryPoint: t.task.entryPoint })),
    );
    const extractMs = performance.now() - t0;
    let lastReport = performance.now();
    const observed = await observe(
      sandbox,
      pool.map((t, i) => codetRankTask(t, extracted[i]!.perCompletion)),
      {
        generate: GENERATED_INPUTS,
        onProgress: (done, total) => {
          if (performance.now() - lastReport > 15_000) {
            lastReport = performance.now();
            progress(`ranking: ${done}/${total} programs`);
          }
        },
      },
    );
    const rankMs = performance.now() - t0;
    const reading = meter();

    progress("ground truth: the official HumanEval tests through evaluate() (cached after the first run)");
    const g0 = performance.now();
    const file = await readDataText(join(CODET_DIR, CODET_FILES.codeSamples));
    const { results } = await evaluate({
      sandbox,
      dataset: { name: "codet-codegen16b", kind: "humaneval", path: file.path, sha256: file.sha256, md5: file.md5, tasks: pool.map((t) => t.task) },
      samples: pool.flatMap((t) => t.samples.map((s, i) => ({ taskId: t.task.id, completionId: i, completion: cutAtStops(s, CODET_STOPS) }))),
      resultsPath: join(CACHE, "rank", `codet-ground-truth-${file.sha256.slice(0, 16)}.jsonl`),
      cacheDir: CACHE,
    });
    const truthMs = performance.now() - g0;
    const passed = new Map(results.map((r) => [`${r.task_id}\u0000${r.completion_id}`, r.passed]));
    const correct = pool.map((t) => t.samples.map((_, i) => passed.get(`${t.task.id}\u0000${i}`) === true));

    const tableAll = rankingTable(observed, correct, RANK_METHODS, KS);
    const seedOnly = rankingTable(observed.map(withoutGenerated), correct, ["mbr", "alphacode", "crucible"], KS);
    const staticFacts = staticCounts(observed, correct);
    const facts = executionFacts(observed);
    const section = render({ machine, tableAll, seedOnly, staticFacts, facts, extractMs, rankMs, truthMs, foreign: foreignShareOf(reading), totalS: (performance.now() - started) / 1000 });
    writeSection(DOC, section, MARKERS);
    process.stdout.write(`${section}\n`);
  } finally {
    await sandbox.close();
  }
}

/** The same observations with the generated inputs' outputs left out: what the methods see without them. */
function withoutGenerated(o: Observed): Observed {
  const keep = o.inputs.length - o.generatedInputs;
  return {
    ...o,
    inputs: o.inputs.slice(0, keep),
    generatedInputs: 0,
    candidates: o.candidates.map((c) => ({ ...c, run: { ...c.run, outputs: c.run.outputs.slice(0, keep) } })),
  };
}

function staticCounts(observed: readonly Observed[], correct: readonly (readonly boolean[])[]) {
  let samples = 0;
  let rejectedSamples = 0;
  let rejectedPassing = 0;
  let distinct = 0;
  let rejectedDistinct = 0;
  let warnings = 0;
  const byKind = new Map<string, number>();
  observed.forEach((o, t) => {
    distinct += o.programs.length;
    for (const r of o.static) {
      if (r.status === "rejected") rejectedDistinct += 1;
      if (r.issues.some((i) => i.severity === "warning")) warnings += 1;
      if (r.status === "rejected") {
        const kinds = new Set(r.issues.filter((i) => i.severity === "error").map((i) => i.kind));
        for (const k of kinds) byKind.set(k, (byKind.get(k) ?? 0) + 1);
      }
    }
    o.programOf.forEach((d, s) => {
      samples += 1;
      if (o.static[d]?.status === "rejected") {
        rejectedSamples += 1;
        if (correct[t]![s]) rejectedPassing += 1;
      }
    });
  });
  return { samples, rejectedSamples, rejectedPassing, distinct, rejectedDistinct, warnings, byKind };
}

function executionFacts(observed: readonly Observed[]) {
  let programs = 0;
  let ran = 0;
  let executions = 0;
  let cpuMs = 0;
  let tests = 0;
  let inputs = 0;
  let generated = 0;
  let timedOut = 0;
  for (const o of observed) {
    programs += o.programs.length;
    tests += o.tests.length;
    inputs += o.inputs.length;
    generated += o.generatedInputs;
    for (const r of o.runs) {
      if (r.status === "rejected") continue;
      ran += 1;
      executions += o.tests.length + o.inputs.length;
      cpuMs += r.cpuMs;
      if (r.marks.includes("t") || r.outputs.includes("!timeout")) timedOut += 1;
    }
  }
  return { programs, ran, executions, cpuMs, tests, inputs, generated, timedOut };
}

interface Rendered {
  machine: Awaited<ReturnType<typeof machineFacts>>;
  tableAll: ReturnType<typeof rankingTable>;
  seedOnly: ReturnType<typeof rankingTable>;
  staticFacts: ReturnType<typeof staticCounts>;
  facts: ReturnType<typeof executionFacts>;
  extractMs: number;
  rankMs: number;
  truthMs: number;
  foreign: number;
  totalS: number;
}

function render(r: Rendered): string {
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const row = (name: string, label: string, t: Record<string, Record<string, number>>) => [label, ...KS.map((k) => pct(t[name]![`pass@${k}`]!)), SEES[name as RankMethod | "random"]];
  const rows = [
    row("random", "random (no ranking)", r.tableAll),
    row("codet", "CodeT dual agreement", r.tableAll),
    row("mbr", "MBR-exec", r.tableAll),
    row("alphacode", "AlphaCode-style", r.tableAll),
    row("crucible", "**Crucible consensus**", r.tableAll),
  ];
  const seedRows = (["mbr", "alphacode", "crucible"] as const).map((m) => [m, ...KS.map((k) => pct(r.seedOnly[m][`pass@${k}`]!)), ...KS.map((k) => pct(r.tableAll[m][`pass@${k}`]!))]);
  const f = r.facts;
  const s = r.staticFacts;
  const rankS = r.rankMs / 1000;
  const disturbed = r.foreign > DISTURBED_SHARE;
  const codetDiff = Math.abs(r.tableAll.codet["pass@1"]! * 100 - CODET_PAPER.codet);
  const randomDiff = Math.abs(r.tableAll.random["pass@1"]! * 100 - CODET_PAPER.random);
  const lines = [
    MARKERS.start,
    "## Ranking",
    "",
    `Generated by \`npm run bench:rank\` (\`node bench/rank.ts\`) on ${when} UTC in ${r.totalS.toFixed(0)} s. Do not edit this section by hand: run the command again.`,
    "",
    describeMachine(r.machine),
    "",
    `**What runs.** The CodeT CodeGen-Mono-16B pool (\`../shared/datasets/codet-codegen16b/\`): 164 HumanEval problems, 100 completions each (cut at CodeT's stops), 100 generated test completions each. No LLM: the methods see only the pool's programs, its generated tests and inputs Crucible derives from them. Ground truth is the official HumanEval test of every sample through \`evaluate()\` (3 s timeout), used only to score the picks. pass@k counts CodeT's way (\`get_result_of_sorted_solutions\`): one draw from each of the top k score levels, ties merged, extra draws round-robin; a problem a method ranks nothing of falls back to random.`,
    "",
    table(["method", ...KS.map((k) => `pass@${k}`), "what it sees"], rows),
    "",
    `Reproduction: random ${pct(r.tableAll.random["pass@1"]!)} (published ${CODET_PAPER.random}, off by ${randomDiff.toFixed(2)}), CodeT ${pct(r.tableAll.codet["pass@1"]!)} (published ${CODET_PAPER.codet}, off by ${codetDiff.toFixed(2)}; goal: within 0.5). Goal pass@1 ≥ 40.0 with no LLM: Crucible ${pct(r.tableAll.crucible["pass@1"]!)} — **${r.tableAll.crucible["pass@1"]! >= 0.4 ? "met" : "missed"}**.`,
    "",
    "**What the generated inputs add** (outputs on the tests' call arguments only, then with the generated inputs too):",
    "",
    table(["method", ...KS.map((k) => `pass@${k} seeds only`), ...KS.map((k) => `pass@${k} + generated`)], seedRows),
    "",
    `**The whole computation** (test extraction, static checks, input generation, every execution): **${rankS.toFixed(1)} s** wall on ${r.machine.cores} cores (goal ≤ ${GOAL_S} s: **${rankS <= GOAL_S ? "met" : "missed"}**; reference: CodeT's harness, 24,113 executions in 406 s on 2 cores). Test extraction ${(r.extractMs / 1000).toFixed(1)} s. ${int(f.programs)} distinct programs (of 16,400 samples), ${int(f.ran)} run (the rest rejected statically); ${int(f.tests)} distinct tests and ${int(f.inputs)} shared inputs (${int(f.generated)} generated) over the 164 problems; ${int(f.executions)} program × (test or input) executions, one process per program. CPU time of the program processes: ${(f.cpuMs / 1000).toFixed(1)} s. ${int(f.timedOut)} programs timed out somewhere (${RANK_DEFAULTS.testTimeoutMs} ms CPU per test or seed input, CodeT's 0.1 s, and after ${RANK_DEFAULTS.maxTimeouts} such timeouts the rest of a program is skipped; ${RANK_DEFAULTS.generatedTimeoutMs} ms per generated input, run last, and one timeout skips the other generated inputs). Other processes used ${(r.foreign * 100).toFixed(0)}% of the machine meanwhile${disturbed ? " — **disturbed**: the wall time says more about the machine than about Crucible" : ""}. Ground truth: ${(r.truthMs / 1000).toFixed(1)} s (${r.truthMs < 5000 ? "read from the cache" : "graded"}).`,
    "",
    "## Static checks",
    "",
    `Every distinct program of the pool parsed in the sandbox (ast + symtable; nothing runs): ${int(s.rejectedDistinct)} of ${int(s.distinct)} distinct programs rejected (${int(s.rejectedSamples)} of ${int(s.samples)} samples): ${[...s.byKind].map(([k, n]) => `${k.replace("_", " ")} ${int(n)}`).join(", ")} (a program may have several). ${int(s.warnings)} more carry only warnings (an undefined name in a branch or a helper, which fails only if that code runs) and are not rejected. **Rejected samples that pass the official tests: ${s.rejectedPassing}** (goal: 0). Rejected programs are not run by the ranking (they could not load or pass a test), which saves their processes.`,
    MARKERS.end,
  ];
  return lines.join("\n");
}

await main();
