import { z } from "zod";
import { CrucibleError } from "../errors.ts";

const MiB = 1024 * 1024;

/**
 * Every limit a run is held to, with its unit in its name. All are enforced from outside the guest:
 * wall time by the supervisor and the host (which kills the whole sandbox), CPU time, file size and
 * open files by kernel rlimits, memory and processes by a cgroup when the host has a writable one
 * (rlimits otherwise), the writable area by a size-capped tmpfs, output by capped buffers.
 */
export interface Limits {
  /** Wall-clock time for one run or one session call; the run is killed when it passes. */
  readonly wallTimeMs: number;
  /** CPU time of the guest process (kernel RLIMIT_CPU, whole seconds, rounded up). */
  readonly cpuTimeMs: number;
  /** Memory for the guest, on top of the interpreter's own resident baseline. */
  readonly memoryBytes: number;
  /** Processes plus threads the sandbox may hold at once. */
  readonly maxProcesses: number;
  /** Open file descriptors per process. */
  readonly maxOpenFiles: number;
  /** Largest file the guest may write. */
  readonly maxFileBytes: number;
  /** Size of the writable area (a private tmpfs at /tmp). */
  readonly diskBytes: number;
  /** Bytes kept of stdout and of stderr each; passing it kills the run with `output_limit`. */
  readonly maxOutputBytes: number;
  /** Largest program accepted; checked before anything is spawned. */
  readonly maxCodeBytes: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  wallTimeMs: 10_000,
  cpuTimeMs: 10_000,
  memoryBytes: 512 * MiB,
  maxProcesses: 64,
  maxOpenFiles: 256,
  maxFileBytes: 16 * MiB,
  diskBytes: 64 * MiB,
  maxOutputBytes: 1 * MiB,
  maxCodeBytes: 1 * MiB,
});

const int = (min: number, max: number, unit: string) =>
  z
    .number({ error: `must be a number (${unit})` })
    .int({ error: `must be a whole number of ${unit}` })
    .min(min, { error: `must be at least ${min} ${unit}` })
    .max(max, { error: `must be at most ${max} ${unit}` });

const limitsSchema = z.strictObject({
  wallTimeMs: int(1, 3_600_000, "ms"),
  cpuTimeMs: int(1, 3_600_000, "ms"),
  memoryBytes: int(16 * MiB, 64 * 1024 * MiB, "bytes"),
  maxProcesses: int(1, 4096, "processes"),
  maxOpenFiles: int(16, 65_536, "files"),
  maxFileBytes: int(0, 64 * 1024 * MiB, "bytes"),
  diskBytes: int(1 * MiB, 64 * 1024 * MiB, "bytes"),
  maxOutputBytes: int(0, 1024 * MiB, "bytes"),
  maxCodeBytes: int(1, 256 * MiB, "bytes"),
});

/**
 * Merges `overrides` onto `base` and validates the result. Throws `invalid_argument` naming every
 * bad field (unknown names included), so a caller learns all its mistakes at once.
 */
export function resolveLimits(overrides: unknown = {}, base: Limits = DEFAULT_LIMITS): Limits {
  if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
    throw new CrucibleError("invalid_argument", "limits must be an object such as { wallTimeMs: 2000 }");
  }
  // A null-prototype object, so a "__proto__" key is a key (and reported unknown), not a prototype.
  const merged: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, base);
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  const parsed = limitsSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown limit ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (known: ${Object.keys(DEFAULT_LIMITS).join(", ")})`
        : `${issue.path.join(".")} ${issue.message}`,
    );
    throw new CrucibleError("invalid_argument", `bad limits: ${problems.join("; ")}`, {
      details: { problems },
    });
  }
  return Object.freeze(parsed.data);
}

/** Environment variable names a caller may never set for a guest: they change what the interpreter loads. */
const FORBIDDEN_ENV = /^(LD_|PYTHON|NODE_|DYLD_|BASH_ENV$|ENV$|PATH$|HOME$|TMPDIR$)/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Validates variables a caller wants in the guest's environment (added to the fixed allowlist).
 * Throws `invalid_argument` for names that would change what the interpreter loads
 * (`LD_PRELOAD`, `PYTHONPATH`, `PYTHONSTARTUP`, `NODE_OPTIONS`, …), malformed names, or NUL bytes.
 */
export function validateGuestEnv(env: Readonly<Record<string, string>> = {}): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new CrucibleError("invalid_argument", `environment variable name ${JSON.stringify(name)} is not a valid name`);
    }
    if (FORBIDDEN_ENV.test(name)) {
      throw new CrucibleError(
        "invalid_argument",
        `environment variable ${name} may not be set for a guest: it changes what the interpreter loads or where it writes`,
        { details: { name } },
      );
    }
    if (typeof value !== "string" || value.includes("\0") || value.length > 32_768) {
      throw new CrucibleError("invalid_argument", `environment variable ${name} must be a string without NUL bytes, at most 32768 characters`);
    }
    out[name] = value;
  }
  return Object.freeze(out);
}
