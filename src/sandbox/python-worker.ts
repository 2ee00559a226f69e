import { join } from "node:path";
import { CrucibleError, throwIfAborted } from "../errors.ts";
import { baseGuestEnv, GUEST_HARNESS_DIR } from "./bwrap.ts";
import { decode, decodeException, Encoded, type Wire } from "./guest/codec.mjs";
import { encodeFrame, FrameReader } from "./frames.ts";
import { guestBinds, type HostFacts } from "./host.ts";
import type { CgroupPool } from "./cgroup.ts";
import { SandboxProcess } from "./launch.ts";
import type { Limits } from "./policy.ts";
import { sandboxError, type CallVerdict, type Verdict, type VerdictStatus } from "./verdict.ts";

/** How long the host waits past a run's wall time for the supervisor's answer before killing it all. */
const BACKSTOP_GRACE_MS = 2_000;
const START_TIMEOUT_MS = 15_000;
/** Processes the sandbox holds besides the guest's own: bwrap outside, the supervisor, a session child. */
const OWN_PROCESSES = 3;

export interface PythonWorkerOptions {
  readonly host: HostFacts;
  /** The owner's cgroups, or null to run on rlimits alone. */
  readonly cgroups: CgroupPool | null;
  /** Fixed for the worker's life: `diskBytes`; the others are the defaults for its runs. */
  readonly limits: Limits;
  readonly env: Readonly<Record<string, string>>;
  /** Modules imported once by the supervisor so every run starts with them warm. */
  readonly preload?: readonly string[];
}

export interface PythonProgram {
  readonly code: string;
  readonly stdin?: string;
  readonly argv?: readonly string[];
  readonly filename?: string;
}

type Pending = {
  resolve: (reply: Record<string, unknown>) => void;
  reject: (error: unknown) => void;
};

/**
 * One warm Python sandbox: bubblewrap around a supervisor that forks a child per run. Serves one
 * request at a time; the pool owns concurrency. A worker that breaks (backstop timeout, protocol
 * breach, cancellation) kills itself and reports `alive === false` so the pool replaces it.
 */
export class PythonWorker {
  readonly limits: Limits;
  private readonly proc: SandboxProcess;
  private readonly reader: FrameReader;
  private pending: Pending | null = null;
  private nextId = 1;
  private baselineBytes = 0;
  private memoryLimitFor = -1;
  private processLimitFor = -1;
  private broken: string | null = null;
  private ready: Promise<void>;

  private constructor(options: PythonWorkerOptions) {
    const { host, limits } = options;
    if (!host.pythonPath) {
      throw new CrucibleError("sandbox_unavailable", "no Python under /usr was found (looked for /usr/bin/python3); install python3 or run `crucible doctor`");
    }
    this.limits = limits;
    const preload = options.preload?.length ? [`--preload=${options.preload.join(",")}`] : [];
    this.proc = new SandboxProcess({
      host,
      cgroups: options.cgroups,
      maxProcesses: limits.maxProcesses + OWN_PROCESSES,
      spec: {
        extraBinds: guestBinds(host),
        env: { ...baseGuestEnv(), ...options.env },
        limits,
        command: [host.pythonPath, "-I", "-B", join(GUEST_HARNESS_DIR, "harness.py"), ...preload],
      },
    });
    // A reply holds two capped outputs and a value; a larger frame is a breach.
    const maxFrame = 2 * limits.maxOutputBytes + 256 * 1024 * 1024;
    this.reader = new FrameReader(maxFrame, (frame) => this.onFrame(frame), (error) => this.fail(error.message));
    this.proc.replies.on("data", (chunk: Buffer) => this.reader.push(chunk));
    // The supervisor's own stdout/stderr carry nothing for us; drain them so it never blocks.
    this.proc.stdout.resume();
    const stderr: Buffer[] = [];
    this.proc.stderr.on("data", (c: Buffer) => stderr.length < 64 && stderr.push(c));
    void this.proc.exited.then(() => {
      const text = Buffer.concat(stderr).toString("utf8").slice(-2000);
      this.fail(`the sandbox exited${text ? `: ${text.trim()}` : ""}`);
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending = {
        resolve: () => resolve(),
        reject,
      };
    });
  }

  /** Starts a worker and waits for its supervisor to report ready. */
  static async start(options: PythonWorkerOptions, signal?: AbortSignal): Promise<PythonWorker> {
    const worker = new PythonWorker(options);
    const timer = setTimeout(() => worker.fail(`the Python sandbox did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onAbort = () => worker.fail("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await worker.ready;
    } catch (cause) {
      await worker.close();
      if (signal?.aborted) throw new CrucibleError("aborted", "cancelled while the sandbox was starting", { cause });
      throw new CrucibleError("sandbox_unavailable", `could not start the Python sandbox: ${(cause as Error).message}`, { cause });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    worker.baselineBytes = worker.proc.cgroup?.usageBytes() ?? 0;
    return worker;
  }

  get alive(): boolean {
    return this.broken === null && this.proc.alive;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  /** Runs one program in a fresh child of the supervisor. */
  async run(program: PythonProgram, limits: Limits, signal?: AbortSignal): Promise<Verdict> {
    const reply = await this.request(
      {
        op: "run",
        code: program.code,
        stdin: program.stdin ?? null,
        argv: program.argv ?? [],
        filename: program.filename ?? "main.py",
        limits: this.harnessLimits(limits),
      },
      limits,
      signal,
    );
    return this.toVerdict(reply);
  }

  /** Starts the session child: loads `code` once and keeps it for `call`. */
  async open(code: string, limits: Limits, signal?: AbortSignal): Promise<Verdict> {
    const reply = await this.request({ op: "open", code, filename: "main.py", limits: this.harnessLimits(limits) }, limits, signal);
    return this.toVerdict(reply);
  }

  /** Calls `entry(*args, **kwargs)` (or executes a cell) in the session child. */
  async call(
    body: { entry?: string; args?: unknown; kwargs?: unknown; exec?: string; digestOver?: number },
    limits: Limits,
    signal?: AbortSignal,
    raw = false,
  ): Promise<CallVerdict> {
    const reply = await this.request({ op: "call", ...body, timeoutMs: limits.wallTimeMs }, limits, signal);
    const verdict: CallVerdict = this.toVerdict(reply);
    const extra: { value?: unknown; callMs?: number; restarted?: boolean } = {};
    if (verdict.status === "ok" && "value" in reply) {
      try {
        extra.value = raw ? new Encoded(reply["value"] as Wire) : decode(reply["value"]);
      } catch (error) {
        await this.close();
        return sandboxError(`the guest sent a value that does not decode: ${(error as Error).message}`);
      }
    }
    if (typeof reply["callMs"] === "number") extra.callMs = reply["callMs"];
    if (typeof reply["restarted"] === "boolean") extra.restarted = reply["restarted"];
    return { ...verdict, ...extra };
  }

  /**
   * Many calls of one entry point in a single round trip: each has its own timeout and verdict.
   * With `stopOnFailure`, the calls after the first that does not end `ok` are not made.
   */
  async callMany(
    entry: string,
    calls: readonly { args: unknown; kwargs?: unknown; timeoutMs: number }[],
    limits: Limits,
    options: { stopOnFailure: boolean; raw: boolean; digestOver?: number; signal?: AbortSignal },
  ): Promise<CallVerdict[]> {
    const total = calls.reduce((sum, c) => sum + c.timeoutMs, 0);
    // The backstop covers every call, plus a reload after each one that might time out.
    const reply = await this.request(
      { op: "calls", entry, calls, stopOnFailure: options.stopOnFailure, ...(options.digestOver === undefined ? {} : { digestOver: options.digestOver }) },
      { ...limits, wallTimeMs: total + calls.length * 50 },
      options.signal,
    );
    const results = reply["results"];
    if (reply["status"] !== "ok" || !Array.isArray(results)) return [{ ...this.toVerdict(reply) }];
    const out: CallVerdict[] = [];
    for (const r of results as Record<string, unknown>[]) {
      const verdict = this.toVerdict(r);
      const extra: { value?: unknown; callMs?: number; restarted?: boolean } = {};
      if (verdict.status === "ok" && "value" in r) {
        try {
          extra.value = options.raw ? new Encoded(r["value"] as Wire) : decode(r["value"]);
        } catch (error) {
          await this.close();
          out.push(sandboxError(`the guest sent a value that does not decode: ${(error as Error).message}`));
          break;
        }
      }
      if (typeof r["callMs"] === "number") extra.callMs = r["callMs"];
      if (typeof r["restarted"] === "boolean") extra.restarted = r["restarted"];
      out.push({ ...verdict, ...extra });
    }
    return out;
  }

  /**
   * Ends the session: the supervisor kills the session child and everything it started, and empties
   * the writable areas, so the worker can serve others as if fresh. Resolves to false when the
   * worker could not be cleaned (it is then closed).
   */
  async endSession(): Promise<boolean> {
    try {
      const reply = await this.request({ op: "end" }, this.limits);
      if (reply["status"] === "ok" && this.alive) return true;
    } catch {
      // fall through: a worker that cannot end its session is not reused
    }
    await this.close();
    return false;
  }

  async close(): Promise<void> {
    this.fail("closed");
    await this.proc.dispose();
  }

  private harnessLimits(limits: Limits): Record<string, number> {
    const out: Record<string, number> = {
      wallTimeMs: limits.wallTimeMs,
      cpuTimeMs: limits.cpuTimeMs,
      maxOutputBytes: limits.maxOutputBytes,
      maxFileBytes: limits.maxFileBytes,
      maxOpenFiles: limits.maxOpenFiles,
      // Files the writable area may hold: one page's worth of its size each (tmpfs has no inode cap).
      maxFiles: Math.max(1024, Math.floor(this.limits.diskBytes / 4096)),
    };
    if (!this.proc.cgroup) {
      // No cgroup: fall back to per-process rlimits. RLIMIT_NPROC counts the host uid's processes
      // and does nothing for root, so it is set only for an unprivileged host user.
      out["addressSpaceExtraBytes"] = limits.memoryBytes;
      if (process.getuid?.() !== 0) out["maxProcesses"] = limits.maxProcesses + OWN_PROCESSES;
    }
    return out;
  }

  private async request(body: Record<string, unknown>, limits: Limits, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (this.broken !== null) throw new CrucibleError("closed", `the Python sandbox is not usable: ${this.broken}`);
    if (this.pending) throw new CrucibleError("busy", "this Python sandbox is already serving a request");
    throwIfAborted(signal, "the run");
    const cgroup = this.proc.cgroup;
    if (cgroup && this.memoryLimitFor !== limits.memoryBytes) {
      cgroup.setMemoryLimit(this.baselineBytes + limits.memoryBytes);
      this.memoryLimitFor = limits.memoryBytes;
    }
    if (cgroup && this.processLimitFor !== limits.maxProcesses) {
      cgroup.setMaxProcesses(limits.maxProcesses + OWN_PROCESSES);
      this.processLimitFor = limits.maxProcesses;
    }
    if (cgroup) cgroup.resetPeak();
    const oomBefore = cgroup?.oomKills() ?? 0;
    const id = this.nextId++;
    const started = performance.now();
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const backstop = setTimeout(() => {
        void this.proc.kill();
        this.broken = "killed after its supervisor missed the wall time";
        this.pending = null;
        resolve({
          status: "timeout",
          reason: `wall time limit of ${limits.wallTimeMs} ms reached; the sandbox did not stop by itself and was killed`,
          wallMs: performance.now() - started,
        });
      }, limits.wallTimeMs + BACKSTOP_GRACE_MS);
      const onAbort = () => {
        this.fail("cancelled");
        void this.proc.kill();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending = {
        resolve: (r) => {
          clearTimeout(backstop);
          signal?.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(backstop);
          signal?.removeEventListener("abort", onAbort);
          reject(
            signal?.aborted
              ? new CrucibleError("aborted", "the run was cancelled and its sandbox killed", { cause: e })
              : e instanceof Error
                ? e
                : new CrucibleError("closed", String(e)),
          );
        },
      };
      this.proc.requests.write(encodeFrame({ ...body, id }));
    }).catch((error: unknown) => {
      if (error instanceof CrucibleError && error.code === "aborted") throw error;
      // The sandbox died under the run: that is the run's verdict, not an exception.
      return { status: "killed", reason: (error as Error).message, wallMs: performance.now() - started };
    });
    if (cgroup && cgroup.oomKills() > oomBefore) {
      return { ...reply, status: "memory", reason: `memory limit of ${limits.memoryBytes} bytes reached; the kernel killed the program` };
    }
    return reply;
  }

  private onFrame(frame: unknown): void {
    const pending = this.pending;
    if (!pending || frame === null || typeof frame !== "object") {
      this.fail("the supervisor sent a frame nobody asked for");
      return;
    }
    this.pending = null;
    pending.resolve(frame as Record<string, unknown>);
  }

  private fail(reason: string): void {
    if (this.broken === null) this.broken = reason;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(new CrucibleError("closed", reason));
    if (reason !== "closed") void this.proc.kill();
  }

  private toVerdict(reply: Record<string, unknown>): Verdict {
    const status = reply["status"];
    if (typeof status !== "string") return sandboxError("the supervisor sent a reply without a status");
    const num = (k: string): number => {
      const v = reply[k];
      return typeof v === "number" ? v : 0;
    };
    const str = (k: string): string => {
      const v = reply[k];
      return typeof v === "string" ? v : "";
    };
    const verdict: Verdict = {
      status: status as VerdictStatus,
      reason: typeof reply["reason"] === "string" ? reply["reason"] : null,
      exitCode: typeof reply["exitCode"] === "number" ? reply["exitCode"] : null,
      signal: typeof reply["signal"] === "string" ? reply["signal"] : null,
      wallMs: num("wallMs"),
      cpuMs: num("cpuMs"),
      peakMemoryBytes: num("peakMemoryBytes"),
      stdout: str("stdout"),
      stderr: str("stderr"),
      stdoutTruncated: reply["stdoutTruncated"] === true,
      stderrTruncated: reply["stderrTruncated"] === true,
    };
    if (reply["exception"] && typeof reply["exception"] === "object") {
      return { ...verdict, exception: decodeException(reply["exception"]) };
    }
    return verdict;
  }
}
