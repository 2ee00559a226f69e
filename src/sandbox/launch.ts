import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { CrucibleError } from "../errors.ts";
import { bwrapArgv, type BwrapSpec } from "./bwrap.ts";
import type { CgroupPool, SandboxCgroup } from "./cgroup.ts";
import type { HostFacts } from "./host.ts";
import { compileSeccompFilter } from "./seccomp.ts";

/** Descriptor numbers inside the sandbox: requests in, replies out, the seccomp filter for bwrap. */
export const REQUEST_FD = 3;
export const REPLY_FD = 4;
const SECCOMP_FD = 5;

const SECCOMP = compileSeccompFilter();

/**
 * Joins the sandbox's cgroups and sets rlimits before bwrap starts, so no process of the sandbox
 * ever runs outside its limits. Arguments: count, procs files…, rlimit flag/value pairs…, `--`,
 * the command.
 */
const WRAPPER = [
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 97; shift; n=$((n-1)); done',
  'while [ "$1" != -- ]; do ulimit "$1" "$2" || exit 98; shift 2; done; shift',
  'exec "$@"',
].join("\n");

/** Kernel rlimits set on the whole sandbox before it starts (used where a harness cannot set its own). */
export interface SandboxRlimits {
  readonly cpuSeconds?: number;
  readonly fileBytes?: number;
  readonly openFiles?: number;
}

export interface LaunchOptions {
  readonly host: HostFacts;
  readonly spec: Omit<BwrapSpec, "seccompFd" | "systemBinds" | "systemSymlinks">;
  /** Where this sandbox's cgroup comes from; null runs it on rlimits alone. */
  readonly cgroups: CgroupPool | null;
  /** Processes plus threads the cgroup allows. */
  readonly maxProcesses: number;
  readonly rlimits?: SandboxRlimits;
}

/** A running sandbox: a bwrap process group, its pipes, and its cgroup if any. */
export class SandboxProcess {
  readonly child: ChildProcess;
  readonly cgroup: SandboxCgroup | null;
  private readonly pool: CgroupPool | null;
  readonly requests: Writable;
  readonly replies: Readable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves when the bwrap process has exited and its pipes are closed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private dead = false;

  constructor(options: LaunchOptions) {
    const { host } = options;
    if (!host.bwrapPath) {
      throw new CrucibleError(
        "sandbox_unavailable",
        "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: apt-get install bubblewrap) or run `crucible doctor`",
      );
    }
    this.pool = options.cgroups;
    this.cgroup = this.pool?.acquire(options.maxProcesses) ?? null;
    const argv = bwrapArgv({
      ...options.spec,
      systemBinds: host.systemBinds,
      systemSymlinks: host.systemSymlinks,
      seccompFd: SECCOMP_FD,
    });
    const limits: string[] = [];
    const r = options.rlimits ?? {};
    if (r.cpuSeconds !== undefined) limits.push("-t", String(r.cpuSeconds));
    // dash counts -f in 512-byte blocks.
    if (r.fileBytes !== undefined) limits.push("-f", String(Math.max(0, Math.floor(r.fileBytes / 512))));
    if (r.openFiles !== undefined) limits.push("-n", String(r.openFiles));
    const procs = this.cgroup?.procsFiles ?? [];
    // bwrap maps the guest's uid onto the uid that starts it. Started by root, the guest would be
    // host root to every owner-only check (/proc/sys, 0400 files in /proc): drop to nobody first.
    if (host.dropToUid !== null && !host.setprivPath) {
      this.releaseCgroup();
      throw new CrucibleError("sandbox_unavailable", "running as root needs setpriv to start sandboxes as an unprivileged user; install util-linux");
    }
    const command =
      host.dropToUid !== null && host.setprivPath
        ? [host.setprivPath, `--reuid=${host.dropToUid}`, `--regid=${host.dropToUid}`, "--clear-groups", "--", host.bwrapPath, ...argv]
        : [host.bwrapPath, ...argv];
    const useWrapper = procs.length > 0 || limits.length > 0;
    const file = useWrapper ? "/bin/sh" : command[0]!;
    const args = useWrapper ? ["-c", WRAPPER, "sh", String(procs.length), ...procs, ...limits, "--", ...command] : command.slice(1);
    try {
      this.child = spawn(file, args, {
        stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", "pipe"],
        detached: true,
        shell: false,
        env: { PATH: "/usr/bin:/bin" },
      });
    } catch (cause) {
      this.releaseCgroup();
      throw new CrucibleError("sandbox_unavailable", "could not start bubblewrap", { cause });
    }
    const stdio = this.child.stdio as unknown as (Readable | Writable)[];
    this.requests = stdio[REQUEST_FD] as Writable;
    this.replies = stdio[REPLY_FD] as Readable;
    this.stdout = stdio[1] as Readable;
    this.stderr = stdio[2] as Readable;
    const seccomp = stdio[SECCOMP_FD] as Writable;
    seccomp.on("error", () => {});
    seccomp.end(SECCOMP);
    this.requests.on("error", () => {});
    this.exited = new Promise((resolve) => {
      this.child.once("error", () => resolve({ code: null, signal: null }));
      this.child.once("close", (code, signal) => {
        this.dead = true;
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return !this.dead && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL for the whole process group and everything in the cgroup; waits for the exit. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.alive) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    // Once given back, the group may already hold another sandbox: never signal through it again.
    if (!this.released) this.cgroup?.killAll();
    await this.exited;
  }

  /** Kills and gives the cgroup back. */
  async dispose(): Promise<void> {
    await this.kill();
    this.releaseCgroup();
  }

  private released = false;
  private releaseCgroup(): void {
    if (this.released || !this.cgroup) return;
    this.released = true;
    this.pool?.release(this.cgroup);
  }
}
