// Verification by execution: checks built from sandbox calls; results are data. Knows nothing of LLMs.
export { checkProgram, programReport, HUMAN_EVAL_TIMEOUT_MS } from "./program.ts";
export type { ProgramCheck, ProgramReport, ProgramStatus } from "./program.ts";
export { checkIO, runReference, timeLimits, DEFAULT_TIME_FACTOR, DEFAULT_TIME_FLOOR_MS } from "./io.ts";
export type { IOCheck, IOFailure, IOFailureKind, IOReport, ReferenceRun } from "./io.ts";
export { Comparator } from "./comparator.ts";
export type { Compat, Oracle } from "./comparator.ts";
