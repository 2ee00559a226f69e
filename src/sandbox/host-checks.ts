import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { DoctorCheck } from "./doctor.ts";

/**
 * The host settings that make run times vary or limits leak, checked the way isolate's
 * `isolate-check-environment` does: swap (memory limits must not spill into it), SMT, CPU frequency
 * scaling and boost, transparent huge pages, core dumps piped to a program (slow crashes), and hard
 * link protection. They are warnings: the sandbox still runs, but timings (efficiency checks) are
 * noisier. Reads from `root` so tests can point it at a fake /proc and /sys.
 */
export async function timingChecks(root = "/"): Promise<DoctorCheck[]> {
  const read = (path: string) => readFile(join(root, path), "utf8").then((t) => t.trim(), () => null);
  const checks: DoctorCheck[] = [];
  const warn = (name: string, ok: boolean, detail: string, fix: string) =>
    checks.push(ok ? { name, ok, detail } : { name, ok, detail, fix, warning: true });

  const swaps = await read("proc/swaps");
  if (swaps !== null) {
    const active = swaps.split("\n").slice(1).filter((l) => l.trim()).length;
    warn("swap", active === 0, active === 0 ? "no swap" : `${active} swap area(s) active: memory limits also cap swap only where memsw accounting exists`, "swapoff -a");
  }
  const smt = await read("sys/devices/system/cpu/smt/active");
  if (smt !== null) warn("smt", smt === "0", smt === "0" ? "simultaneous multithreading off" : "simultaneous multithreading on: sibling threads share a core", "echo off > /sys/devices/system/cpu/smt/control");

  const cpufreq = join(root, "sys/devices/system/cpu/cpufreq");
  const policies = await readdir(cpufreq).catch(() => [] as string[]);
  const governors = (await Promise.all(policies.map((p) => read(join("sys/devices/system/cpu/cpufreq", p, "scaling_governor"))))).filter(
    (g): g is string => g !== null,
  );
  if (governors.length > 0) {
    const slow = governors.filter((g) => g !== "performance");
    warn("cpu frequency", slow.length === 0, slow.length === 0 ? "governor: performance" : `governor: ${[...new Set(slow)].join(", ")}`, "echo performance | tee /sys/devices/system/cpu/cpufreq/*/scaling_governor");
  }
  const noTurbo = await read("sys/devices/system/cpu/intel_pstate/no_turbo");
  if (noTurbo !== null) warn("frequency boost", noTurbo === "1", noTurbo === "1" ? "Intel turbo off" : "Intel turbo on", "echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo");
  const boost = await read("sys/devices/system/cpu/cpufreq/boost");
  if (boost !== null) warn("frequency boost", boost === "0", boost === "0" ? "boost off" : "boost on", "echo 0 > /sys/devices/system/cpu/cpufreq/boost");

  const thp = await read("sys/kernel/mm/transparent_hugepage/enabled");
  if (thp !== null) {
    const never = thp.includes("[never]");
    warn("transparent hugepages", never, `enabled: ${thp}`, "echo never > /sys/kernel/mm/transparent_hugepage/enabled");
  }
  const core = await read("proc/sys/kernel/core_pattern");
  if (core !== null) warn("core pattern", !core.startsWith("|"), core.startsWith("|") ? `core files are piped to ${core.slice(1).split(" ")[0]}: crashes are slow` : `core_pattern: ${core}`, "echo core > /proc/sys/kernel/core_pattern");
  const hardlinks = await read("proc/sys/fs/protected_hardlinks");
  if (hardlinks !== null) warn("hard link protection", hardlinks !== "0", `protected_hardlinks = ${hardlinks}`, "echo 1 > /proc/sys/fs/protected_hardlinks");
  return checks;
}
