import { stripTypeScriptTypes } from "node:module";
import { availableParallelism } from "node:os";
import { CrucibleError } from "../errors.ts";
import { CgroupPool } from "./cgroup.ts";
import { Gate } from "./gate.ts";
import { encode, GuestException } from "./guest/codec.mjs";
import { discoverHost, type HostFacts, type HostOptions } from "./host.ts";
import { NodeGuest, spawnKey } from "./node-worker.ts";
import { resolveLimits, validateGuestEnv, type Limits } from "./policy.ts";
import { PythonWorker } from "./python-worker.ts";
import type { CallVerdict, Verdict } from "./verdict.ts";

export type Language = "python" | "javascript" | "typescript";
export const LANGUAGES: readonly Language[] = ["python", "javascript", "typescript"];

export interface SandboxOptions {
  /** Defaults for every run; each run may override any of them. */
  readonly limits?: Partial<Limits>;
  /** Variables added to the guest's fixed environment allowlist (see `validateGuestEnv`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs at once; defaults to the number of cores. */
  readonly poolSize?: number;
  /** Runs waiting for a place before callers get `busy`; defaults to 64 per pool slot. */
  readonly maxQueued?: number;
  /** Sessions open at once before `session()` answers `busy`; defaults to 4 per pool slot. */
  readonly maxSessions?: number;
  /** Python modules the warm supervisor imports once, so runs start with them loaded. */
  readonly pythonPreload?: readonly string[];
  /** Keep sandboxed Node processes started ahead of JavaScript/TypeScript runs (default true). */
  readonly prespawn?: boolean;
  readonly host?: HostOptions;
}

export interface RunRequest {
  readonly language: Language;
  readonly code: string;
  readonly stdin?: string;
  readonly argv?: readonly string[];
  readonly limits?: Partial<Limits>;
  readonly signal?: AbortSignal;
}

export interface SessionRequest {
  readonly language: Language;
  /** Code loaded once; its top-level functions are what `call` reaches. */
  readonly code: string;
  /**
   * Limits for loading and the default for every call (`wallTimeMs` is the per-call timeout).
   * `cpuTimeMs` bounds the session's whole life, since the kernel counts CPU per process.
   */
  readonly limits?: Partial<Limits>;
  readonly signal?: AbortSignal;
}

export interface CallOptions {
  /** Wall time for this call; the interpreter is restarted if it passes. */
  readonly timeoutMs?: number;
  /** Python keyword arguments. */
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Keep the returned value in wire form (an `Encoded`), undecoded: for callers that only pass it on. */
  readonly raw?: boolean;
  /**
   * Python sessions: a returned value whose wire text is longer than this many bytes comes back as
   * a `Digest` (SHA-256 and length of that text) instead, for callers that only compare big results.
   */
  readonly digestOverBytes?: number;
  readonly signal?: AbortSignal;
}

/** A sandboxed interpreter that keeps the loaded code (and any state it builds) between calls. */
export interface Session {
  readonly language: Language;
  /** How loading the code went; when it is not `ok` every call answers with the same failure. */
  readonly loaded: Verdict;
  /** Calls a top-level function with tagged-JSON-encodable arguments. */
  call(entry: string, args?: readonly unknown[], options?: CallOptions): Promise<CallVerdict>;
  /**
   * Calls `entry` once per argument list, in one round trip where the backend allows it (Python).
   * Each call has its own verdict and its own timeout (`timeoutsMs[i]`, or `timeoutMs` for all);
   * with `stopOnFailure` the calls after the first that does not end `ok` are not made, and the
   * result is shorter than `argsList`. A batch whose results grow past tens of megabytes also ends
   * early, every result `ok`: call again with the rest.
   */
  callMany(
    entry: string,
    argsList: readonly (readonly unknown[])[],
    options?: Omit<CallOptions, "kwargs"> & { readonly timeoutsMs?: readonly number[]; readonly stopOnFailure?: boolean },
  ): Promise<CallVerdict[]>;
  /** Executes more code in the session's namespace (multi-turn code execution). */
  exec(code: string, options?: Omit<CallOptions, "kwargs">): Promise<CallVerdict>;
  close(): Promise<void>;
}

export interface Sandbox {
  readonly host: HostFacts;
  readonly limits: Limits;
  /** Runs at once. */
  readonly poolSize: number;
  run(request: RunRequest): Promise<Verdict>;
  session(request: SessionRequest): Promise<Session>;
  /** Starts the warm processes now instead of on first use. */
  warm(languages?: readonly Language[]): Promise<void>;
  stats(): { active: number; queued: number; sessions: number; idlePython: number; readyNode: number };
  close(): Promise<void>;
}

/**
 * Creates the local (bubblewrap) sandbox backend. Nothing is spawned until the first run or
 * `warm()`. Throws `sandbox_unavailable` when bubblewrap is missing and `invalid_argument` for bad
 * limits or environment; runs themselves never throw for what guest code does: they return verdicts.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  return new LocalSandbox(options);
}

class LocalSandbox implements Sandbox {
  readonly host: HostFacts;
  readonly limits: Limits;
  private readonly env: Readonly<Record<string, string>>;
  private readonly gate: Gate;
  readonly poolSize: number;
  private readonly maxSessions: number;
  private readonly preload: readonly string[];
  private readonly prespawn: boolean;
  private readonly idlePython: PythonWorker[] = [];
  private readonly startingPython = new Set<Promise<PythonWorker>>();
  private readonly readyNode: NodeGuest[] = [];
  private readonly sessions = new Set<Session>();
  private readonly cgroups: CgroupPool | null;
  private nodeWanted = false;
  private closed = false;

  constructor(options: SandboxOptions) {
    this.limits = resolveLimits(options.limits ?? {});
    this.env = validateGuestEnv(options.env ?? {});
    this.poolSize = positiveInt(options.poolSize ?? availableParallelism(), "poolSize");
    this.gate = new Gate(this.poolSize, nonNegativeInt(options.maxQueued ?? 64 * this.poolSize, "maxQueued"));
    this.maxSessions = positiveInt(options.maxSessions ?? 4 * this.poolSize, "maxSessions");
    this.preload = options.pythonPreload ?? [];
    this.prespawn = options.prespawn ?? true;
    this.host = discoverHost(options.host);
    if (!this.host.bwrapPath) {
      throw new CrucibleError(
        "sandbox_unavailable",
        "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: apt-get install bubblewrap) and run `crucible doctor`",
      );
    }
    this.cgroups = this.host.cgroups ? new CgroupPool(this.host.cgroups) : null;
  }

  async run(request: RunRequest): Promise<Verdict> {
    this.assertOpen();
    const { language, limits } = this.checkRequest(request);
    const code = request.code;
    for (const [name, value] of [["stdin", request.stdin] as const]) {
      if (value !== undefined && (typeof value !== "string" || !value.isWellFormed())) {
        throw new CrucibleError("invalid_argument", `${name} must be a well-formed string`);
      }
    }
    const argv = checkArgv(request.argv);
    checkInputSize("stdin", request.stdin === undefined ? 0 : Buffer.byteLength(request.stdin, "utf8"), limits);
    checkInputSize("argv", argv.reduce((n, a) => n + Buffer.byteLength(a, "utf8") + 1, 0), limits);
    const release = await this.gate.acquire(request.signal);
    try {
      if (language === "python") return await this.runPython({ code, argv, ...(request.stdin === undefined ? {} : { stdin: request.stdin }) }, limits, request.signal);
      const js = toJavaScript(code, language);
      if (typeof js !== "string") return js;
      return await this.runNode(js, argv, limits, request.signal);
    } finally {
      release();
    }
  }

  async session(request: SessionRequest): Promise<Session> {
    this.assertOpen();
    const { language, limits } = this.checkRequest(request);
    if (this.sessions.size >= this.maxSessions) {
      throw new CrucibleError("busy", `${this.sessions.size} sessions are open, the most this sandbox allows (maxSessions); close one or retry later`, {
        details: { sessions: this.sessions.size, maxSessions: this.maxSessions },
      });
    }
    const session =
      language === "python"
        ? await PythonSession.open(this, request.code, limits, request.signal)
        : await NodeSession.open(this, language, request.code, limits, request.signal);
    this.sessions.add(session);
    return session;
  }

  async warm(languages: readonly Language[] = ["python"]): Promise<void> {
    this.assertOpen();
    const jobs: Promise<unknown>[] = [];
    if (languages.includes("python")) {
      while (this.idlePython.length + this.startingPython.size < this.poolSize) {
        jobs.push(this.startPython().then((w) => this.idlePython.push(w)));
      }
    }
    if (languages.includes("javascript") || languages.includes("typescript")) {
      this.nodeWanted = true;
      this.topUpNode();
      jobs.push(...this.readyNode.map((g) => g.ready));
    }
    await Promise.all(jobs);
  }

  stats() {
    return {
      ...this.gate.stats,
      sessions: this.sessions.size,
      idlePython: this.idlePython.length,
      readyNode: this.readyNode.length,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.rejectAll(new CrucibleError("closed", "the sandbox was closed"));
    const starting = [...this.startingPython];
    await Promise.allSettled([
      ...[...this.sessions].map((s) => s.close()),
      ...this.idlePython.splice(0).map((w) => w.close()),
      ...this.readyNode.splice(0).map((g) => g.close()),
      ...starting.map((p) => p.then((w) => w.close())),
    ]);
    this.cgroups?.dispose();
  }

  /** @internal used by sessions */
  forget(session: Session): void {
    this.sessions.delete(session);
  }

  /** @internal */
  newPythonWorker(limits: Limits, signal?: AbortSignal): Promise<PythonWorker> {
    return PythonWorker.start({ host: this.host, cgroups: this.cgroups, limits, env: this.env, preload: this.preload }, signal);
  }

  /**
   * @internal A warm worker for a session: an idle one of the pool when its writable area has the
   * size asked for, a new one otherwise.
   */
  async takePythonWorker(limits: Limits, signal?: AbortSignal): Promise<PythonWorker> {
    if (limits.diskBytes === this.limits.diskBytes) {
      let worker = this.idlePython.pop();
      while (worker && !worker.alive) {
        void worker.close();
        worker = this.idlePython.pop();
      }
      if (worker) return worker;
    }
    return this.newPythonWorker(limits, signal);
  }

  /** @internal A worker whose session ended cleanly goes back to the pool, or is closed. */
  givePythonWorker(worker: PythonWorker): void {
    if (!this.closed && worker.alive && worker.limits.diskBytes === this.limits.diskBytes && this.idlePython.length < this.poolSize) {
      this.idlePython.push(worker);
    } else {
      void worker.close();
    }
  }

  /** @internal */
  newNodeGuest(limits: Limits): NodeGuest {
    return new NodeGuest({ host: this.host, cgroups: this.cgroups, limits, env: this.env });
  }

  private checkRequest(request: RunRequest | SessionRequest): { language: Language; limits: Limits } {
    if (request === null || typeof request !== "object") throw new CrucibleError("invalid_argument", "the request must be an object with language and code");
    const language = request.language;
    if (!LANGUAGES.includes(language)) {
      throw new CrucibleError("unknown_language", `unknown language ${JSON.stringify(language)}; use one of ${LANGUAGES.join(", ")}`, {
        details: { language, known: LANGUAGES },
      });
    }
    const limits = resolveLimits(request.limits ?? {}, this.limits);
    checkCode(request.code, limits);
    return { language, limits };
  }

  private assertOpen(): void {
    if (this.closed) throw new CrucibleError("closed", "the sandbox was closed; create a new one");
  }

  private startPython(signal?: AbortSignal): Promise<PythonWorker> {
    const starting = this.newPythonWorker(this.limits, signal);
    this.startingPython.add(starting);
    const done = () => this.startingPython.delete(starting);
    starting.then(done, done);
    return starting;
  }

  private async runPython(program: { code: string; stdin?: string; argv: readonly string[] }, limits: Limits, signal?: AbortSignal): Promise<Verdict> {
    if (limits.diskBytes !== this.limits.diskBytes) {
      // The writable area's size is fixed when a sandbox starts: this run gets one of its own.
      const worker = await this.newPythonWorker(limits, signal);
      try {
        return await worker.run(program, limits, signal);
      } finally {
        await worker.close();
      }
    }
    let worker = this.idlePython.pop();
    while (worker && !worker.alive) {
      void worker.close();
      worker = this.idlePython.pop();
    }
    worker ??= await this.startPython(signal);
    try {
      return await worker.run(program, limits, signal);
    } finally {
      if (worker.alive && !this.closed) this.idlePython.push(worker);
      else void worker.close();
    }
  }

  private async runNode(code: string, argv: readonly string[], limits: Limits, signal?: AbortSignal): Promise<Verdict> {
    this.nodeWanted = true;
    const key = spawnKey(limits);
    const index = this.readyNode.findIndex((g) => g.key === key && g.alive);
    const guest = index >= 0 ? this.readyNode.splice(index, 1)[0]! : this.newNodeGuest(limits);
    // On a miss (the first run, or limits of its own) the pool refills after this run, so the
    // guests it starts do not compete with this one for the cores.
    const deferTopUp = index < 0;
    if (!deferTopUp) this.topUpNode();
    try {
      return await guest.run({ code, argv }, limits, signal);
    } finally {
      if (deferTopUp) this.topUpNode();
      await guest.close();
    }
  }

  private topUpNode(): void {
    if (!this.prespawn || !this.nodeWanted || this.closed) return;
    for (let i = this.readyNode.length - 1; i >= 0; i--) if (!this.readyNode[i]!.alive) this.readyNode.splice(i, 1);
    while (this.readyNode.length < this.poolSize) {
      const guest = this.newNodeGuest(this.limits);
      guest.ready.catch(() => {
        const i = this.readyNode.indexOf(guest);
        if (i >= 0) this.readyNode.splice(i, 1);
      });
      this.readyNode.push(guest);
    }
  }
}

/** Runs one call at a time, in the order they were made: a session is a single interpreter. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

class PythonSession implements Session {
  readonly language = "python" as const;
  readonly loaded: Verdict;
  private readonly owner: LocalSandbox;
  private readonly worker: PythonWorker;
  private readonly limits: Limits;
  private readonly serial = new Serial();
  private closed = false;

  private constructor(owner: LocalSandbox, worker: PythonWorker, loaded: Verdict, limits: Limits) {
    this.owner = owner;
    this.worker = worker;
    this.loaded = loaded;
    this.limits = limits;
  }

  static async open(owner: LocalSandbox, code: string, limits: Limits, signal?: AbortSignal): Promise<PythonSession> {
    const worker = await owner.takePythonWorker(limits, signal);
    try {
      const loaded = await worker.open(code, limits, signal);
      return new PythonSession(owner, worker, loaded, limits);
    } catch (error) {
      await worker.close();
      throw error;
    }
  }

  async call(entry: string, args: readonly unknown[] = [], options: CallOptions = {}): Promise<CallVerdict> {
    checkEntry(entry);
    const body = {
      entry,
      args: encode([...args]),
      kwargs: encode(options.kwargs ?? {}),
      ...(options.digestOverBytes === undefined ? {} : { digestOver: checkDigestOver(options.digestOverBytes) }),
    };
    const limits = callLimits(this.limits, options.timeoutMs);
    return this.serial.run(async () => {
      this.assertUsable();
      if (this.loaded.status !== "ok") return this.loaded;
      return this.worker.call(body, limits, options.signal, options.raw === true);
    });
  }

  async exec(code: string, options: Omit<CallOptions, "kwargs"> = {}): Promise<CallVerdict> {
    checkCode(code, this.limits);
    const limits = callLimits(this.limits, options.timeoutMs);
    return this.serial.run(async () => {
      this.assertUsable();
      if (this.loaded.status !== "ok") return this.loaded;
      return this.worker.call({ exec: code }, limits, options.signal);
    });
  }

  async callMany(entry: string, argsList: readonly (readonly unknown[])[], options: ManyOptions = {}): Promise<CallVerdict[]> {
    checkEntry(entry);
    const timeouts = manyTimeouts(argsList.length, options, this.limits);
    const calls = argsList.map((args, i) => ({ args: encode([...args]), timeoutMs: timeouts[i]! }));
    return this.serial.run(async () => {
      this.assertUsable();
      if (this.loaded.status !== "ok") return [this.loaded];
      if (calls.length === 0) return [];
      return this.worker.callMany(entry, calls, this.limits, {
        stopOnFailure: options.stopOnFailure === true,
        raw: options.raw === true,
        ...(options.digestOverBytes === undefined ? {} : { digestOver: checkDigestOver(options.digestOverBytes) }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.owner.forget(this);
    await this.serial.run(async () => {
      if (this.worker.alive && (await this.worker.endSession())) this.owner.givePythonWorker(this.worker);
      else await this.worker.close();
    });
  }

  private assertUsable(): void {
    if (this.closed) throw new CrucibleError("closed", "this session was closed; open a new one");
    if (!this.worker.alive) throw new CrucibleError("closed", "this session's sandbox is gone (cancelled or broken); open a new one");
  }
}

class NodeSession implements Session {
  readonly language: Language;
  loaded: Verdict;
  private readonly owner: LocalSandbox;
  private guest: NodeGuest;
  private readonly code: string;
  private readonly limits: Limits;
  private readonly serial = new Serial();
  private closed = false;

  private constructor(owner: LocalSandbox, language: Language, guest: NodeGuest, code: string, loaded: Verdict, limits: Limits) {
    this.owner = owner;
    this.language = language;
    this.guest = guest;
    this.code = code;
    this.loaded = loaded;
    this.limits = limits;
  }

  static async open(owner: LocalSandbox, language: Language, code: string, limits: Limits, signal?: AbortSignal): Promise<NodeSession> {
    const js = toJavaScript(code, language);
    const guest = owner.newNodeGuest(limits);
    if (typeof js !== "string") {
      await guest.close();
      return new NodeSession(owner, language, guest, "", js, limits);
    }
    const loaded = await guest.open(js, filenameFor(language), limits, signal);
    return new NodeSession(owner, language, guest, js, loaded, limits);
  }

  async call(entry: string, args: readonly unknown[] = [], options: CallOptions = {}): Promise<CallVerdict> {
    checkEntry(entry);
    if (options.kwargs && Object.keys(options.kwargs).length > 0) {
      throw new CrucibleError("invalid_argument", "keyword arguments are a Python feature; pass JavaScript arguments positionally");
    }
    const body = { entry, args: encode([...args]) };
    const limits = callLimits(this.limits, options.timeoutMs);
    return this.serial.run(async () => {
      this.assertUsable();
      if (this.loaded.status !== "ok") return this.loaded;
      return this.afterCall(await this.guest.call(body, limits, options.signal, options.raw === true));
    });
  }

  async exec(code: string, options: Omit<CallOptions, "kwargs"> = {}): Promise<CallVerdict> {
    checkCode(code, this.limits);
    const js = toJavaScript(code, this.language);
    const limits = callLimits(this.limits, options.timeoutMs);
    return this.serial.run(async () => {
      this.assertUsable();
      if (this.loaded.status !== "ok") return this.loaded;
      if (typeof js !== "string") return js;
      return this.afterCall(await this.guest.call({ exec: js }, limits, options.signal));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.owner.forget(this);
    await this.guest.close();
  }

  async callMany(entry: string, argsList: readonly (readonly unknown[])[], options: ManyOptions = {}): Promise<CallVerdict[]> {
    const timeouts = manyTimeouts(argsList.length, options, this.limits);
    const out: CallVerdict[] = [];
    for (const [i, args] of argsList.entries()) {
      const v = await this.call(entry, args, { timeoutMs: timeouts[i]!, ...(options.raw ? { raw: true } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      out.push(v);
      if (options.stopOnFailure && v.status !== "ok") break;
    }
    return out;
  }

  /** A call that ended the process restarts the session with its code loaded again. */
  private async afterCall(verdict: CallVerdict): Promise<CallVerdict> {
    if (this.guest.alive || this.closed) return verdict;
    this.guest = this.owner.newNodeGuest(this.limits);
    const reloaded = await this.guest.open(this.code, filenameFor(this.language), this.limits);
    return { ...verdict, restarted: reloaded.status === "ok" };
  }

  private assertUsable(): void {
    if (this.closed) throw new CrucibleError("closed", "this session was closed; open a new one");
  }
}

type ManyOptions = Omit<CallOptions, "kwargs"> & { readonly timeoutsMs?: readonly number[]; readonly stopOnFailure?: boolean };

function manyTimeouts(count: number, options: ManyOptions, limits: Limits): number[] {
  if (options.timeoutsMs !== undefined && options.timeoutsMs.length !== count) {
    throw new CrucibleError("invalid_argument", `timeoutsMs has ${options.timeoutsMs.length} entries for ${count} calls`);
  }
  return Array.from({ length: count }, (_, i) => callLimits(limits, options.timeoutsMs?.[i] ?? options.timeoutMs).wallTimeMs);
}

function filenameFor(language: Language): string {
  return language === "typescript" ? "main.ts" : "main.js";
}

function callLimits(limits: Limits, timeoutMs: number | undefined): Limits {
  return timeoutMs === undefined ? limits : resolveLimits({ wallTimeMs: timeoutMs }, limits);
}

/**
 * TypeScript is stripped of its types on the host (Node's own stripper, enums and namespaces
 * included), so guests never pay for loading it. Code that does not parse gets an `error` verdict,
 * as Python's syntax errors do.
 */
function toJavaScript(code: string, language: Language): string | Verdict {
  if (language !== "typescript") return code;
  try {
    return stripTypeScriptTypes(code, { mode: "transform", sourceMap: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: "error",
      reason: "the TypeScript did not parse",
      exitCode: null,
      signal: null,
      wallMs: 0,
      cpuMs: 0,
      peakMemoryBytes: 0,
      stdout: "",
      stderr: `SyntaxError: ${message}\n`,
      stdoutTruncated: false,
      stderrTruncated: false,
      exception: new GuestException("SyntaxError", message),
    };
  }
}

function checkCode(code: unknown, limits: Limits): asserts code is string {
  if (typeof code !== "string") throw new CrucibleError("invalid_argument", "code must be a string");
  const bytes = Buffer.byteLength(code, "utf8");
  if (bytes > limits.maxCodeBytes) {
    throw new CrucibleError("code_too_large", `the code is ${bytes} bytes, over the ${limits.maxCodeBytes}-byte limit (maxCodeBytes); nothing was run`, {
      details: { bytes, maxCodeBytes: limits.maxCodeBytes },
    });
  }
  if (code.includes("\0")) throw new CrucibleError("invalid_argument", `the code contains a NUL byte at index ${code.indexOf("\0")}; nothing was run`);
  if (!code.isWellFormed()) throw new CrucibleError("invalid_argument", "the code contains a lone surrogate (malformed UTF-16); nothing was run");
}

/** stdin and argv travel in the request frame like the code: the same cap applies, before any spawn. */
function checkInputSize(what: "stdin" | "argv", bytes: number, limits: Limits): void {
  if (bytes > limits.maxCodeBytes) {
    throw new CrucibleError("code_too_large", `${what} is ${bytes} bytes, over the ${limits.maxCodeBytes}-byte limit (maxCodeBytes); nothing was run`, {
      details: { what, bytes, maxCodeBytes: limits.maxCodeBytes },
    });
  }
}

function checkArgv(argv: unknown): readonly string[] {
  if (argv === undefined) return [];
  if (!Array.isArray(argv) || argv.length > 1024 || !argv.every((a) => typeof a === "string" && !a.includes("\0") && a.isWellFormed())) {
    throw new CrucibleError("invalid_argument", "argv must be an array of at most 1024 strings without NUL bytes");
  }
  return argv as string[];
}

function checkEntry(entry: unknown): void {
  if (typeof entry !== "string" || !/^[A-Za-z_$][A-Za-z0-9_$]{0,254}$/.test(entry)) {
    throw new CrucibleError("invalid_argument", `entry must be a function name (an identifier), got ${JSON.stringify(entry)}`);
  }
}

function checkDigestOver(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new CrucibleError("invalid_argument", `digestOverBytes must be a whole number of bytes (0 or more), got ${String(n)}`);
  return n;
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new CrucibleError("invalid_argument", `${name} must be a whole number of at least 1`);
  return n;
}

function nonNegativeInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0) throw new CrucibleError("invalid_argument", `${name} must be a whole number of at least 0`);
  return n;
}
