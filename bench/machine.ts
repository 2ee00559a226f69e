// What the benchmarks say about the machine they ran on: CPU, cores, memory, kernel, runtimes, and
// how busy it was just before they started.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";
import type { BenchHost } from "./baselines.ts";
import { waitForQuiet } from "./measure.ts";

export interface Machine {
  readonly cpu: string;
  readonly virtual: boolean;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly python: string;
  readonly bwrap: string;
  readonly cgroups: string;
  readonly loadAverage: string;
  /** Share of all cores busy (with anything) in the second before the benchmark started. */
  readonly busyBeforePercent: number;
}

function version(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return "unavailable";
  }
}

/**
 * The machine's facts. Anything else running would skew every figure, so it first waits (at most
 * `quietWaitS`) for the machine to be idle, and records how busy it was just before the start.
 */
export async function machineFacts(host: BenchHost, quietWaitS: number, log: (message: string) => void): Promise<Machine> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  log(`waiting (at most ${quietWaitS} s) for the machine to be idle`);
  const before = await waitForQuiet(quietWaitS);
  const cores = availableParallelism();
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU",
    virtual: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
    cores,
    memoryGiB: totalmem() / 2 ** 30,
    kernel: release(),
    node: process.version,
    python: `${version(host.pythonPath, ["--version"]).replace(/^Python /, "")} (${host.pythonPath})`,
    bwrap: version(host.bwrapPath, ["--version"]).replace(/^bubblewrap /, ""),
    cgroups: host.cgroups ? `v${host.cgroups.version}` : "none (rlimits)",
    loadAverage: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    busyBeforePercent: (100 * before.machineCpuMs) / (before.elapsedMs * cores),
  };
}

/** The "**Machine.**" paragraph of a benchmark section. */
export function describeMachine(m: Machine): string {
  return (
    `**Machine.** ${m.cpu}${m.virtual ? " (virtual machine)" : ""}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB memory, ` +
    `Linux ${m.kernel}, Node ${m.node}, Python ${m.python}, bubblewrap ${m.bwrap}, cgroup ${m.cgroups}. ` +
    `Before it started the machine was ${m.busyBeforePercent.toFixed(0)}% busy (load average ${m.loadAverage}); anything else ` +
    "running during the benchmark would show in these figures."
  );
}
