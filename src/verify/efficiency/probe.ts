import { readFileSync } from "node:fs";
import { CrucibleError } from "../../errors.ts";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Limits } from "../../sandbox/policy.ts";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict } from "../../sandbox/verdict.ts";

const MEASURE_PY = readFileSync(new URL("./guest/measure.py", import.meta.url), "utf8");

/** ENAMEL's memory limit for a measured program. */
export const DEFAULT_MEASURE_MEMORY_BYTES = 4 * 1024 ** 3;
/** Host-side allowance per repetition beyond its time limit: copying the input, collecting garbage, loading. */
const REP_SLACK_MS = 2_000;
const CALL_SLACK_MS = 5_000;
/** A session's CPU limit covers its whole life; the per-call wall caps are what bound a program. */
const SESSION_CPU_MS = 3_600_000;

/**
 * How one measurement ended. `timeout` (the time limit passed), `capped` (the instruction cap
 * passed), `memory` and `overflow` are resource outcomes that ENAMEL right-censors; `error` is an
 * exception (or a crash) of the program, which fails it.
 */
export type ProbeStatus = "ok" | "timeout" | "capped" | "memory" | "overflow" | "error";

/**
 * What a repetition's time is read from: `wall` (perf_counter, what ENAMEL uses) or `cpu` (the
 * process's CPU time, process_time: it does not advance while other processes have the core, so
 * it holds on a shared machine).
 */
export type Clock = "wall" | "cpu";

export interface TimedRun {
  readonly status: ProbeStatus;
  /** Wall seconds, one per repetition that finished (fewer than asked when it stopped early). */
  readonly timesS: readonly number[];
  /** CPU seconds of the same repetitions. */
  readonly cpuS: readonly number[];
  /** The first repetition's return value, in wire form (`ok` only). */
  readonly output?: Wire;
  readonly exception?: { readonly type: string; readonly message: string };
}

export interface CountedRun {
  readonly status: ProbeStatus;
  /** Bytecode instructions executed (up to the cap when `capped`). */
  readonly instructions: number;
  readonly output?: Wire;
  readonly exception?: { readonly type: string; readonly message: string };
}

/**
 * A sandboxed interpreter holding Crucible's efficiency probe (guest/measure.py). Programs are
 * sent as source with each request and loaded fresh for every repetition, so one probe serves
 * any number of programs; a program that hangs or crashes the interpreter costs a restart, and
 * the probe goes on.
 */
export class EfficiencyProbe {
  private readonly session: Session;

  private constructor(session: Session) {
    this.session = session;
  }

  /** Opens a probe session (memory defaults to ENAMEL's 4 GiB). */
  static async open(sandbox: Sandbox, options: { limits?: Partial<Limits>; signal?: AbortSignal } = {}): Promise<EfficiencyProbe> {
    const session = await sandbox.session({
      language: "python",
      code: MEASURE_PY,
      limits: { memoryBytes: DEFAULT_MEASURE_MEMORY_BYTES, cpuTimeMs: SESSION_CPU_MS, ...options.limits, wallTimeMs: 30_000 },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (session.loaded.status !== "ok") {
      await session.close();
      throw new CrucibleError("sandbox_unavailable", `the efficiency probe did not load: ${session.loaded.reason ?? session.loaded.status}`);
    }
    return new EfficiencyProbe(session);
  }

  /**
   * Times `entryPoint(*args)` over `reps` repetitions in the guest (wall and CPU clocks, GC off),
   * each with an alarm at `limitMs` of `clock` (default wall). The host caps the whole call at `reps × (limitMs + 2 s) + 5 s`,
   * in case the program swallows the alarm; passing that cap is a `timeout` too.
   */
  async time(program: string, entryPoint: string, args: readonly Wire[], options: { reps: number; limitMs: number; clock?: Clock; signal?: AbortSignal }): Promise<TimedRun> {
    const capMs = Math.ceil(options.reps * (options.limitMs + REP_SLACK_MS) + CALL_SLACK_MS);
    const verdict = await this.session.call("crucible_time", [program, entryPoint, new Encoded([...args]), options.reps, options.limitMs / 1000, options.clock ?? "wall"], {
      timeoutMs: capMs,
      raw: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const answer = replyOf(verdict);
    if (answer.kind === "lost") return { status: answer.status, timesS: [], cpuS: [], ...(answer.exception ? { exception: answer.exception } : {}) };
    const reply = answer.fields;
    const numbers = (w: Wire | undefined) => (Array.isArray(w) ? w.map(wireNumber) : []);
    return {
      status: statusOf(reply["status"]),
      timesS: numbers(reply["times"]),
      cpuS: numbers(reply["cpu"]),
      ...("output" in reply ? { output: reply["output"]! } : {}),
      ...exceptionOf(reply),
    };
  }

  /**
   * Counts the bytecode instructions of one call of `entryPoint(*args)` under `sys.settrace`
   * (deterministic, and 15–100× slower than the call itself), stopping past `cap` instructions
   * (`capped`) or past `guardMs` of CPU time (`timeout`: C code can run long on few instructions;
   * default `guardFor(cap)`). The host caps the call at the guard plus 30 s; passing that is a
   * `timeout` too.
   */
  async count(program: string, entryPoint: string, args: readonly Wire[], options: { cap: number; guardMs?: number; signal?: AbortSignal }): Promise<CountedRun> {
    const guardMs = options.guardMs ?? guardFor(options.cap);
    const verdict = await this.session.call("crucible_count", [program, entryPoint, new Encoded([...args]), Math.max(0, Math.floor(options.cap)), guardMs / 1000], {
      timeoutMs: Math.ceil(guardMs + 30_000),
      raw: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const answer = replyOf(verdict);
    if (answer.kind === "lost") {
      return { status: answer.status, instructions: 0, ...(answer.exception ? { exception: answer.exception } : {}) };
    }
    const reply = answer.fields;
    return {
      status: statusOf(reply["status"]),
      instructions: wireNumber(reply["instructions"] ?? 0),
      ...("output" in reply ? { output: reply["output"]! } : {}),
      ...exceptionOf(reply),
    };
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/**
 * The CPU-time guard for counting up to `cap` instructions: 2 s, or the time tracing `cap`
 * instructions takes at a quarter of the ~10 M a second it manages here, whichever is more.
 */
export function guardFor(cap: number): number {
  return Math.max(2_000, cap / 2_500);
}

type Reply = Readonly<Record<string, Wire>>;
type Answer =
  | { readonly kind: "reply"; readonly fields: Reply }
  | { readonly kind: "lost"; readonly status: ProbeStatus; readonly exception?: { type: string; message: string } };

/**
 * The probe's answer, or what became of a call that never answered: the host's cap (`timeout`),
 * the memory limit (`memory`), or a crash of the interpreter (`error`).
 */
function replyOf(verdict: CallVerdict): Answer {
  if (verdict.status === "ok" && verdict.value instanceof Encoded) {
    const wire = verdict.value.wire;
    if (wire !== null && typeof wire === "object" && !Array.isArray(wire) && !Object.hasOwn(wire, "$t")) return { kind: "reply", fields: wire };
    throw new CrucibleError("protocol", "the efficiency probe answered with something other than its report");
  }
  if (verdict.status === "timeout") return { kind: "lost", status: "timeout" };
  if (verdict.status === "memory") return { kind: "lost", status: "memory" };
  if (verdict.status === "sandbox_error") {
    throw new CrucibleError("sandbox_unavailable", `the efficiency probe's sandbox failed: ${verdict.reason ?? "no reason given"}`);
  }
  return {
    kind: "lost",
    status: "error",
    exception: verdict.exception
      ? { type: verdict.exception.type, message: verdict.exception.message }
      : { type: verdict.status, message: verdict.reason ?? "the interpreter ended during the call" },
  };
}

const STATUSES: readonly ProbeStatus[] = ["ok", "timeout", "capped", "memory", "overflow", "error"];

function statusOf(wire: Wire | undefined): ProbeStatus {
  if (typeof wire === "string" && (STATUSES as readonly string[]).includes(wire)) return wire as ProbeStatus;
  throw new CrucibleError("protocol", `the efficiency probe reported an unknown status ${JSON.stringify(wire)}`);
}

function exceptionOf(reply: Reply): { exception?: { type: string; message: string } } {
  const e = reply["exception"];
  if (e === null || e === undefined || typeof e !== "object" || Array.isArray(e)) return {};
  const type = e["type"];
  const message = e["message"];
  return { exception: { type: typeof type === "string" ? type : "Exception", message: typeof message === "string" ? message : "" } };
}

/** A number in wire form: plain, or a tagged float (integral floats such as `0.0` travel tagged). */
export function wireNumber(w: Wire): number {
  if (typeof w === "number") return w;
  if (w !== null && typeof w === "object" && !Array.isArray(w) && (w["$t"] === "float" || w["$t"] === "int") && typeof w["v"] === "string") {
    const v = w["v"];
    if (w["$t"] === "float") return Number(v);
    const negative = v.startsWith("-");
    const magnitude = BigInt(negative ? v.slice(1) : v);
    return Number(negative ? -magnitude : magnitude);
  }
  throw new CrucibleError("protocol", `expected a number from the efficiency probe, got ${JSON.stringify(w)}`);
}
