/**
 * The one error class of Crucible. `code` is stable and is what callers branch on; `details` holds
 * structured facts (never secrets); `cause` keeps the original error. Messages say what to do next.
 * Outcomes of guest code (a failing program, a timeout) are never errors: they are verdicts.
 */
export type CrucibleErrorCode =
  | "invalid_argument"
  | "storage"
  | "conflict"
  | "not_found"
  | "unknown_language"
  | "code_too_large"
  | "busy"
  | "aborted"
  | "closed"
  | "sandbox_unavailable"
  | "host_unsupported"
  | "protocol";

export class CrucibleError extends Error {
  override readonly name = "CrucibleError";
  readonly code: CrucibleErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: CrucibleErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}

/** True when `error` is a CrucibleError, optionally of the given code. */
export function isCrucibleError(error: unknown, code?: CrucibleErrorCode): error is CrucibleError {
  return error instanceof CrucibleError && (code === undefined || error.code === code);
}

/** Throws `aborted` (keeping the signal's reason as the cause) when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = "the operation"): void {
  if (signal?.aborted) throw new CrucibleError("aborted", `${what} was cancelled`, { cause: signal.reason });
}
