// Renders the sandbox benchmark's results as the "Sandbox" section of docs/benchmarks.md (written
// between `SANDBOX_MARKERS` by report.ts, which keeps every other section).
import type { GuestStartCpu } from "./baselines.ts";
import { describeMachine, type Machine } from "./machine.ts";
import { median, type Summary } from "./measure.ts";
import { DISTURBED_SHARE, ms, rate, ratio, table, type Markers } from "./report.ts";

export const SANDBOX_MARKERS: Markers = { start: "<!-- bench:sandbox:start -->", end: "<!-- bench:sandbox:end -->" };

export interface SessionSummary extends Summary {
  /** Median time the function itself ran, as measured inside the guest. */
  readonly inGuestP50: number;
}

export interface Results {
  readonly machine: Machine;
  readonly date: string;
  readonly command: string;
  readonly totalSeconds: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly python: {
    readonly crucible: Summary;
    readonly naive: Summary;
    readonly floor: Summary;
    /** Crucible running an empty program, all cores busy. */
    readonly empty: Summary;
    /** Crucible, one caller. */
    readonly unloaded: Summary;
    /** The fork floor, one driver. */
    readonly floorUnloaded: Summary;
    /** Supervisor-measured fork → child exit (the verdict's wallMs), one caller. */
    readonly guestWallP50: number;
  };
  readonly typescript: {
    readonly crucible: Summary;
    readonly naive: Summary;
    readonly floor: Summary;
    /** One run at a time with the pre-spawned pool refilled in between. */
    readonly unloaded: Summary;
    readonly startCpu: GuestStartCpu;
  };
  readonly sessions: { readonly python: SessionSummary; readonly typescript: SessionSummary };
  /** Every figure in milliseconds, one entry per repetition. */
  readonly cold: {
    cliPython: number[];
    cliTypescript: number[];
    cliHelp: number[];
    nodeBare: number[];
    python: number[];
    typescript: number[];
    typescriptNoPrespawn: number[];
    naivePython: number[];
    naiveTypescript: number[];
  };
  /** Foreign CPU (cores' worth) while the cold starts were measured. */
  readonly coldForeignCores: number;
}

/** The largest share of the machine other processes used during any measured phase. */
export function foreignShare(r: Results): number {
  const phases = [r.python.crucible, r.python.naive, r.python.floor, r.python.empty, r.python.unloaded, r.typescript.crucible];
  phases.push(r.typescript.naive, r.typescript.floor, r.typescript.unloaded, r.sessions.python, r.sessions.typescript);
  return Math.max(r.coldForeignCores, ...phases.map((p) => p.foreignCores)) / r.machine.cores;
}

export function disturbed(r: Results): boolean {
  return foreignShare(r) > DISTURBED_SHARE;
}

const GOAL_CORES = 2;

function spread(samples: readonly number[]): [string, string, string] {
  return [ms(median(samples)), ms(Math.min(...samples)), ms(Math.max(...samples))];
}

/** A throughput with the spread of its rounds, e.g. "38.3 (rounds 35.9–40.8)". */
function withRounds(s: Summary): string {
  return `${rate(s.runsPerSec)} (rounds ${rate(Math.min(...s.batchRunsPerSec))}–${rate(Math.max(...s.batchRunsPerSec))})`;
}

function goalRows(r: Results): { rows: string[][]; missed: string[] } {
  const py = r.python;
  const cliMedian = median(r.cold.cliPython);
  const goals: [string, string, string, boolean][] = [
    ["Python isolated runs/s (all cores busy)", "≥ 300", withRounds(py.crucible), py.crucible.runsPerSec >= 300],
    ["Python isolated-run p95 (warm, all cores busy)", "≤ 15 ms", `${ms(py.crucible.p95)} ms`, py.crucible.p95 <= 15],
    ["Python runs/s vs the naive way", "≥ 5×", ratio(py.crucible.runsPerSec / py.naive.runsPerSec), py.crucible.runsPerSec >= 5 * py.naive.runsPerSec],
    ["Python runs/s vs the fork floor", "≥ 0.5×", ratio(py.crucible.runsPerSec / py.floor.runsPerSec), py.crucible.runsPerSec >= 0.5 * py.floor.runsPerSec],
    ["Python session call p50", "≤ 1 ms", `${ms(r.sessions.python.p50)} ms`, r.sessions.python.p50 <= 1],
    ["TypeScript session call p50", "≤ 1 ms", `${ms(r.sessions.typescript.p50)} ms`, r.sessions.typescript.p50 <= 1],
    ["TypeScript isolated runs/s (all cores busy)", "≥ 40", withRounds(r.typescript.crucible), r.typescript.crucible.runsPerSec >= 40],
    [
      "First result of `crucible run hello.py` (median wall time)",
      "≤ 300 ms",
      `${ms(cliMedian)} ms (${ms(Math.min(...r.cold.cliPython))}–${ms(Math.max(...r.cold.cliPython))})`,
      cliMedian <= 300,
    ],
  ];
  return {
    rows: goals.map(([name, target, got, met]) => [name, target, got, met ? "met" : "**missed**"]),
    missed: goals.filter((g) => !g[3]).map((g) => g[0]),
  };
}

function analysis(r: Results): string {
  const { python: py, typescript: ts, sessions, cold, machine } = r;
  const n = machine.cores;
  const bound = (cpuMsPerRun: number) => (n * 1000) / cpuMsPerRun;
  const rest = py.unloaded.p50 - py.guestWallP50 - sessions.python.p50;
  const nodeBare = median(cold.nodeBare);
  const help = median(cold.cliHelp);
  const cli = median(cold.cliPython);
  const s = ts.startCpu;
  const plus = (x: number) => `${x >= 0 ? "+" : "−"}${ms(Math.abs(x))}`;
  return [
    "**Python.**",
    `- With every core busy, CPU is the bound: an isolated run costs ${ms(py.crucible.cpuMsPerRun)} ms of CPU across the machine ` +
      `(${ms(py.crucible.hostCpuMsPerRun)} ms of it in the host Node process: framing, JSON, cgroup files; the rest is the ` +
      `supervisor, the forked child and the kernel), so ${n} cores allow at most ${rate(bound(py.crucible.cpuMsPerRun))} runs/s; ` +
      `Crucible reached ${rate(py.crucible.runsPerSec)}. A bare fork per run costs ${ms(py.floor.cpuMsPerRun)} ms of CPU, ` +
      `a fresh bwrap + python3 ${ms(py.naive.cpuMsPerRun)} ms: interpreter start-up, not isolation, is what the warm supervisor saves.`,
    `- One run at a time takes ${ms(py.unloaded.p50)} ms end to end (p50) against ${ms(py.floorUnloaded.p50)} ms for a bare fork. ` +
      `Of it, ${ms(py.guestWallP50)} ms is the supervisor's fork → child exit (the verdict's \`wallMs\`: fork, the child's own ` +
      `session, stdio, rlimits and OOM score, compiling and running the program, exit). A session call, which crosses the same ` +
      `host ↔ supervisor ↔ child pipes without forking, takes ${ms(sessions.python.p50)} ms: an upper bound for the messaging. ` +
      `The remaining ≈ ${ms(Math.max(0, rest))} ms is the hygiene after every run (SIGKILL sweep and scan of /proc, wiping /tmp ` +
      `and /dev/shm) and the host's per-run cgroup bookkeeping.`,
    `- The program itself matters little: an empty program runs at ${rate(py.empty.runsPerSec)} runs/s (p50 ${ms(py.empty.p50)} ms), ` +
      `the tiny function at ${rate(py.crucible.runsPerSec)}.`,
    "",
    "**TypeScript.**",
    `- Every run starts a Node process, and CPU is the bound: a sandboxed run costs ${ms(ts.crucible.cpuMsPerRun)} ms of CPU ` +
      `across the machine (${ms(ts.crucible.hostCpuMsPerRun)} ms of it in the host Node process: spawning, cgroup files, ` +
      `frames, type stripping; the rest is the guest's start-up and the kernel), so ${n} cores allow at most ` +
      `${rate(bound(ts.crucible.cpuMsPerRun))} runs/s; Crucible reached ${rate(ts.crucible.runsPerSec)}. The naive bwrap + node ` +
      `spawn costs ${ms(ts.naive.cpuMsPerRun)} ms and the bare node spawn ${ms(ts.floor.cpuMsPerRun)} ms, which is why both run more ` +
      "often per second than Crucible does.",
    `- Where a guest's start-up goes (CPU of its process tree from \`wait4\`, median of ${r.counts["guestStartReps"]}, one at a time): ` +
      `bare \`node -e 0\` ${ms(s.bareNode)} ms; inside bubblewrap ${ms(s.sandboxedNode)} ms (${plus(s.sandboxedNode - s.bareNode)} for ` +
      `namespaces, mounts and seccomp); the guest harness answering one run instead of \`-e 0\` ${ms(s.sandboxedHarness)} ms ` +
      `(${plus(s.sandboxedHarness - s.sandboxedNode)}: loading the CommonJS harness and running the program). ` +
      `The V8 heap flag (\`--max-old-space-size\`), which the sandbox passes only where no memory cgroup holds the limit, adds ` +
      `${plus(s.sandboxedNodeHeapFlag - s.sandboxedNode)} to \`node -e 0\` and ${plus(s.sandboxedHarnessHeapFlag - s.sandboxedHarness)} ` +
      "to the harness. These are one process at a time on an idle machine, measured apart from the runs above: compare them " +
      "with each other rather than with the per-run CPU under load.",
    `- Pre-spawning hides start-up latency, not its CPU: with a pre-spawned guest ready a run takes ${ms(ts.unloaded.p50)} ms ` +
      `(p50; p95 ${ms(ts.unloaded.p95)}), against ${ms(ts.crucible.p50)} ms when every core is busy starting the next guests. ` +
      `The first verdict of a new sandbox takes ${ms(median(cold.typescript))} ms with the default \`prespawn: true\` and ` +
      `${ms(median(cold.typescriptNoPrespawn))} ms with \`prespawn: false\`: the pool's guests, started alongside the first ` +
      "run's own, compete with it for the cores.",
    "",
    "**`crucible run`.**",
    `- ${ms(cli)} ms for the whole command = Node's own start (${ms(nodeBare)} ms for \`node -e 0\`) + loading the CLI ` +
      `(${ms(Math.max(0, help - nodeBare))} ms more for \`crucible --help\`: stripping the types of every \`src/\` module again on ` +
      `each start and importing its dependencies) + starting the Python sandbox, running the program and closing it ` +
      `(${ms(Math.max(0, cli - help))} ms).`,
  ].join("\n");
}

/** The whole "Sandbox" section, markers included. */
export function renderSection(r: Results): string {
  const m = r.machine;
  const { python: py, typescript: ts, sessions, cold } = r;
  const c = r.counts;
  const pct = (cores: number) => `${((100 * cores) / m.cores).toFixed(0)}%`;
  const runRow = (name: string, s: Summary, crucibleRate: number | null) => [
    name,
    String(s.runs),
    rate(s.runsPerSec),
    `${rate(Math.min(...s.batchRunsPerSec))}–${rate(Math.max(...s.batchRunsPerSec))}`,
    ms(s.p50),
    ms(s.p95),
    ms(s.p99),
    ms(s.cpuMsPerRun),
    crucibleRate === null ? "—" : ratio(crucibleRate / s.runsPerSec),
    pct(s.foreignCores),
  ];
  const sessionRow = (name: string, s: SessionSummary, isolatedP50: number) => [
    name,
    String(s.runs),
    ms(s.p50),
    ms(s.p95),
    ms(s.p99),
    s.inGuestP50 < 0.01 ? s.inGuestP50.toFixed(4) : ms(s.inGuestP50),
    `${ratio(isolatedP50 / s.p50)} faster`,
  ];
  const goals = goalRows(r);
  const coresNote =
    m.cores === GOAL_CORES ? "" : ` The goals are stated for ${GOAL_CORES} cores; this machine has ${m.cores}, so compare with care.`;
  return [
    SANDBOX_MARKERS.start,
    "## Sandbox",
    "",
    `Generated by \`${r.command}\` (\`node bench/sandbox.ts\`) on ${r.date.replace("T", " ").slice(0, 16)} UTC in ` +
      `${r.totalSeconds.toFixed(0)} s. Do not edit this section by hand: run the command again.`,
    "",
    `${describeMachine(m)}${coresNote}`,
    ...(disturbed(r)
      ? [
          "",
          `**Disturbed run:** other processes used up to ${(100 * foreignShare(r)).toFixed(0)}% of the machine during a ` +
            "measured phase (see \"other load\"), so these figures understate the sandbox; run the benchmark again on an idle machine.",
        ]
      : []),
    "",
    "**What is compared.** The tiny programs define a function, call it and check the answer " +
      "(`def add(a, b): return a + b` / `assert add(2, 3) == 5`, and the same in TypeScript with types).",
    "",
    `- **Crucible**: \`createSandbox({ poolSize: ${m.cores} })\`, warmed, then \`sandbox.run()\` from ${m.cores} concurrent callers ` +
      "(Python: the warm supervisor forks a child per run; TypeScript: types stripped on the host, one pre-spawned sandboxed Node per run).",
    "- **Naive**: a fresh `bwrap` per run with the same policy (the sandbox's own `bwrapArgv`, host layout, guest binds and " +
      "seccomp filter, and as root the same unprivileged uid through setpriv) " +
      "running `python3 -I -B -c <code>` or `node --input-type=module -e <js>`. It gets no cgroup and no wrapper shell, which flatters it.",
    `- **Floor**: Python: ${m.cores} bare interpreters (the sandbox's own) each forking a child per run that compiles and runs the ` +
      "program and exits, the parent waiting: no sandbox, no messaging. Node has no fork, so its floor is a bare " +
      "`node --input-type=module -e <js>` spawn per run, without bubblewrap.",
    `- Rounds of the three are interleaved (${c["rounds"]} for Python, ${c["tsRounds"]} for TypeScript) after warm-up, so drift of ` +
      "the machine falls on all alike. CPU per run is all busy time of the machine (`/proc/stat`) over the runs.",
    "",
    `### Isolated runs, all ${m.cores} cores busy`,
    "",
    table(
      ["", "runs", "runs/s", "by round", "p50 ms", "p95 ms", "p99 ms", "CPU ms/run", "Crucible ÷ row", "other load"],
      [
        runRow("Python · Crucible", py.crucible, null),
        runRow("Python · naive (bwrap + python3 per run)", py.naive, py.crucible.runsPerSec),
        runRow("Python · floor (bare fork per run)", py.floor, py.crucible.runsPerSec),
        runRow("TypeScript · Crucible", ts.crucible, null),
        runRow("TypeScript · naive (bwrap + node per run)", ts.naive, ts.crucible.runsPerSec),
        runRow("TypeScript · floor (bare node spawn per run)", ts.floor, ts.crucible.runsPerSec),
      ],
    ),
    "",
    `"By round" is the lowest and highest runs/s of the interleaved rounds, which shows how much the machine drifted. ` +
      `"Crucible ÷ row" is Crucible's runs/s over the row's: above 1× Crucible is faster. "Other load" is the share of the ` +
      "machine that processes outside the benchmark's own process tree (kernel threads aside) used meanwhile; a measurement " +
      `disturbed by more than ${(100 * DISTURBED_SHARE).toFixed(0)}% was taken again once the machine was idle. ` +
      `One caller at a time, a Python run takes ` +
      `${ms(py.unloaded.p50)} ms p50 / ${ms(py.unloaded.p95)} ms p95 (bare fork: ${ms(py.floorUnloaded.p50)} ms p50); a TypeScript run ` +
      `with a pre-spawned guest ready takes ${ms(ts.unloaded.p50)} ms p50 / ${ms(ts.unloaded.p95)} ms p95.`,
    "",
    "### Session calls, one caller",
    "",
    table(
      ["", "calls", "p50 ms", "p95 ms", "p99 ms", "in-guest call p50 ms", "vs an isolated run (p50)"],
      [sessionRow("Python", sessions.python, py.unloaded.p50), sessionRow("TypeScript", sessions.typescript, ts.unloaded.p50)],
    ),
    "",
    `A trivial call (\`echo(7)\`) after ${c["sessionWarmup"]} warm-up calls; host-side time from \`session.call\` to its verdict.`,
    "",
    "### Cold start",
    "",
    table(
      ["", "median ms", "min ms", "max ms", "baseline (median ms)"],
      [
        ["Python: `createSandbox()` → first verdict", ...spread(cold.python), `one naive run: ${ms(median(cold.naivePython))}`],
        ["TypeScript: `createSandbox()` → first verdict", ...spread(cold.typescript), `one naive run: ${ms(median(cold.naiveTypescript))}`],
        ["TypeScript, `prespawn: false`", ...spread(cold.typescriptNoPrespawn), `one naive run: ${ms(median(cold.naiveTypescript))}`],
        ["`crucible run hello.py`, whole command", ...spread(cold.cliPython), `\`node -e 0\`: ${ms(median(cold.nodeBare))}; \`crucible --help\`: ${ms(median(cold.cliHelp))}`],
        ["`crucible run hello.ts`, whole command", ...spread(cold.cliTypescript), `\`node -e 0\`: ${ms(median(cold.nodeBare))}; \`crucible --help\`: ${ms(median(cold.cliHelp))}`],
      ],
    ),
    "",
    `\`createSandbox\` rows: ${c["coldRepeats"]} fresh sandboxes each, in this process. CLI rows: ${c["cliRepeats"]} runs of ` +
      "`node --disable-warning=ExperimentalWarning src/cli/main.ts run <file>` from the repository root, wall time from spawn to " +
      "exit, `NODE_COMPILE_CACHE` and `NODE_OPTIONS` unset, after one unmeasured run so the page cache is warm.",
    "",
    `### Goals (stated for ${GOAL_CORES} cores)`,
    "",
    table(["Goal", "Target", "Measured", ""], goals.rows),
    "",
    goals.missed.length === 0 ? "Every goal is met." : `Missed: ${goals.missed.join("; ")}.`,
    "",
    "### What bounds it",
    "",
    analysis(r),
    SANDBOX_MARKERS.end,
  ].join("\n");
}
