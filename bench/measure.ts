// Measurement helpers for the benchmarks: latency percentiles, system-wide CPU accounting from
// /proc/stat, a bounded closed-loop driver, and plain process spawning.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Writable } from "node:stream";

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** Nearest-rank percentiles; zeros for an empty sample. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { p50: at(50), p95: at(95), p99: at(99) };
}

export function median(samples: readonly number[]): number {
  return percentiles(samples).p50;
}

/** What one bounded batch of runs measured; `machineCpuMs` is all busy time from /proc/stat. */
export interface Batch extends Reading {
  readonly latenciesMs: number[];
  readonly failures: string[];
}

export interface Summary extends Percentiles {
  readonly runs: number;
  readonly seconds: number;
  readonly runsPerSec: number;
  readonly cpuMsPerRun: number;
  readonly hostCpuMsPerRun: number;
  /** Runs per second of each batch (round) on its own: how much the figure moved between rounds. */
  readonly batchRunsPerSec: readonly number[];
  /** Foreign CPU time over the batches' wall time, summed over cores: 1 = one core's worth. */
  readonly foreignCores: number;
  readonly failures: readonly string[];
}

/** Pools batches (e.g. interleaved rounds): runs/s over their summed time, percentiles over all runs. */
export function summarize(batches: readonly Batch[]): Summary {
  const latencies = batches.flatMap((b) => b.latenciesMs);
  const elapsedMs = batches.reduce((s, b) => s + b.elapsedMs, 0);
  const runs = latencies.length;
  return {
    ...percentiles(latencies),
    runs,
    seconds: elapsedMs / 1000,
    runsPerSec: elapsedMs > 0 ? (runs * 1000) / elapsedMs : 0,
    cpuMsPerRun: runs > 0 ? batches.reduce((s, b) => s + b.machineCpuMs, 0) / runs : 0,
    hostCpuMsPerRun: runs > 0 ? batches.reduce((s, b) => s + b.hostCpuMs, 0) / runs : 0,
    batchRunsPerSec: batches.map((b) => (b.elapsedMs > 0 ? (b.latenciesMs.length * 1000) / b.elapsedMs : 0)),
    foreignCores: elapsedMs > 0 ? batches.reduce((s, b) => s + b.foreignCpuMs, 0) / elapsedMs : 0,
    failures: batches.flatMap((b) => b.failures),
  };
}

const CLOCK_TICKS_PER_SEC = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy CPU time of the whole machine so far: every field of the `cpu` line but idle and iowait. */
function machineBusyMs(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_SEC;
}

/**
 * CPU time used by other work: every process outside this one's tree, except kernel threads (they
 * tear down the sandbox's namespaces and cgroups), init (it reaps what the sandbox kills, since a
 * killed bubblewrap orphans its PID 1) and those orphans themselves. Each process counts utime + stime + cutime + cstime from
 * /proc/<pid>/stat, so a process that exits moves into its waiting parent's cutime and the sum
 * moves smoothly as processes come and go.
 */
function otherCpuMs(): number {
  const parentOf = new Map<number, number>();
  const stateOf = new Map<number, string>();
  const ticksOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name (which may hold spaces): state ppid … utime stime cutime cstime.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    stateOf.set(Number(entry), fields[0] ?? "");
    parentOf.set(Number(entry), Number(fields[1]));
    ticksOf.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
  }
  const ours = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parentOf.get(p) ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, t] of ticksOf) {
    if (pid === 1 || pid === 2 || parentOf.get(pid) === 2 || ours(pid) || dyingSandbox(pid, parentOf.get(pid), stateOf.get(pid))) continue;
    ticks += t;
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
}

/**
 * A process of a closed sandbox on its way out: killing bubblewrap orphans the sandbox's PID 1 to
 * init until --die-with-parent ends it and init reaps it, so it is not another workload's. Seen as
 * a zombie or still in a Crucible cgroup, with init as its parent.
 */
function dyingSandbox(pid: number, parent: number | undefined, state: string | undefined): boolean {
  if (parent !== 1) return false;
  if (state === "Z") return true;
  try {
    return /\/crucible-\d+-\d+$/m.test(readFileSync(`/proc/${pid}/cgroup`, "utf8"));
  } catch {
    return false;
  }
}

/** What a meter read: wall time, CPU of the whole machine, of this process, of everything else. */
export interface Reading {
  readonly elapsedMs: number;
  readonly machineCpuMs: number;
  readonly hostCpuMs: number;
  /** CPU time other work used meanwhile (see `otherCpuMs`): it disturbs the figures. */
  readonly foreignCpuMs: number;
}

/** Starts a meter; the returned function reads it. */
export function startMeter(): () => Reading {
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const other0 = otherCpuMs();
  const self0 = process.cpuUsage();
  return () => {
    const self = process.cpuUsage(self0);
    const machineCpuMs = machineBusyMs() - busy0;
    return {
      elapsedMs: performance.now() - t0,
      machineCpuMs,
      hostCpuMs: (self.user + self.system) / 1000,
      foreignCpuMs: Math.max(0, otherCpuMs() - other0),
    };
  };
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Share of the whole machine (all cores) that other work used during a reading. */
export function foreignShareOf(r: Reading, cores = availableParallelism()): number {
  return r.elapsedMs > 0 ? r.foreignCpuMs / (r.elapsedMs * cores) : 0;
}

/** Waits (at most `seconds`) for a second in which other processes use under 5% of the machine. */
export async function waitForQuiet(seconds: number): Promise<Reading> {
  let reading = startMeter()();
  for (let waited = 0; waited < seconds; waited++) {
    const stop = startMeter();
    await sleep(1000);
    reading = stop();
    if (foreignShareOf(reading) < 0.05) break;
  }
  return reading;
}

export interface RemeasureOptions {
  /** Past this share of the machine used by other processes, a measurement is taken again. */
  readonly disturbedShare: number;
  /** Times a disturbed measurement is taken again. */
  readonly attempts: number;
  /** Time the whole benchmark may spend on measuring again, so a busy machine cannot stretch it for long. */
  readonly budgetMs: number;
  /** How long to wait for an idle machine before measuring again. */
  readonly quietWaitS: number;
  readonly log: (message: string) => void;
}

/**
 * Returns `undisturbed(what, measure)`: it measures, and measures again (up to `attempts` times,
 * once the machine is idle, within one budget for every call) while other processes used more
 * than `disturbedShare` of the machine meanwhile: it may be shared. What is finally kept (the last
 * measurement) reports its own disturbance.
 */
export function remeasurer(options: RemeasureOptions): <T>(what: string, measure: () => Promise<T>) => Promise<{ value: T; foreignShare: number }> {
  let budgetMs = options.budgetMs;
  return async <T>(what: string, measure: () => Promise<T>) => {
    for (let attempt = 0; ; attempt++) {
      const stop = startMeter();
      const value = await measure();
      const reading = stop();
      const foreignShare = foreignShareOf(reading);
      if (foreignShare <= options.disturbedShare || attempt === options.attempts || budgetMs <= 0) return { value, foreignShare };
      options.log(`${what}: other processes used ${(100 * foreignShare).toFixed(0)}% of the machine; measuring again once it is idle`);
      const t = performance.now();
      await waitForQuiet(options.quietWaitS);
      budgetMs -= performance.now() - t + reading.elapsedMs;
    }
  };
}

/**
 * Runs `one` `runs` times from `concurrency` closed-loop callers (each starts its next run when
 * its last one ends). `one` resolves to null when the run did what it should, or to a description
 * of what went wrong.
 */
export async function drive(runs: number, concurrency: number, one: () => Promise<string | null>): Promise<Batch> {
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let started = 0;
  const stop = startMeter();
  const caller = async () => {
    while (started < runs) {
      started++;
      const t = performance.now();
      const failure = await one();
      latenciesMs.push(performance.now() - t);
      if (failure !== null) failures.push(failure);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { ...stop(), latenciesMs, failures };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns a program (no shell) and waits for it to exit and close its pipes. `fd3` is written to a
 * pipe at descriptor 3 and closed, which is how bubblewrap takes a seccomp filter.
 */
export function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; fd3?: Buffer } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: options.fd3 ? ["ignore", "pipe", "pipe", "pipe"] : ["ignore", "pipe", "pipe"],
      shell: false,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    if (options.fd3) {
      const pipe = child.stdio[3] as Writable;
      pipe.on("error", () => {});
      pipe.end(options.fd3);
    }
    child.once("error", reject);
    child.once("close", (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}

/** Null when the process exited 0, otherwise what happened (for a batch's failure list). */
export function exitFailure(exit: Exit): string | null {
  if (exit.code === 0) return null;
  return `exit ${exit.code ?? exit.signal}: ${exit.stderr.trim().slice(-300)}`;
}
