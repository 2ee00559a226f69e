// The local (bubblewrap) sandbox backend: Node-only, spawns processes. Imported as "crucible/sandbox".
export { createSandbox, LANGUAGES } from "./sandbox.ts";
export type { CallOptions, Language, RunRequest, Sandbox, SandboxOptions, Session, SessionRequest } from "./sandbox.ts";
export { DEFAULT_LIMITS, resolveLimits, validateGuestEnv } from "./policy.ts";
export type { Limits } from "./policy.ts";
export type { CallVerdict, Verdict, VerdictStatus } from "./verdict.ts";
export { VERDICT_STATUSES } from "./verdict.ts";
export { bwrapArgv, baseGuestEnv } from "./bwrap.ts";
export type { BwrapSpec, ReadOnlyBind } from "./bwrap.ts";
export { compileSeccompFilter, DENIED_SYSCALLS } from "./seccomp.ts";
export { discoverHost } from "./host.ts";
export type { HostFacts, HostOptions } from "./host.ts";
export { runDoctor } from "./doctor.ts";
export type { DoctorCheck, DoctorReport } from "./doctor.ts";
