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

interface Proc {
  readonly parent: number;
  readonly state: string;
  /** utime + stime + cutime + cstime, in clock ticks: its own CPU and that of the children it reaped. */
  readonly ticks: number;
  /** Start time since boot, in ticks: with the pid, it names one process (pids are reused). */
  readonly start: number;
}

/** Every process of the machine from /proc/<pid>/stat. */
function processTable(): Map<number, Proc> {
  const table = new Map<number, Proc>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name (which may hold spaces): state ppid … utime stime cutime cstime … starttime.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.set(Number(entry), {
      state: fields[0] ?? "",
      parent: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
      start: Number(fields[19]),
    });
  }
  return table;
}

function inOurTree(table: ReadonlyMap<number, Proc>, pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; p = table.get(p)?.parent ?? 0, hops++) if (p === process.pid) return true;
  return false;
}

/** Kernel threads (they tear down sandboxes' namespaces and cgroups) and init. */
function systemProcess(table: ReadonlyMap<number, Proc>, pid: number): boolean {
  return pid === 1 || pid === 2 || table.get(pid)?.parent === 2;
}

/**
 * CPU time used by other work: every process outside this one's tree, except kernel threads,
 * init (it reaps what the sandbox kills, since a killed bubblewrap orphans its PID 1) and those
 * orphans themselves. Each process counts utime + stime + cutime + cstime, so a process that exits
 * moves into its waiting parent's cutime and the sum moves smoothly as processes come and go.
 * What init reaps leaves the sum, though: another workload that closes sandboxes (another Crucible)
 * hides from it; `watchForeign` sees it.
 */
function otherCpuMs(): number {
  const table = processTable();
  let ticks = 0;
  for (const [pid, p] of table) {
    if (systemProcess(table, pid) || inOurTree(table, pid) || dyingSandbox(pid, p.parent, p.state)) continue;
    ticks += p.ticks;
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
}

/**
 * A process of a closed sandbox on its way out: killing bubblewrap orphans the sandbox's PID 1 to
 * init until --die-with-parent ends it and init reaps it, so it is not another workload's. Seen as
 * a zombie or still in a Crucible cgroup, with init as its parent. With `ownerPid`, only a cgroup
 * of that process's sandboxes counts (their names are `crucible-<pid>-<n>`).
 */
function dyingSandbox(pid: number, parent: number | undefined, state: string | undefined, ownerPid?: number): boolean {
  if (parent !== 1) return false;
  if (state === "Z" && ownerPid === undefined) return true;
  try {
    const cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
    return ownerPid === undefined ? /\/crucible-\d+-\d+$/m.test(cgroup) : new RegExp(`/crucible-${ownerPid}-\\d+$`, "m").test(cgroup);
  } catch {
    return false;
  }
}

/**
 * Watches the other work's CPU time by sampling the process table every `intervalMs`, for
 * workloads whose processes init reaps (another Crucible closing its sandboxes): the sum of
 * `otherCpuMs` drops by all the CPU such a process ever used when it goes, hiding other work. Here
 * a process that vanished (or became a zombie for init to reap) without a living parent to reap it
 * gives back what it had used when last seen. Whether a process is this one's (its tree, or an
 * orphan of its own sandboxes) is decided once and kept, since an orphan soon loses both marks.
 * Processes born and reaped by init between two samples go unseen (with another Crucible whose
 * sandboxes lived about a second each, it saw three quarters of that CPU); one reaped by a parent
 * that dies next may count twice (it errs towards "disturbed"). Sampling costs this process about
 * a millisecond per hundred processes.
 */
export function watchForeign(intervalMs: number): () => number {
  const key = (pid: number, p: Proc) => `${pid}@${p.start}`;
  const ours = new Set<string>();
  const classify = (table: ReadonlyMap<number, Proc>) => {
    const counted = new Map<number, Proc>();
    for (const [pid, p] of table) {
      // A zombie that init will reap: it may be an orphan of this process's sandboxes never seen alive.
      if (systemProcess(table, pid) || (p.state === "Z" && p.parent === 1)) continue;
      const k = key(pid, p);
      if (ours.has(k) || inOurTree(table, pid) || dyingSandbox(pid, p.parent, p.state, process.pid)) {
        ours.add(k);
        continue;
      }
      counted.set(pid, p);
    }
    return counted;
  };
  const sum = (counted: ReadonlyMap<number, Proc>) => [...counted.values()].reduce((n, p) => n + p.ticks, 0);
  let previous = classify(processTable());
  const first = sum(previous);
  let lost = 0;
  const sample = () => {
    const table = processTable();
    const current = classify(table);
    for (const [pid, p] of previous) {
      const now = current.get(pid);
      if (now && now.start === p.start) continue;
      const parent = previous.get(p.parent);
      const reaper = current.get(p.parent);
      if (!(parent && reaper && reaper.start === parent.start)) lost += p.ticks;
    }
    previous = current;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
    return (Math.max(0, sum(previous) - first + lost) * 1000) / CLOCK_TICKS_PER_SEC;
  };
}

/** What a meter read: wall time, CPU of the whole machine, of this process, of everything else. */
export interface Reading {
  readonly elapsedMs: number;
  readonly machineCpuMs: number;
  readonly hostCpuMs: number;
  /** CPU time other work used meanwhile (see `otherCpuMs`): it disturbs the figures. */
  readonly foreignCpuMs: number;
}

/**
 * Starts a meter; the returned function reads it. With `watchMs`, other work's CPU time comes from
 * `watchForeign` sampling every `watchMs` (for long measurements on a machine another Crucible may
 * share); otherwise from two reads of `otherCpuMs`, which adds nothing to this process's CPU.
 */
export function startMeter(options: { watchMs?: number } = {}): () => Reading {
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const watch = options.watchMs === undefined ? null : watchForeign(options.watchMs);
  const other0 = watch ? 0 : otherCpuMs();
  const self0 = process.cpuUsage();
  return () => {
    const self = process.cpuUsage(self0);
    const machineCpuMs = machineBusyMs() - busy0;
    return {
      elapsedMs: performance.now() - t0,
      machineCpuMs,
      hostCpuMs: (self.user + self.system) / 1000,
      // A watch errs towards counting twice; other work cannot have used more than the machine did.
      foreignCpuMs: watch ? Math.min(watch(), machineCpuMs) : Math.max(0, otherCpuMs() - other0),
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
  /** Watch other work by sampling (see `startMeter`), in ms between samples. */
  readonly watchMs?: number;
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
      const stop = startMeter(options.watchMs === undefined ? {} : { watchMs: options.watchMs });
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
