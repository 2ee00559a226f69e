import { readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CrucibleError } from "../errors.ts";
import { baseGuestEnv, GUEST_HARNESS_DIR, GUEST_NODE_DIR } from "./bwrap.ts";
import { decode, decodeException, Encoded, type Wire } from "./guest/codec.mjs";
import { encodeFrame, FrameReader } from "./frames.ts";
import { guestBinds, type HostFacts } from "./host.ts";
import type { CgroupPool } from "./cgroup.ts";
import { SandboxProcess } from "./launch.ts";
import type { Limits } from "./policy.ts";
import type { CallVerdict, Verdict, VerdictStatus } from "./verdict.ts";

const MiB = 1024 * 1024;
/** Node's own resident memory (runtime, harness) that the guest's memory limit comes on top of. */
const NODE_BASELINE_BYTES = 96 * MiB;
const OWN_PROCESSES = 2;
const START_TIMEOUT_MS = 15_000;

export interface NodeGuestOptions {
  readonly host: HostFacts;
  /** The owner's cgroups, or null to run on rlimits alone. */
  readonly cgroups: CgroupPool | null;
  /** Fixed at spawn: diskBytes, cpuTimeMs, maxFileBytes, maxOpenFiles, memoryBytes (V8 heap cap). */
  readonly limits: Limits;
  readonly env: Readonly<Record<string, string>>;
}

/** The limits a pre-spawned process is started with; a run with other values needs its own process. */
export function spawnKey(limits: Limits): string {
  return [limits.diskBytes, limits.cpuTimeMs, limits.maxFileBytes, limits.maxOpenFiles, limits.memoryBytes].join(":");
}

/** Reads a stream through a cap; `onOver` fires once when the cap is passed. */
class CappedSink {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(stream: Readable, cap: () => number, onOver: () => void) {
    stream.on("data", (chunk: Buffer) => {
      if (this.truncated) return;
      const room = cap() - this.size;
      if (chunk.length > room) {
        if (room > 0) this.chunks.push(chunk.subarray(0, room));
        this.size += Math.max(room, 0);
        this.truncated = true;
        onOver();
        return;
      }
      this.chunks.push(chunk);
      this.size += chunk.length;
    });
  }
  take(): string {
    const text = Buffer.concat(this.chunks).toString("utf8");
    this.chunks.length = 0;
    this.size = 0;
    const truncated = this.truncated;
    this.truncated = false;
    this.lastTruncated = truncated;
    return text;
  }
  lastTruncated = false;
}

/**
 * One sandboxed Node process. Spawned ahead of need; it reports ready, then serves either one `run`
 * (and exits) or a session (`open`, then `call`s). The host decides every verdict field from outside:
 * exit status, wall time (its own timer, which kills), CPU time and peak memory (the cgroup), and
 * output caps (it reads the pipes itself).
 */
export class NodeGuest {
  readonly key: string;
  readonly ready: Promise<void>;
  private readonly proc: SandboxProcess;
  private readonly reader: FrameReader;
  private readonly out: CappedSink;
  private readonly err: CappedSink;
  private readonly frames: Record<string, unknown>[] = [];
  private frameWaiter: (() => void) | null = null;
  private cap: number;
  private killedFor: "timeout" | "output_limit" | "disk_limit" | "cancelled" | "protocol" | null = null;
  private maxFiles: number;
  private protocolError: string | null = null;

  constructor(options: NodeGuestOptions) {
    const { host, limits } = options;
    if (!host.nodeHome) throw new CrucibleError("sandbox_unavailable", "no Node runtime to give JavaScript guests; run `crucible doctor`");
    this.key = spawnKey(limits);
    this.cap = limits.maxOutputBytes;
    this.maxFiles = Math.max(1024, Math.floor(limits.diskBytes / 4096));
    const heapMiB = Math.ceil((2 * limits.memoryBytes) / MiB);
    this.proc = new SandboxProcess({
      host,
      cgroups: options.cgroups,
      maxProcesses: limits.maxProcesses + OWN_PROCESSES,
      rlimits: {
        cpuSeconds: Math.max(1, Math.ceil(limits.cpuTimeMs / 1000)),
        fileBytes: limits.maxFileBytes,
        openFiles: limits.maxOpenFiles,
      },
      spec: {
        extraBinds: [...guestBinds(host), { hostPath: host.nodeHome, guestPath: GUEST_NODE_DIR }],
        env: { ...baseGuestEnv([join(GUEST_NODE_DIR, "bin")]), ...options.env },
        limits,
        command: [
          join(GUEST_NODE_DIR, "bin", "node"),
          // With a memory cgroup the kernel holds the limit; the heap flag, which costs every start
          // ~3 ms, is the fallback without one.
          ...(host.cgroups ? [] : [`--max-old-space-size=${heapMiB}`]),
          join(GUEST_HARNESS_DIR, "harness.cjs"),
        ],
      },
    });
    this.proc.cgroup?.setMemoryLimit(NODE_BASELINE_BYTES + limits.memoryBytes);
    this.reader = new FrameReader(
      2 * limits.maxOutputBytes + 256 * MiB,
      (frame) => {
        if (frame === null || typeof frame !== "object") return this.breach("a frame that is not an object");
        this.frames.push(frame as Record<string, unknown>);
        this.frameWaiter?.();
      },
      (error) => this.breach(error.message),
    );
    this.proc.replies.on("data", (chunk: Buffer) => this.reader.push(chunk));
    this.out = new CappedSink(this.proc.stdout, () => this.cap, () => this.killFor("output_limit"));
    this.err = new CappedSink(this.proc.stderr, () => this.cap, () => this.killFor("output_limit"));
    this.ready = this.nextFrame(START_TIMEOUT_MS).then((frame) => {
      if (!frame?.["ready"]) throw new CrucibleError("sandbox_unavailable", `the Node sandbox did not start: ${this.err.take().slice(-2000)}`);
    });
    this.ready.catch(() => void this.proc.dispose());
  }

  get alive(): boolean {
    return this.proc.alive;
  }

  /** Runs one JavaScript program (TypeScript is stripped by the caller) and ends the process. */
  async run(program: { code: string; argv?: readonly string[] }, limits: Limits, signal?: AbortSignal): Promise<Verdict> {
    await this.ready;
    const start = this.begin(limits);
    this.send({ op: "run", code: program.code, argv: program.argv ?? [] });
    const stop = this.arm(limits.wallTimeMs, signal);
    const exit = await this.proc.exited;
    stop();
    const verdict = this.verdictAfterExit(start, limits, exit);
    await this.proc.dispose();
    if (this.killedFor === "cancelled") throw new CrucibleError("aborted", "the run was cancelled and its sandbox killed");
    return verdict;
  }

  /** Loads session code; resolves to the load verdict. The process stays up when it is `ok`. */
  async open(code: string, filename: string, limits: Limits, signal?: AbortSignal): Promise<Verdict> {
    await this.ready;
    const start = this.begin(limits);
    this.send({ op: "open", code, filename });
    return this.awaitReply(start, limits, signal);
  }

  async call(body: { entry?: string; args?: unknown; exec?: string }, limits: Limits, signal?: AbortSignal, raw = false): Promise<CallVerdict> {
    const start = this.begin(limits);
    this.send({ op: "call", ...body });
    return this.awaitReply(start, limits, signal, raw);
  }

  async close(): Promise<void> {
    await this.proc.dispose();
  }

  private async awaitReply(start: RunStart, limits: Limits, signal?: AbortSignal, raw = false): Promise<CallVerdict> {
    const stop = this.arm(limits.wallTimeMs, signal);
    const frame = await this.nextFrame(null);
    stop();
    if (this.killedFor === "cancelled") {
      await this.proc.dispose();
      throw new CrucibleError("aborted", "the call was cancelled and its sandbox killed");
    }
    if (frame && !this.killedFor && ("value" in frame || "exception" in frame || "loaded" in frame)) {
      await settle();
      const base = this.measure(start, limits);
      if ("exception" in frame) {
        return { ...base, status: "error", reason: null, exception: decodeException(frame["exception"]) };
      }
      if ("loaded" in frame) return { ...base, status: "ok", reason: null };
      let value: unknown;
      try {
        value = raw ? new Encoded(frame["value"] as Wire) : decode(frame["value"]);
      } catch (error) {
        this.breach(`a value that does not decode: ${(error as Error).message}`);
        return { ...base, status: "sandbox_error", reason: this.protocolError };
      }
      const callMs = typeof frame["callNs"] === "number" ? frame["callNs"] / 1e6 : undefined;
      return { ...base, status: "ok", reason: null, value, ...(callMs === undefined ? {} : { callMs }) };
    }
    // No answer: the process hung, flooded output, broke protocol or died. It is gone either way.
    if (this.proc.alive) await this.proc.kill();
    const exit = await this.proc.exited;
    const verdict = this.verdictAfterExit(start, limits, exit);
    await this.proc.dispose();
    // A call that ended the process (process.exit(0)) returned nothing: that is no success.
    if (verdict.status === "ok") {
      return { ...verdict, status: "error", reason: `the guest code ended the interpreter (exit status ${String(verdict.exitCode)}) instead of answering` };
    }
    return verdict;
  }

  private begin(limits: Limits): RunStart {
    this.cap = limits.maxOutputBytes;
    this.killedFor = null;
    const cgroup = this.proc.cgroup;
    if (cgroup) {
      cgroup.setMemoryLimit(NODE_BASELINE_BYTES + limits.memoryBytes);
      cgroup.setMaxProcesses(limits.maxProcesses + OWN_PROCESSES);
      cgroup.resetPeak();
    }
    return { t0: performance.now(), cpu0: cgroup?.cpuMs() ?? 0, oom0: cgroup?.oomKills() ?? 0 };
  }

  private send(body: Record<string, unknown>): void {
    this.proc.requests.write(encodeFrame(body));
  }

  /** Kills the sandbox at the wall time or on abort; returns the disarm function. */
  private arm(wallTimeMs: number, signal?: AbortSignal): () => void {
    const timer = setTimeout(() => this.killFor("timeout"), wallTimeMs);
    // tmpfs has no inode cap bwrap can set: count the files of the writable area from outside.
    const base = this.filesInWritableArea();
    const poll = setInterval(() => {
      if (this.filesInWritableArea() - base > this.maxFiles) this.killFor("disk_limit");
    }, 50);
    const onAbort = () => this.killFor("cancelled");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    return () => {
      clearTimeout(timer);
      clearInterval(poll);
      signal?.removeEventListener("abort", onAbort);
    };
  }

  /** Inodes in use in the guest's /tmp and /dev/shm, read through its root in the host's /proc. */
  private filesInWritableArea(): number {
    const outer = this.proc.child.pid;
    try {
      const guest = readFileSync(`/proc/${outer}/task/${outer}/children`, "utf8").trim().split(/\s+/)[0];
      if (!guest) return 0;
      let used = 0;
      for (const dir of ["tmp", "dev/shm"]) {
        const s = statfsSync(`/proc/${guest}/root/${dir}`);
        used += s.files - s.ffree;
      }
      return used;
    } catch {
      return 0;
    }
  }

  private killFor(why: NonNullable<NodeGuest["killedFor"]>): void {
    if (this.killedFor === null) this.killedFor = why;
    void this.proc.kill();
    this.frameWaiter?.();
  }

  private breach(message: string): void {
    this.protocolError = `protocol breach by the guest: ${message}`;
    this.killFor("protocol");
  }

  private nextFrame(timeoutMs: number | null): Promise<Record<string, unknown> | null> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const frame = this.frames.shift();
        if (frame || this.killedFor || !this.proc.alive) {
          clearTimeout(timer);
          this.frameWaiter = null;
          resolve(frame ?? null);
          return true;
        }
        return false;
      };
      if (check()) return;
      this.frameWaiter = () => void check();
      void this.proc.exited.then(() => setImmediate(() => this.frameWaiter?.()));
      if (timeoutMs !== null) timer = setTimeout(() => (this.frameWaiter = null, resolve(null)), timeoutMs);
    });
  }

  private measure(start: RunStart, _limits: Limits): Omit<Verdict, "status" | "reason"> {
    const cgroup = this.proc.cgroup;
    const stdout = this.out.take();
    const stdoutTruncated = this.out.lastTruncated;
    const stderr = this.err.take();
    const stderrTruncated = this.err.lastTruncated;
    return {
      exitCode: null,
      signal: null,
      wallMs: performance.now() - start.t0,
      cpuMs: cgroup ? cgroup.cpuMs() - start.cpu0 : 0,
      peakMemoryBytes: cgroup?.peakBytes() ?? 0,
      stdout,
      stderr,
      stdoutTruncated,
      stderrTruncated,
    };
  }

  private verdictAfterExit(start: RunStart, limits: Limits, exit: { code: number | null; signal: NodeJS.Signals | null }): Verdict {
    const base = this.measure(start, limits);
    const oom = (this.proc.cgroup?.oomKills() ?? 0) > start.oom0;
    const exception = this.frames.find((f) => "exception" in f)?.["exception"];
    const guestException = exception && typeof exception === "object" ? decodeException(exception) : undefined;
    // bwrap exits with 128 + n when the guest died of signal n.
    const signalNumber = exit.code !== null && exit.code > 128 && exit.code < 160 ? exit.code - 128 : null;
    const signalName = exit.signal ?? (signalNumber === null ? null : signalNameOf(signalNumber));
    const exitCode = signalName ? null : exit.code;
    const killedFor = this.killedFor;
    const protocolError = this.protocolError;
    const [status, reason] = classify();
    const verdict: Verdict = { ...base, status, reason, exitCode, signal: signalName };
    return guestException ? { ...verdict, exception: guestException } : verdict;

    function classify(): [VerdictStatus, string | null] {
      switch (killedFor) {
        case "timeout":
          return ["timeout", `wall time limit of ${limits.wallTimeMs} ms reached`];
        case "output_limit":
          return ["output_limit", `output passed ${limits.maxOutputBytes} bytes`];
        case "disk_limit":
          return ["disk_limit", `the writable area holds more than ${Math.max(1024, Math.floor(limits.diskBytes / 4096))} files`];
        case "protocol":
          return ["sandbox_error", protocolError];
        default:
          break;
      }
      if (oom) return ["memory", `memory limit of ${limits.memoryBytes} bytes reached; the kernel killed the program`];
      if (signalName === "SIGXCPU") return ["timeout", `CPU time limit of ${limits.cpuTimeMs} ms reached`];
      if (signalName === "SIGXFSZ") return ["disk_limit", `a file passed the size limit of ${limits.maxFileBytes} bytes`];
      // Exit status before anything the guest reported: a fake exception frame cannot pick the status.
      if (exitCode === 0) return ["ok", null];
      const code = (guestException?.message ?? "").match(/\b(ENOSPC|EFBIG|EDQUOT)\b/);
      if (code) return ["disk_limit", `the writable area is full or a file passed its limit (${code[1]})`];
      if (guestException?.message.includes("heap out of memory")) return ["memory", "the JavaScript heap ran out of memory"];
      if (signalName === "SIGKILL") return ["killed", "the program was killed by SIGKILL"];
      if (signalName) return ["error", `the program was killed by ${signalName}`];
      return ["error", null];
    }
  }
}

type RunStart = { t0: number; cpu0: number; oom0: number };

const SIGNALS: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
  9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
  24: "SIGXCPU", 25: "SIGXFSZ", 31: "SIGSYS",
};

function signalNameOf(n: number): string {
  return SIGNALS[n] ?? `SIG${n}`;
}

/** Lets the pipes deliver output written just before the reply frame. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
