import type { GuestException } from "./guest/codec.mjs";

/** How a run ended. Every run ends in one of these; none is thrown. */
export type VerdictStatus =
  | "ok"
  | "error"
  | "timeout"
  | "memory"
  | "output_limit"
  | "disk_limit"
  | "killed"
  | "sandbox_error";

export const VERDICT_STATUSES: readonly VerdictStatus[] = [
  "ok",
  "error",
  "timeout",
  "memory",
  "output_limit",
  "disk_limit",
  "killed",
  "sandbox_error",
];

/**
 * The result of one run or one session call. Fields come from the supervisor and the host (exit
 * status, times, memory, limits), never from parsing what the guest printed; only `value` and
 * `exception` carry what guest code produced.
 */
export interface Verdict {
  readonly status: VerdictStatus;
  /** Why, in words, when the status is not `ok` and more can be said than the status. */
  readonly reason: string | null;
  readonly exitCode: number | null;
  /** Name of the signal that ended the guest, such as `SIGKILL`. */
  readonly signal: string | null;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Peak resident memory of the guest, in bytes (0 when it could not be read). */
  readonly peakMemoryBytes: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /** The guest's uncaught exception (type, message, traceback), for `error` and `memory`. */
  readonly exception?: GuestException;
}

/** A session call's verdict: the returned value (decoded) when `status` is `ok`. */
export interface CallVerdict extends Verdict {
  readonly value?: unknown;
  /** Time spent inside the guest function itself, in ms, when the guest could measure it. */
  readonly callMs?: number;
  /** True when the call killed the interpreter and the session loaded its code again. */
  readonly restarted?: boolean;
}

/** A verdict for a run that never reached the guest (spawn failure, protocol breach). */
export function sandboxError(reason: string, wallMs = 0): Verdict {
  return {
    status: "sandbox_error",
    reason,
    exitCode: null,
    signal: null,
    wallMs,
    cpuMs: 0,
    peakMemoryBytes: 0,
    stdout: "",
    stderr: "",
    stdoutTruncated: false,
    stderrTruncated: false,
  };
}
