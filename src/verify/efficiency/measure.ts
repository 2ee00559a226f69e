import { CrucibleError, throwIfAborted } from "../../errors.ts";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { Limits } from "../../sandbox/policy.ts";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { Comparator } from "../comparator.ts";
import { hodgesLehmann } from "./estimate.ts";
import { EfficiencyProbe, type Clock, type ProbeStatus } from "./probe.ts";
import { levelEfficiency } from "./score.ts";

/** Defaults of `measureProgram`: ENAMEL's repetitions and α, a 10 s limit per repetition. */
export const DEFAULT_REPS = 6;
export const DEFAULT_REP_LIMIT_MS = 10_000;
export const DEFAULT_TIMEOUT_FACTOR = 2;
/** About 20 s of tracing at the ~10 M instructions a second `sys.settrace` manages here. */
export const DEFAULT_INSTRUCTION_CAP = 200_000_000;

export interface MeasureRequest {
  /** The program (Python); `entryPoint` is called on each input. */
  readonly code: string;
  readonly entryPoint: string;
  /** Each input is the argument list, in wire form. */
  readonly inputs: readonly (readonly Wire[])[];
  /** Timed repetitions per input (default 6). */
  readonly reps?: number;
  /** Clock the estimate is taken on (default `cpu`; both are reported). */
  readonly clock?: Clock;
  /** Limit per repetition on that clock (default 10 s); passing it ends the input as `timeout`. */
  readonly limitMs?: number;
  /** Also count bytecode instructions, once per input (slow: tracing). */
  readonly instructions?: boolean;
  readonly instructionCap?: number;
  /**
   * A reference program for the same entry point: its outputs must match (EvalPlus equality),
   * and the report gets ENAMEL's efficiency score, all inputs as one level.
   */
  readonly reference?: string;
  /** α for that score (default 2). */
  readonly timeoutFactor?: number;
  readonly limits?: Partial<Limits>;
}

/** One input's measurement. */
export interface CaseMeasurement {
  readonly status: ProbeStatus;
  /** The Hodges–Lehmann estimate over the repetitions on the request's clock, ms (null when none finished). */
  readonly timeMs: number | null;
  /** Each repetition, ms. */
  readonly wallMs: readonly number[];
  readonly cpuMs: readonly number[];
  readonly instructions?: number;
  readonly instructionStatus?: ProbeStatus;
  readonly output?: Wire;
  readonly exception?: { readonly type: string; readonly message: string };
}

export interface ProgramMeasurement {
  readonly cases: readonly CaseMeasurement[];
  /** Every input ran all its repetitions without error, timeout or cap. */
  readonly ok: boolean;
}

export interface MeasureReport {
  readonly kind: "measure";
  readonly entryPoint: string;
  readonly reps: number;
  readonly clock: Clock;
  readonly limitMs: number;
  readonly program: ProgramMeasurement;
  readonly reference?: ProgramMeasurement & {
    /** Index of the first input whose output differs from the reference's (-1: all agree; null: not compared). */
    readonly firstMismatch: number | null;
    /**
     * ENAMEL's efficiency of the program against the reference, all inputs as one level:
     * `max(0, α·R − T) / (α·R − R)` with T and R the worst cases; 0 when it failed, timed out
     * or disagreed. Null when the reference itself did not finish.
     */
    readonly efficiency: number | null;
    readonly instructionEfficiency?: number | null;
  };
  readonly wallMs: number;
}

/**
 * Measures a program's cost on given inputs: per input, `reps` repetitions timed inside the
 * sandbox (fresh load each, GC off, Hodges–Lehmann estimate) and, if asked, the bytecode
 * instructions of one traced call. With a reference, measures it the same way, checks the outputs
 * agree and scores the program as ENAMEL would. Outcomes (errors, timeouts) are data.
 *
 * @throws CrucibleError `invalid_argument` for bad options; `aborted` when `signal` fires.
 */
export async function measureProgram(sandbox: Sandbox, request: MeasureRequest, options: { signal?: AbortSignal } = {}): Promise<MeasureReport> {
  const started = performance.now();
  const reps = request.reps ?? DEFAULT_REPS;
  const clock = request.clock ?? "cpu";
  const limitMs = request.limitMs ?? DEFAULT_REP_LIMIT_MS;
  const alpha = request.timeoutFactor ?? DEFAULT_TIMEOUT_FACTOR;
  if (!Number.isSafeInteger(reps) || reps < 1) throw new CrucibleError("invalid_argument", `reps must be a positive whole number, got ${reps}`);
  if (!(limitMs > 0)) throw new CrucibleError("invalid_argument", `the limit per repetition must be more than 0 ms, got ${limitMs}`);
  if (!(alpha > 1)) throw new CrucibleError("invalid_argument", `the timeout factor α must be more than 1, got ${alpha}`);
  if (request.inputs.length === 0) throw new CrucibleError("invalid_argument", "measuring needs at least one input");
  const signal = options.signal;
  const probe = await EfficiencyProbe.open(sandbox, { ...(request.limits ? { limits: request.limits } : {}), ...(signal ? { signal } : {}) });
  try {
    const run = (code: string) => measureOne(probe, code, request, { reps, clock, limitMs, ...(signal ? { signal } : {}) });
    const program = await run(request.code);
    if (request.reference === undefined) return { kind: "measure", entryPoint: request.entryPoint, reps, clock, limitMs, program, wallMs: performance.now() - started };
    const reference = await run(request.reference);
    const firstMismatch = program.ok && reference.ok ? await compareOutputs(sandbox, program, reference, request.inputs, signal) : null;
    const agreed = firstMismatch === -1;
    const score = (cost: (c: CaseMeasurement) => number | undefined): number | null => {
      const refCosts = reference.cases.map(cost);
      if (!reference.ok || refCosts.some((c) => c === undefined)) return null;
      const costs = program.cases.map(cost);
      if (!agreed || costs.some((c) => c === undefined)) return 0;
      const worstRef = Math.max(...(refCosts as number[]));
      return levelEfficiency(Math.max(...(costs as number[])), worstRef, alpha * worstRef);
    };
    const timeOf = (c: CaseMeasurement) => c.timeMs ?? undefined;
    const countOf = (c: CaseMeasurement) => (c.instructionStatus === "ok" ? c.instructions : undefined);
    return {
      kind: "measure",
      entryPoint: request.entryPoint,
      reps,
      clock,
      limitMs,
      program,
      reference: { ...reference, firstMismatch, efficiency: score(timeOf), ...(request.instructions ? { instructionEfficiency: score(countOf) } : {}) },
      wallMs: performance.now() - started,
    };
  } finally {
    await probe.close();
  }
}

async function measureOne(
  probe: EfficiencyProbe,
  code: string,
  request: MeasureRequest,
  o: { reps: number; clock: Clock; limitMs: number; signal?: AbortSignal },
): Promise<ProgramMeasurement> {
  const cases: CaseMeasurement[] = [];
  for (const args of request.inputs) {
    throwIfAborted(o.signal, "measuring");
    const timed = await probe.time(code, request.entryPoint, args, o);
    const chosen = o.clock === "cpu" ? timed.cpuS : timed.timesS;
    let measurement: CaseMeasurement = {
      status: timed.status,
      timeMs: timed.status === "ok" && chosen.length > 0 ? hodgesLehmann(chosen) * 1000 : null,
      wallMs: timed.timesS.map((s) => s * 1000),
      cpuMs: timed.cpuS.map((s) => s * 1000),
      ...(timed.output === undefined ? {} : { output: timed.output }),
      ...(timed.exception ? { exception: timed.exception } : {}),
    };
    if (request.instructions && timed.status === "ok") {
      const cap = request.instructionCap ?? DEFAULT_INSTRUCTION_CAP;
      const counted = await probe.count(code, request.entryPoint, args, { cap, ...(o.signal ? { signal: o.signal } : {}) });
      measurement = { ...measurement, instructions: counted.instructions, instructionStatus: counted.status };
    }
    cases.push(measurement);
  }
  const ok = cases.every((c) => c.status === "ok" && (c.instructionStatus === undefined || c.instructionStatus === "ok"));
  return { cases, ok };
}

async function compareOutputs(sandbox: Sandbox, program: ProgramMeasurement, reference: ProgramMeasurement, inputs: readonly (readonly Wire[])[], signal?: AbortSignal): Promise<number> {
  const comparator = await Comparator.open(sandbox, signal);
  try {
    const outputs = program.cases.map((c) => c.output ?? null);
    const expected = reference.cases.map((c) => c.output ?? null);
    const { index } = await comparator.firstMismatch(outputs, expected, inputs, 0, undefined, undefined, signal);
    return index;
  } finally {
    await comparator.close();
  }
}
