// The root entry: values, errors, limits and verdict types only. It must not load child_process
// or any native module (a test asserts it); the sandbox backend is "crucible/sandbox".
export { CrucibleError, isCrucibleError } from "./errors.ts";
export type { CrucibleErrorCode } from "./errors.ts";
export { DEFAULT_LIMITS, resolveLimits, validateGuestEnv } from "./sandbox/policy.ts";
export type { Limits } from "./sandbox/policy.ts";
export { VERDICT_STATUSES } from "./sandbox/verdict.ts";
export type { CallVerdict, Verdict, VerdictStatus } from "./sandbox/verdict.ts";
export { Complex, decode, Digest, Encoded, encode, FrozenSet, GuestException, Opaque, Tuple } from "./sandbox/guest/codec.mjs";
export type { Wire } from "./sandbox/guest/codec.mjs";
