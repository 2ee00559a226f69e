import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

/**
 * Memory and process limits for a whole sandbox, enforced by the kernel from outside it. Works with
 * cgroup v1 (memory and pids hierarchies, as on these machines) and with cgroup v2 where the
 * current group delegates `memory` and `pids` to its children. When neither is writable the host
 * falls back to rlimits, which `crucible doctor` reports.
 */
export interface CgroupSupport {
  readonly version: 1 | 2;
  /** Directory under which this process may create groups, per controller. */
  readonly memoryParent: string;
  readonly pidsParent: string;
  /** cgroup v1 cpuacct directory (v2 keeps CPU time in the memory group's cpu.stat), if any. */
  readonly cpuParent: string | null;
}

/** Finds writable memory and pids controllers for this process; `null` when there are none. */
export function detectCgroups(procSelfCgroup = "/proc/self/cgroup", mounts = "/proc/self/mountinfo"): CgroupSupport | null {
  let lines: string[];
  let mountLines: string[];
  try {
    lines = readFileSync(procSelfCgroup, "utf8").trim().split("\n");
    mountLines = readFileSync(mounts, "utf8").trim().split("\n");
  } catch {
    return null;
  }
  const v1 = (controller: string): string | null => {
    const line = lines.find((l) => l.split(":")[1]?.split(",").includes(controller));
    const mount = mountLines.find((m) => {
      const [, opts] = m.split(" - ");
      return opts?.startsWith("cgroup ") && opts.split(" ")[2]?.split(",").includes(controller);
    });
    if (!line || !mount) return null;
    const mountPoint = mount.split(" ")[4];
    const path = line.split(":").slice(2).join(":");
    return mountPoint ? join(mountPoint, path) : null;
  };
  const memory = v1("memory");
  const pids = v1("pids");
  if (memory && pids && probeWritable(memory) && probeWritable(pids)) {
    const cpu = v1("cpuacct");
    return { version: 1, memoryParent: memory, pidsParent: pids, cpuParent: cpu && probeWritable(cpu) ? cpu : null };
  }
  const unifiedLine = lines.find((l) => l.startsWith("0::"));
  const unifiedMount = mountLines.find((m) => m.split(" - ")[1]?.startsWith("cgroup2 "));
  if (unifiedLine && unifiedMount) {
    const dir = join(unifiedMount.split(" ")[4] ?? "/sys/fs/cgroup", unifiedLine.slice(3));
    try {
      const delegated = readFileSync(join(dir, "cgroup.subtree_control"), "utf8").split(/\s+/);
      if (delegated.includes("memory") && delegated.includes("pids") && probeWritable(dir)) {
        return { version: 2, memoryParent: dir, pidsParent: dir, cpuParent: null };
      }
    } catch {
      // not delegated
    }
  }
  return null;
}

function probeWritable(dir: string): boolean {
  const probe = join(dir, `crucible-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

let counter = 0;

/** One sandbox's groups. Create before spawning, `procsFiles` go to the spawn wrapper. */
export class SandboxCgroup {
  readonly support: CgroupSupport;
  readonly dirs: readonly string[];
  private readonly memoryDir: string;
  private readonly pidsDir: string;
  private readonly cpuDir: string | null;

  constructor(support: CgroupSupport, maxProcesses: number) {
    this.support = support;
    const name = `crucible-${process.pid}-${++counter}`;
    this.memoryDir = join(support.memoryParent, name);
    this.pidsDir = join(support.pidsParent, name);
    this.cpuDir = support.cpuParent ? join(support.cpuParent, name) : null;
    this.dirs =
      support.version === 1 ? [this.memoryDir, this.pidsDir, ...(this.cpuDir ? [this.cpuDir] : [])] : [this.memoryDir];
    for (const dir of this.dirs) mkdirSync(dir);
    try {
      this.setMaxProcesses(maxProcesses);
      if (support.version === 1) this.write(this.memoryDir, "memory.swappiness", "0");
    } catch (error) {
      this.remove();
      throw error;
    }
  }

  /** Files a process writes its pid to in order to join every controller. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, "cgroup.procs"));
  }

  /** True when no process is left in any of the groups. */
  isEmpty(): boolean {
    return this.dirs.every((dir) => this.pids(dir).length === 0);
  }

  /** Clears the per-use counters (CPU time, peak memory) so the group can serve another sandbox. */
  resetForReuse(): void {
    this.resetPeak();
    if (this.cpuDir) {
      try {
        this.write(this.cpuDir, "cpuacct.usage", "0");
      } catch {
        // the next user measures a delta anyway
      }
    }
  }

  /** Caps processes plus threads in the sandbox. */
  setMaxProcesses(count: number): void {
    this.write(this.pidsDir, "pids.max", String(count));
  }

  /** Caps memory (no swap) for everything in the sandbox. */
  setMemoryLimit(bytes: number): void {
    if (this.support.version === 1) {
      // v1 insists on limit <= memsw.limit at every moment: raise memsw first, lower it last.
      const memsw = existsSync(join(this.memoryDir, "memory.memsw.limit_in_bytes"));
      const raising = bytes > this.readNumber(this.memoryDir, "memory.limit_in_bytes");
      if (memsw && raising) this.write(this.memoryDir, "memory.memsw.limit_in_bytes", String(bytes));
      this.write(this.memoryDir, "memory.limit_in_bytes", String(bytes));
      if (memsw && !raising) this.write(this.memoryDir, "memory.memsw.limit_in_bytes", String(bytes));
    } else {
      this.write(this.memoryDir, "memory.max", String(bytes));
      this.write(this.memoryDir, "memory.swap.max", "0");
    }
  }

  usageBytes(): number {
    return this.readNumber(this.memoryDir, this.support.version === 1 ? "memory.usage_in_bytes" : "memory.current");
  }

  /** Peak usage since the last `resetPeak` (v1), or since creation (v2 without a writable peak). */
  peakBytes(): number {
    return this.readNumber(this.memoryDir, this.support.version === 1 ? "memory.max_usage_in_bytes" : "memory.peak");
  }

  resetPeak(): void {
    try {
      this.write(this.memoryDir, this.support.version === 1 ? "memory.max_usage_in_bytes" : "memory.peak", "0");
    } catch {
      // older v2 kernels cannot reset memory.peak
    }
  }

  /** CPU time used by everything in the group so far, in ms. */
  cpuMs(): number {
    if (this.support.version === 2) {
      try {
        const text = readFileSync(join(this.memoryDir, "cpu.stat"), "utf8");
        const match = /^usage_usec (\d+)$/m.exec(text);
        return match ? Number(match[1]) / 1000 : 0;
      } catch {
        return 0;
      }
    }
    return this.cpuDir ? this.readNumber(this.cpuDir, "cpuacct.usage") / 1e6 : 0;
  }

  /** How many times the kernel's OOM killer fired in this group. */
  oomKills(): number {
    const file = this.support.version === 1 ? "memory.oom_control" : "memory.events";
    try {
      const text = readFileSync(join(this.memoryDir, file), "utf8");
      const match = /^oom_kill (\d+)$/m.exec(text);
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** How many times a fork was refused for the pids limit. */
  pidsRefusals(): number {
    try {
      const text = readFileSync(join(this.pidsDir, "pids.events"), "utf8");
      const match = /^max (\d+)$/m.exec(text);
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** Kills every process left in the group (v1 has no cgroup.kill: signal each pid). */
  killAll(): void {
    for (const dir of this.dirs) {
      if (this.support.version === 2 && existsSync(join(dir, "cgroup.kill"))) {
        try {
          this.write(dir, "cgroup.kill", "1");
          continue;
        } catch {
          // fall through to per-pid kill
        }
      }
      for (const pid of this.pids(dir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }

  /** Removes the groups; retried briefly while the last processes are reaped. */
  remove(): void {
    for (const dir of this.dirs) {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") break;
          this.killAllIn(dir);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        }
      }
    }
  }

  private killAllIn(dir: string): void {
    for (const pid of this.pids(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }

  private pids(dir: string): number[] {
    try {
      return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  private write(dir: string, file: string, value: string): void {
    writeFileSync(join(dir, file), value);
  }

  private readNumber(dir: string, file: string): number {
    try {
      return Number(readFileSync(join(dir, file), "utf8").trim()) || 0;
    } catch {
      return 0;
    }
  }
}

/**
 * Keeps emptied groups for the next sandbox: making and removing a memory cgroup costs the kernel
 * more than a short run does (memcg setup and offlining), and JavaScript runs start a sandbox each.
 * A group is reused only when no process is left in it; counters are read as deltas anyway.
 */
export class CgroupPool {
  readonly support: CgroupSupport;
  private readonly spare: SandboxCgroup[] = [];
  private readonly maxSpare: number;

  constructor(support: CgroupSupport, maxSpare = 16) {
    this.support = support;
    this.maxSpare = maxSpare;
  }

  acquire(maxProcesses: number): SandboxCgroup {
    const group = this.spare.pop();
    if (group) {
      group.setMaxProcesses(maxProcesses);
      return group;
    }
    return new SandboxCgroup(this.support, maxProcesses);
  }

  release(group: SandboxCgroup): void {
    if (this.spare.length < this.maxSpare && group.isEmpty()) {
      group.resetForReuse();
      this.spare.push(group);
    } else {
      group.remove();
    }
  }

  /** Removes every spare group. */
  dispose(): void {
    for (const group of this.spare.splice(0)) group.remove();
  }
}
