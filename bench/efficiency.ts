// Efficiency benchmark: reproduces ENAMEL's published eff@1 of the HumanEval and HumanEval+
// canonical solutions on its 142 problems, with its own input generators, references and checkers
// (../shared/datasets/enamel), through `measureSuite`, the code behind `crucible measure --dataset`.
// One run of `npm run bench:efficiency` measures, for each problem, three programs: ENAMEL's
// expert reference (eff ≈ 1 by construction), HumanEval's canonical solution and HumanEval+'s:
// 1. timed: 6 repetitions per case on the thread's CPU clock, Hodges–Lehmann, GC off, one problem
//    at a time;
// 2. and 3. twice by bytecode instructions executed (sys.settrace), to show that variant repeats
//    (two problems at once: counts do not depend on what else runs; the references are left out,
//    their instruction score is exactly 1 by construction);
// 4. with `--wall`, timed on the wall clock, ENAMEL's own clock (meaningless on a busy machine).
// It prints the figures and rewrites the "Efficiency" section of docs/benchmarks.md.
//
// `node bench/efficiency.ts --problems 10` measures the first 10 problems only (and writes nothing);
// `--render <file.json>` rewrites the section from the results a run saved, measuring nothing.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { enamelLeveled, enamelSubset, loadEnamel, type EnamelProblem } from "../src/eval/datasets/enamel.ts";
import { loadDataset, readDataText } from "../src/eval/datasets/index.ts";
import { aggregateEffAtK } from "../src/eval/eff-at-k.ts";
import { aggregatePassAtK } from "../src/eval/pass-at-k.ts";
import { createSandbox } from "../src/sandbox/index.ts";
import { ENAMEL_SETTINGS, measureSuite, type LeveledSettings, type ProblemEfficiency } from "../src/verify/index.ts";
import { benchHost } from "./baselines.ts";
import { EFFICIENCY_MARKERS, renderEfficiencySection, SETS, type EfficiencyResults, type SuiteRun } from "./efficiency-report.ts";
import { machineFacts } from "./machine.ts";
import { foreignShareOf, startMeter } from "./measure.ts";
import { writeSection } from "./report.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const DOC = join(REPO, "docs", "benchmarks.md");
const DATA = join(REPO, "..", "shared", "datasets");
const ENAMEL_CSV = join(DATA, "enamel", "enamel.csv.gz");
const ENAMEL_REFERENCES = join(DATA, "enamel", "enamel-references.json.gz");
const HUMANEVAL = join(DATA, "humaneval", "HumanEval.jsonl.gz");
const HUMANEVAL_PLUS = join(DATA, "humanevalplus", "HumanEvalPlus-v0.1.10.jsonl.gz");
const QUIET_WAIT_S = 60;

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function limitArg(): number | undefined {
  const i = process.argv.indexOf("--problems");
  if (i < 0) return undefined;
  const n = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error("--problems takes a positive whole number");
  return n;
}

/** Each problem's three programs, in `SETS` order: ENAMEL's reference, HumanEval's and HumanEval+'s canonical solutions. */
async function programs(problems: readonly EnamelProblem[]): Promise<Map<string, string[]>> {
  const [he, hePlus, refsText] = await Promise.all([loadDataset(HUMANEVAL), loadDataset(HUMANEVAL_PLUS), readDataText(ENAMEL_REFERENCES)]);
  const references = JSON.parse(refsText.text) as string[][];
  const byId = (tasks: typeof he.tasks) => new Map(tasks.map((t) => [t.id, t]));
  const heById = byId(he.tasks);
  const plusById = byId(hePlus.tasks);
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const reference = references[p.index]?.[0];
    const canonical = heById.get(p.taskId);
    const plus = plusById.get(p.taskId);
    if (reference === undefined || canonical === undefined || plus === undefined) throw new Error(`${p.taskId} is missing from a dataset`);
    // HumanEval's canonical solution after its prompt, as ENAMEL's samples/humaneval-canonical.json
    // holds it; HumanEval+'s likewise (`Task.reference` is prompt + canonical_solution).
    out.set(p.taskId, [reference, canonical.reference, plus.reference]);
  }
  return out;
}

/** Measures the programs of `sets` (indices into `SETS`) on every problem. */
async function suiteRun(
  label: string,
  problems: readonly EnamelProblem[],
  codes: Map<string, string[]>,
  settings: LeveledSettings,
  sets: readonly number[],
  concurrency: number,
): Promise<SuiteRun> {
  const sandbox = createSandbox({ poolSize: 2 });
  const meter = startMeter({ watchMs: 1000 });
  let lastTenth = -1;
  try {
    const results: ProblemEfficiency[] = await measureSuite(
      sandbox,
      problems.map((p) => ({ problem: enamelLeveled(p), codes: sets.map((i) => codes.get(p.taskId)![i]!) })),
      {
        settings,
        concurrency,
        onProgress: ({ done, total }) => {
          const tenth = Math.floor((10 * done) / total);
          if (tenth > lastTenth) {
            lastTenth = tenth;
            log(`${label}: ${done}/${total} samples`);
          }
        },
      },
    );
    const reading = meter();
    const perSet = sets.map((set, i) => {
      const scores = results.map((r) => [r.samples[i]!.efficiency]);
      const passes = results.map((r) => ({ n: 1, c: r.samples[i]!.passed ? 1 : 0 }));
      return { set: SETS[set]!.key, effAt1: aggregateEffAtK(scores, [1])["eff@1"]!, passAt1: aggregatePassAtK(passes, [1])["pass@1"]! };
    });
    const run: SuiteRun = {
      label,
      settings,
      perSet,
      perTask: results.map((r) => ({ id: r.id, efficiency: r.samples.map((s) => s.efficiency), passed: r.samples.map((s) => s.passed), correction: r.correction, wallMs: r.wallMs })),
      seconds: reading.elapsedMs / 1000,
      foreignShare: foreignShareOf(reading),
    };
    log(`${label}: ${run.perSet.map((s) => `${s.set} eff@1 ${s.effAt1.toFixed(3)} pass@1 ${s.passAt1.toFixed(3)}`).join(" · ")} (${run.seconds.toFixed(0)} s)`);
    return run;
  } finally {
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const render = process.argv.indexOf("--render");
  if (render >= 0) {
    const saved = JSON.parse(readFileSync(process.argv[render + 1] ?? "", "utf8")) as EfficiencyResults;
    writeSection(DOC, renderEfficiencySection(saved), EFFICIENCY_MARKERS);
    log(`rewrote the Efficiency section of ${DOC} from ${process.argv[render + 1]}`);
    return;
  }
  const limit = limitArg();
  const dataset = await loadEnamel(ENAMEL_CSV);
  const problems = enamelSubset(dataset).slice(0, limit);
  const codes = await programs(problems);
  const machine = await machineFacts(benchHost(), limit === undefined ? QUIET_WAIT_S : 1, log);
  const started = performance.now();
  const all = SETS.map((_, i) => i);
  const canonicals = [1, 2];
  const counting = { ...ENAMEL_SETTINGS, metric: "instructions" } as const;
  const timed = await suiteRun("timed (CPU clock)", problems, codes, { ...ENAMEL_SETTINGS, clock: "cpu" }, all, 1);
  const counted1 = await suiteRun("instructions, run 1", problems, codes, counting, canonicals, 2);
  const counted2 = await suiteRun("instructions, run 2", problems, codes, counting, canonicals, 2);
  const wall = process.argv.includes("--wall") ? await suiteRun("timed (wall clock)", problems, codes, { ...ENAMEL_SETTINGS, clock: "wall" }, all, 1) : null;
  const results: EfficiencyResults = {
    machine,
    problems: problems.length,
    datasetSha256: dataset.sha256,
    runs: { timed, counted1, counted2, wall },
    totalSeconds: (performance.now() - started) / 1000,
  };
  // Every problem's scores, for pinning a sample in tests (test/e2e/measure.test.ts).
  const raw = join(tmpdir(), "crucible-bench-efficiency.json");
  writeFileSync(raw, JSON.stringify(results, null, 1));
  log(`per-problem scores: ${raw}`);
  if (limit !== undefined) {
    log(`measured ${problems.length} problems only: docs/benchmarks.md is left as it is`);
    return;
  }
  writeSection(DOC, renderEfficiencySection(results), EFFICIENCY_MARKERS);
  log(`wrote the Efficiency section of ${DOC} (${results.totalSeconds.toFixed(0)} s in all)`);
}

await main();
