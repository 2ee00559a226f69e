// Differential testing: find an input on which two programs (Python or TypeScript) differ.
export { findDifference } from "./search.ts";
export { readExamples } from "./examples.ts";
export type { SourceExamples } from "./examples.ts";
export { hostValue, parameterTypes, randomInputs } from "./random.ts";
export { outcomeOf, portable } from "./outcome.ts";
export { diffReportLines, reprOf } from "./render.ts";
export type { Outcome } from "./outcome.ts";
export { DEFAULT_DIFF_BUDGET_MS, DEFAULT_DIFF_CALL_TIMEOUT_MS, DEFAULT_DIFF_CONFIRM_TIMEOUT_MS, STRATEGIES } from "./types.ts";
export type { DiffError, DiffFound, DiffNotFound, DiffProgram, DiffReport, DiffRequest, InputGenerator, Strategy } from "./types.ts";
