import { z } from "zod";
import { CrucibleError } from "../errors.ts";
import { Encoded, type Wire } from "../sandbox/guest/codec.mjs";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { CallVerdict } from "../sandbox/verdict.ts";
import { checkIO, DEFAULT_TIME_FLOOR_MS } from "../verify/io.ts";
import { HUMAN_EVAL_TIMEOUT_MS } from "../verify/program.ts";
import type { Comparator } from "../verify/comparator.ts";
import { zodTool, type ToolEntry } from "./registry.ts";
import { ExceptionView, VerdictView, viewException, viewValue, viewVerdict } from "./verdict-view.ts";

export interface TestToolsDeps {
  readonly sandbox: Sandbox;
  /** The shared comparator (a trusted interpreter of its own), opened on first use. */
  readonly comparator: (signal: AbortSignal) => Promise<Comparator>;
  readonly maxOutputChars: number;
}

const Case = z.strictObject({
  args: z.array(z.unknown()).max(1000).describe("the arguments, as JSON (tagged JSON for tuples, sets, bytes, big ints)"),
  expected: z.unknown().describe("the expected return value"),
});

const Failure = z.strictObject({
  index: z.number().int().describe("the failing case, or -1 when the code did not load"),
  kind: z.enum(["load", "exception", "timeout", "crash", "mismatch"]),
  input: z.unknown().optional(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  exception: ExceptionView.optional(),
  reason: z.string().optional(),
});

const Report = z.strictObject({
  status: z.enum(["passed", "failed", "timeout", "error"]),
  passed: z.boolean(),
  /** Per case: true passed, false failed, null not run (after the first failure with failFast). */
  passVector: z.array(z.boolean().nullable()).optional(),
  failure: Failure.optional(),
  /** For test programs: how the program run ended. */
  verdict: VerdictView.optional(),
  wallMs: z.number(),
});

/**
 * Runs a test program against code: the code is loaded in a session, then the tests are executed in
 * its namespace as a separate step. Only that step finishing without an exception passes, so code
 * that prints "passed", exits 0 while loading or during the tests, or ends its process early
 * cannot pass (human-eval's exit-status check would let the first two through).
 */
async function runTestProgram(sandbox: Sandbox, code: string, tests: string, timeoutMs: number, maxChars: number, signal: AbortSignal): Promise<z.input<typeof Report>> {
  const started = performance.now();
  const session = await sandbox.session({ language: "python", code, limits: { wallTimeMs: timeoutMs }, signal });
  try {
    const step: CallVerdict = session.loaded.status === "ok" ? await session.exec(tests, { timeoutMs, signal }) : session.loaded;
    const loading = session.loaded.status !== "ok";
    // A step that ended the interpreter (os._exit) comes back "ok" with the session restarted: the
    // tests did not run to their end, so it fails.
    const passed = step.status === "ok" && step.restarted !== true;
    const status = passed ? "passed" : step.status === "timeout" ? "timeout" : step.status === "sandbox_error" ? "error" : "failed";
    return {
      status,
      passed,
      verdict: viewVerdict(step, maxChars),
      ...(passed
        ? {}
        : {
            failure: {
              index: loading ? -1 : 0,
              kind: loading ? ("load" as const) : step.status === "timeout" ? ("timeout" as const) : step.exception ? ("exception" as const) : ("crash" as const),
              ...(step.exception ? { exception: viewException(step.exception, maxChars) } : {}),
              reason: step.restarted === true ? "the code ended its interpreter before the tests finished" : (step.reason ?? step.status),
            },
          }),
      wallMs: performance.now() - started,
    };
  } finally {
    await session.close();
  }
}

/**
 * run_tests: a Python solution against either test code (asserts, run after it in its namespace) or input/output cases (EvalPlus style: each case is a call of the entry
 * point whose result is compared with the expected value by Python's own `==`, floats with a
 * tolerance, in an interpreter the solution cannot reach).
 */
export function testTools(deps: TestToolsDeps): ToolEntry<unknown>[] {
  const { sandbox, maxOutputChars } = deps;
  const maxMs = sandbox.limits.wallTimeMs;
  return [
    zodTool({
      name: "run_tests",
      title: "Run tests on Python code",
      description:
        "Grades Python code by running it. Give `tests` (test code run after the code, in its namespace: asserts, or human-eval's test code plus check(entry); passes when it runs to the end without an exception) or `entryPoint` with `cases` ({args, expected} calls compared with Python's == and a float tolerance, in a separate trusted interpreter). Returns passed/failed/timeout with the first failing case.",
      input: z
        .strictObject({
          code: z.string().describe("the Python solution"),
          tests: z.string().optional().describe("test code run in the code's namespace after it loaded"),
          entryPoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/u).optional().describe("the function the cases call"),
          cases: z.array(Case).min(1).max(10_000).optional(),
          atol: z.number().min(0).max(1).optional().describe("absolute float tolerance (EvalPlus's rules); default 1e-6 once a float appears"),
          failFast: z.boolean().optional().describe("stop at the first failing case (default true)"),
          timeoutMs: z.number().int().min(1).max(maxMs).optional().describe(`per case (or for the whole test program) in ms, at most ${maxMs}`),
        })
        .refine((a) => (a.tests === undefined) !== (a.cases === undefined), { message: "give either tests (a test program) or cases, not both and not neither" })
        .refine((a) => a.cases === undefined || a.entryPoint !== undefined, { message: "cases need entryPoint, the function they call", path: ["entryPoint"] }),
      output: Report,
      annotations: { readOnlyHint: true, openWorldHint: false },
      async run(args, { signal }) {
        if (args.tests !== undefined) return runTestProgram(sandbox, args.code, args.tests, args.timeoutMs ?? Math.min(maxMs, HUMAN_EVAL_TIMEOUT_MS * 3), maxOutputChars, signal);
        const cases = args.cases ?? [];
        if (args.entryPoint === undefined) throw new CrucibleError("invalid_argument", "cases need entryPoint");
        const comparator = await deps.comparator(signal);
        const report = await checkIO(
          sandbox,
          comparator,
          {
            code: args.code,
            entryPoint: args.entryPoint,
            inputs: cases.map((c) => c.args as Wire[]),
            expected: cases.map((c) => (c.expected ?? null) as Wire),
            timeLimitsMs: cases.map(() => args.timeoutMs ?? Math.min(maxMs, DEFAULT_TIME_FLOOR_MS * 5)),
            atol: args.atol ?? 0,
            failFast: args.failFast ?? true,
            limits: { memoryBytes: sandbox.limits.memoryBytes },
          },
          { signal },
        );
        const f = report.failure;
        return {
          status: report.status,
          passed: report.passed,
          passVector: [...report.passVector],
          ...(f
            ? {
                failure: {
                  index: f.index,
                  kind: f.kind,
                  ...(f.input === null ? {} : { input: f.input }),
                  ...(f.expected === null ? {} : { expected: f.expected }),
                  ...(f.actual === undefined ? {} : { actual: viewValue(new Encoded(f.actual), maxOutputChars).value ?? "[too large to show]" }),
                  ...(f.exception ? { exception: viewException(f.exception, maxOutputChars) } : {}),
                  ...(f.reason === undefined ? {} : { reason: f.reason }),
                },
              }
            : {}),
          wallMs: report.wallMs,
        };
      },
    }),
  ];
}
