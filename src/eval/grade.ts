import type { Wire } from "../sandbox/guest/codec.mjs";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Comparator, Compat } from "../verify/comparator.ts";
import { checkIO, runReference, timeLimits, type IOReport } from "../verify/io.ts";
import { checkProgram, HUMAN_EVAL_TIMEOUT_MS } from "../verify/program.ts";
import type { ReferenceEntry } from "./references.ts";
import { sampleCode, testCodeProgram } from "./datasets/programs.ts";
import type { Task } from "./datasets/types.ts";
import type { SampleGrade, TestStatus } from "./results.ts";

/** What grading needs of a sample: its task, its place among the task's samples, and its code. */
export interface GradableSample {
  readonly taskId: string;
  readonly completionId: number;
  /** Continues the task's prompt (human-eval format). */
  readonly completion?: string;
  /** A whole program (EvalPlus format); wins over `completion`. */
  readonly solution?: string;
}

export interface GradeContext {
  readonly sandbox: Sandbox;
  readonly comparator: Comparator;
  readonly compat?: Compat;
  /** human-eval's timeout for a self-checking program. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The graded part of a result; the caller adds the sample's own fields. */
export type Grade = SampleGrade;

/**
 * A key under which identical work is graded once: the same program against the same tests gets
 * the same verdict (deterministic hashing in the guest), however many samples repeat it.
 */
export function gradeKey(task: Task, sample: GradableSample): string {
  return `${task.id}\u0000${sampleCode(task, sample)}`;
}

/** Grades one sample against its task the way the task's benchmark does. */
export async function gradeSample(ctx: GradeContext, task: Task, sample: GradableSample, reference?: ReferenceEntry): Promise<Grade> {
  const started = performance.now();
  const program = sampleCode(task, sample);
  if (task.io) return gradeIO(ctx, task, program, reference, started);
  // human-eval's program is prompt + completion + "\n" + test + "\n" + check(entry point).
  const code = task.test !== undefined ? `${program}\n${task.test}\ncheck(${task.entryPoint})` : testCodeProgram(task, program);
  const report = await checkProgram(ctx.sandbox, { code, timeoutMs: ctx.timeoutMs ?? HUMAN_EVAL_TIMEOUT_MS }, ctx.signal ? { signal: ctx.signal } : {});
  const status: TestStatus = report.status === "passed" ? "pass" : report.status === "timeout" ? "timeout" : report.status === "error" ? "error" : "fail";
  return {
    result: report.result,
    passed: report.passed,
    ...(report.passed
      ? {}
      : {
          failure: {
            set: "program" as const,
            index: 0,
            kind: status,
            ...(report.exception ? { exception: `${report.exception.type}: ${report.exception.message}`.slice(0, 2000) } : {}),
          },
        }),
    duration_ms: performance.now() - started,
  };
}

async function gradeIO(ctx: GradeContext, task: Task, program: string, reference: ReferenceEntry | undefined, started: number): Promise<Grade> {
  const io = task.io!;
  if (!reference || "error" in reference) {
    const why = reference ? reference.error : "no reference outputs";
    return {
      result: `failed: the reference solution could not be run: ${why}`,
      passed: false,
      base_status: "error",
      plus_status: "error",
      duration_ms: performance.now() - started,
    };
  }
  const floorMs = ctx.compat === "evalplus-0.2.0" ? 200 : undefined;
  const run = (inputs: readonly (readonly Wire[])[], ref: { outputs: readonly Wire[]; timesMs: readonly number[] }) =>
    checkIO(
      ctx.sandbox,
      ctx.comparator,
      {
        code: program,
        entryPoint: task.entryPoint,
        inputs,
        // EvalPlus keeps only "returned something" of the reference for these tasks.
        expected: io.oracle === "not_none" ? ref.outputs.map((o) => o !== null) : ref.outputs,
        timeLimitsMs: timeLimits(ref.timesMs, floorMs === undefined ? {} : { floorMs }),
        atol: io.atol,
        // The reference cache keeps big outputs as digests: when a candidate's output differs from
        // one, the reference runs again on those inputs for the whole value.
        expectedOf: async (indices, signal) =>
          (await runReference(ctx.sandbox, { code: task.reference, entryPoint: task.entryPoint, inputs: indices.map((i) => inputs[i]!) }, signal ? { signal } : {}))
            .outputs,
        ...(io.oracle ? { oracle: io.oracle } : {}),
        ...(ctx.compat ? { compat: ctx.compat } : {}),
      },
      ctx.signal ? { signal: ctx.signal } : {},
    );
  const base = await run(io.base, reference.base);
  const plus = await run(io.plus, reference.plus);
  const passed = base.passed && plus.passed;
  const failing = !base.passed ? { set: "base" as const, report: base } : !plus.passed ? { set: "plus" as const, report: plus } : null;
  return {
    result: passed ? "passed" : failing?.report.status === "timeout" ? "timed out" : `failed: ${describe(failing!.set, failing!.report)}`,
    passed,
    base_status: ioStatus(base),
    plus_status: ioStatus(plus),
    ...(failing?.report.failure
      ? {
          failure: {
            set: failing.set,
            index: failing.report.failure.index,
            kind: failing.report.failure.kind,
            ...(failing.report.failure.input ? { input: show(failing.report.failure.input) } : {}),
            ...(failing.report.failure.expected !== null ? { expected: show(failing.report.failure.expected) } : {}),
            ...(failing.report.failure.actual !== undefined ? { actual: show(failing.report.failure.actual) } : {}),
            ...(failing.report.failure.exception
              ? { exception: `${failing.report.failure.exception.type}: ${failing.report.failure.exception.message}`.slice(0, 2000) }
              : {}),
          },
        }
      : {}),
    duration_ms: performance.now() - started,
  };
}

function ioStatus(report: IOReport): TestStatus {
  return report.passed ? "pass" : report.status === "timeout" ? "timeout" : "fail";
}

function describe(set: "base" | "plus", report: IOReport): string {
  const f = report.failure;
  if (!f) return `${set} tests`;
  if (f.kind === "load") return `the program did not load: ${f.exception ? `${f.exception.type}: ${f.exception.message}` : (f.reason ?? "")}`;
  const what = f.kind === "mismatch" ? "wrong output" : f.kind === "exception" && f.exception ? `${f.exception.type}: ${f.exception.message}` : f.kind;
  return `${set} test ${f.index}: ${what}`;
}

/** A wire value as short text for reports. */
function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
