import { readFileSync } from "node:fs";
import { z } from "zod";
import { CrucibleError, throwIfAborted } from "../../errors.ts";
import type { Limits } from "../../sandbox/policy.ts";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict, Verdict } from "../../sandbox/verdict.ts";
import { TRACE_DEFAULTS, type TraceBlock, type TraceCallRecord, type TraceLimits, type TraceReport, type TraceStatus, type ValueSetReport } from "./types.ts";

const TRACER_PY = readFileSync(new URL("./guest/tracer.py", import.meta.url), "utf8");

/** Time the sandbox gives a traced call past its in-guest time limit: snapshots and the reply. */
const REPLY_GRACE_MS = 5_000;

export interface TraceRequest {
  /** Python source that defines `entryPoint` (and whatever it calls). */
  readonly code: string;
  readonly entryPoint: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly limits?: Partial<TraceLimits>;
  /** Sandbox limits of the session (memory, CPU…); its `wallTimeMs` bounds loading the code. */
  readonly sandboxLimits?: Partial<Limits>;
  readonly signal?: AbortSignal;
}

export interface TraceCallOptions {
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly limits?: Partial<TraceLimits>;
  readonly signal?: AbortSignal;
}

/**
 * Runs `entryPoint(*args)` once under the line tracer, inside the sandbox, and returns the executed
 * path as basic blocks with the variable states after each, the calls made and the step count.
 * What the candidate does (raise, loop, crash) is in the report's `status`, never thrown.
 * @throws CrucibleError `invalid_argument` for a bad request, `aborted`, `sandbox_unavailable`.
 */
export async function traceCall(sandbox: Sandbox, request: TraceRequest): Promise<TraceReport> {
  const session = await TraceSession.open(sandbox, request.code, sessionOptions(request));
  try {
    return await session.trace(request.entryPoint, request.args ?? [], callOptions(request));
  } finally {
    await session.close();
  }
}

/**
 * Like `traceCall`, but keeps no path: only the distinct (function, variable, value) triples seen
 * at block exits and at call entries. Cheaper to send; meant for comparing which values two
 * versions reach (Mokav-style feedback for difference-exposing input search).
 */
export async function traceValues(sandbox: Sandbox, request: TraceRequest): Promise<ValueSetReport> {
  const session = await TraceSession.open(sandbox, request.code, sessionOptions(request));
  try {
    return await session.values(request.entryPoint, request.args ?? [], callOptions(request));
  } finally {
    await session.close();
  }
}

function sessionOptions(request: TraceRequest): { limits?: Partial<Limits>; signal?: AbortSignal } {
  return { ...(request.sandboxLimits ? { limits: request.sandboxLimits } : {}), ...(request.signal ? { signal: request.signal } : {}) };
}

function callOptions(request: TraceRequest): TraceCallOptions {
  return {
    ...(request.kwargs ? { kwargs: request.kwargs } : {}),
    ...(request.limits ? { limits: request.limits } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  };
}

/**
 * Code loaded once under the tracer, traced on as many inputs as wanted. The candidate is loaded
 * with the tracer, so a call that kills the interpreter leaves a session that reloads both.
 */
export class TraceSession {
  readonly code: string;
  private readonly session: Session;

  private constructor(code: string, session: Session) {
    this.code = code;
    this.session = session;
  }

  /** Opens the session; a candidate that fails to load still opens one (its traces say `load_error`). */
  static async open(sandbox: Sandbox, code: string, options: { limits?: Partial<Limits>; signal?: AbortSignal } = {}): Promise<TraceSession> {
    if (typeof code !== "string") throw new CrucibleError("invalid_argument", "code must be a string of Python source");
    throwIfAborted(options.signal, "the trace");
    // The candidate's source travels as a JSON string literal, which Python reads as the same string.
    const session = await sandbox.session({
      language: "python",
      code: `${TRACER_PY}\n__crucible_trace_load(${JSON.stringify(code)})\n`,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return new TraceSession(code, session);
  }

  /** Traces one call. See `traceCall`. */
  async trace(entryPoint: string, args: readonly unknown[], options: TraceCallOptions = {}): Promise<TraceReport> {
    const { verdict, limits } = await this.call(entryPoint, args, "path", options);
    const base = { entryPoint, source: this.code };
    if (verdict === null) return { ...base, ...failed(this.session.loaded, "load_error") };
    if (verdict.status !== "ok") return { ...base, ...failed(verdict, verdict.status === "timeout" ? "timeout" : "crashed", limits) };
    const parsed = pathReport.safeParse(verdict.value);
    if (!parsed.success) throw guestBroke(parsed.error);
    const r = parsed.data;
    return {
      ...base,
      status: r.status,
      ...(r.status === "ok" ? { value: r.value } : {}),
      ...(r.exception ? { exception: r.exception } : {}),
      steps: r.steps,
      blockCount: r.blockCount,
      callCount: r.callCount,
      // zod types optional fields as `T | undefined`; decoded JSON never holds undefined.
      blocks: r.blocks as TraceBlock[],
      calls: r.calls as TraceCallRecord[],
      functions: r.functions,
      callMs: r.callMs,
    };
  }

  /** Collects the value set of one call. See `traceValues`. */
  async values(entryPoint: string, args: readonly unknown[], options: TraceCallOptions = {}): Promise<ValueSetReport> {
    const { verdict, limits } = await this.call(entryPoint, args, "values", options);
    const empty = { entryPoint, values: [], valuesDropped: 0 };
    if (verdict === null) return { ...empty, ...failedCounts(failed(this.session.loaded, "load_error")) };
    if (verdict.status !== "ok") return { ...empty, ...failedCounts(failed(verdict, verdict.status === "timeout" ? "timeout" : "crashed", limits)) };
    const parsed = valuesReport.safeParse(verdict.value);
    if (!parsed.success) throw guestBroke(parsed.error);
    const r = parsed.data;
    return {
      entryPoint,
      status: r.status,
      ...(r.status === "ok" ? { value: r.value } : {}),
      ...(r.exception ? { exception: r.exception } : {}),
      steps: r.steps,
      values: r.values,
      valuesDropped: r.valuesDropped,
      callMs: r.callMs,
    };
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  /** The guest call, or null when the candidate did not load. */
  private async call(
    entryPoint: string,
    args: readonly unknown[],
    collect: "path" | "values",
    options: TraceCallOptions,
  ): Promise<{ verdict: CallVerdict | null; limits: TraceLimits }> {
    if (typeof entryPoint !== "string" || entryPoint === "") throw new CrucibleError("invalid_argument", "entryPoint must be the name of a function");
    if (!Array.isArray(args)) throw new CrucibleError("invalid_argument", "args must be an array of the call's positional arguments");
    const limits = resolveTraceLimits(options.limits);
    if (this.session.loaded.status !== "ok") return { verdict: null, limits };
    const verdict = await this.session.call("__crucible_trace", [entryPoint, Array.from(args), options.kwargs ?? {}, { ...limits, collect }], {
      timeoutMs: limits.timeLimitMs + REPLY_GRACE_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    throwIfAborted(options.signal, "the trace");
    return { verdict, limits };
  }
}

/** Caps with defaults filled in; each must be a positive whole number. */
export function resolveTraceLimits(given: Partial<TraceLimits> = {}): TraceLimits {
  const out: Record<string, number> = { ...TRACE_DEFAULTS };
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(TRACE_DEFAULTS, key)) {
      throw new CrucibleError("invalid_argument", `unknown trace limit ${JSON.stringify(key)}; use ${Object.keys(TRACE_DEFAULTS).join(", ")}`);
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new CrucibleError("invalid_argument", `trace limit ${key} must be a positive whole number, not ${String(value)}`);
    out[key] = value;
  }
  return out as unknown as TraceLimits;
}

function failed(verdict: Verdict, status: TraceStatus, limits?: TraceLimits) {
  const reason =
    status === "timeout"
      ? `the sandbox stopped the call after ${limits ? limits.timeLimitMs + REPLY_GRACE_MS : verdict.wallMs} ms (the guest could not stop it at its time limit)`
      : verdict.exception
        ? `${verdict.exception.type}: ${verdict.exception.message}`
        : (verdict.reason ?? verdict.status);
  return {
    status,
    reason,
    ...(verdict.exception ? { exception: { type: verdict.exception.type, message: verdict.exception.message } } : {}),
    steps: 0,
    blockCount: 0,
    callCount: 0,
    blocks: [],
    calls: [],
    functions: [],
    callMs: 0,
  };
}

function failedCounts(f: ReturnType<typeof failed>) {
  return { status: f.status, reason: f.reason, ...(f.exception ? { exception: f.exception } : {}), steps: 0, callMs: 0 };
}

function guestBroke(error: z.ZodError): CrucibleError {
  return new CrucibleError("protocol", `the tracer's report did not have the expected shape: ${z.prettifyError(error)}`);
}

// The guest's report is hostile input (the candidate shares its interpreter): check every field.
const nat = z.number().int().min(-1);
const range = z.tuple([nat, nat]);
const strings = z.record(z.string(), z.string());
const guestStatus = z.enum(["ok", "exception", "step_limit", "time_limit"]);
const exception = z.object({ type: z.string(), message: z.string() }).optional();
const common = {
  status: guestStatus,
  value: z.unknown().optional(),
  exception,
  steps: z.number().int().nonnegative(),
  callMs: z.number().nonnegative(),
};
const pathReport = z.object({
  ...common,
  blockCount: z.number().int().nonnegative(),
  callCount: z.number().int().nonnegative(),
  functions: z.array(
    z.object({
      name: z.string(),
      qualname: z.string(),
      lines: range,
      blocks: z.array(z.object({ id: nat, lines: z.array(range) })),
    }),
  ),
  blocks: z.array(
    z.object({
      index: nat,
      call: nat,
      function: z.string(),
      block: nat,
      lines: range,
      executed: z.array(nat),
      steps: z.number().int().nonnegative(),
      state: strings,
      returned: z.string().optional(),
      raised: z.string().optional(),
    }),
  ),
  calls: z.array(
    z.object({
      id: nat,
      function: z.string(),
      parent: nat.nullable(),
      depth: nat,
      atIndex: nat,
      args: strings,
      fromBlock: z.object({ function: z.string(), block: nat, lines: range.nullable() }).optional(),
      returned: z.string().optional(),
      raised: z.string().optional(),
    }),
  ),
});
const valuesReport = z.object({
  ...common,
  values: z.array(z.tuple([z.string(), z.string(), z.string()])),
  valuesDropped: z.number().int().nonnegative(),
});
