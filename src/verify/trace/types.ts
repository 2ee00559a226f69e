// The shapes of execution traces: what `traceCall` returns and `firstDivergence` compares.

/** A line range, first and last line included (1-based, lines of the traced source). */
export type LineRange = readonly [number, number];

/** One static basic block of a function: the line spans of the statements in it. */
export interface StaticBlock {
  readonly id: number;
  readonly lines: readonly LineRange[];
}

/** A function of the traced code that ran during the call, split into its static basic blocks. */
export interface TracedFunction {
  readonly name: string;
  /** Python's qualified name, such as `outer.<locals>.helper`: how blocks and calls name it. */
  readonly qualname: string;
  readonly lines: LineRange;
  readonly blocks: readonly StaticBlock[];
}

/**
 * One block instance of the executed path, recorded when the block was left. Values are bounded
 * reprs: past `maxValueChars` the middle is cut and replaced by its length and a checksum, so two
 * values that differ only there still compare unequal.
 */
export interface TraceBlock {
  /** Position in the whole executed path (0-based); a jump between neighbours marks left-out blocks. */
  readonly index: number;
  /** Id of the call (frame) that ran the block: see `TraceReport.calls`. */
  readonly call: number;
  readonly function: string;
  /** Static block id within `function`; -1 for lines outside every known block. */
  readonly block: number;
  /** First and last line of the static block. */
  readonly lines: LineRange;
  /** Lines that ran in this instance, in the order they first ran. */
  readonly executed: readonly number[];
  /** Line events in this instance. */
  readonly steps: number;
  /** The frame's local variables when the block was left (functions, classes and modules omitted). */
  readonly state: Readonly<Record<string, string>>;
  /** Repr of the value returned when the frame returned at the end of this block. */
  readonly returned?: string;
  /** `Type: message` of the exception the frame ended with at this block. */
  readonly raised?: string;
}

/** Where a call was made from: the caller's block, still running when the call began. */
export interface CallSite {
  readonly function: string;
  readonly block: number;
  readonly lines: LineRange | null;
}

/** One call of a traced function (per-function views: arguments in, result out). */
export interface TraceCallRecord {
  readonly id: number;
  readonly function: string;
  /** Id of the calling traced frame; null for the entry call. */
  readonly parent: number | null;
  readonly depth: number;
  /** How many blocks of the path had ended when the call began. */
  readonly atIndex: number;
  readonly args: Readonly<Record<string, string>>;
  readonly fromBlock?: CallSite;
  readonly returned?: string;
  readonly raised?: string;
}

/**
 * How the traced call ended: `ok` returned; `exception` raised; `step_limit` / `time_limit` hit a
 * cap inside the guest (the path up to there is kept); `timeout` the sandbox killed the call (no
 * path); `load_error` the code did not load; `crashed` the interpreter died (memory, output flood…).
 */
export type TraceStatus = "ok" | "exception" | "step_limit" | "time_limit" | "timeout" | "load_error" | "crashed";

export interface TraceReport {
  readonly status: TraceStatus;
  readonly entryPoint: string;
  /** The traced source: block line numbers refer to it. */
  readonly source: string;
  /** The returned value (decoded), when `status` is `ok`. */
  readonly value?: unknown;
  readonly exception?: { readonly type: string; readonly message: string };
  /** Why, in words, for `timeout`, `load_error` and `crashed`. */
  readonly reason?: string;
  /** Line events executed in the traced code (comprehensions and lambdas included). */
  readonly steps: number;
  /** Block instances in the whole path; `blocks` keeps the first and the last ones past the cap. */
  readonly blockCount: number;
  readonly callCount: number;
  readonly blocks: readonly TraceBlock[];
  readonly calls: readonly TraceCallRecord[];
  readonly functions: readonly TracedFunction[];
  /** Time inside the guest call, ms. */
  readonly callMs: number;
}

/** What `traceValues` returns: which values each variable took at block exits, without the path. */
export interface ValueSetReport {
  readonly status: TraceStatus;
  readonly entryPoint: string;
  readonly value?: unknown;
  readonly exception?: { readonly type: string; readonly message: string };
  readonly reason?: string;
  readonly steps: number;
  /** Distinct (function, variable, value repr) triples, sorted. */
  readonly values: readonly (readonly [fn: string, variable: string, value: string])[];
  /** Triples not kept past `maxValues`. */
  readonly valuesDropped: number;
  readonly callMs: number;
}

/** Caps of one traced call. Defaults in `TRACE_DEFAULTS`. */
export interface TraceLimits {
  /** Line events before the call is stopped (`step_limit`). */
  readonly maxSteps: number;
  /** Block instances kept: the first half and the last half of the path. */
  readonly maxBlocks: number;
  /** Call records kept, the same way. */
  readonly maxCalls: number;
  /** Characters of one value's repr before its middle is cut. */
  readonly maxValueChars: number;
  /** Distinct triples kept by `traceValues`. */
  readonly maxValues: number;
  /** Wall time of the traced call inside the guest (`time_limit`); the sandbox kills it a little later. */
  readonly timeLimitMs: number;
}

export const TRACE_DEFAULTS: TraceLimits = {
  maxSteps: 1_000_000,
  maxBlocks: 200,
  maxCalls: 200,
  maxValueChars: 100,
  maxValues: 10_000,
  timeLimitMs: 10_000,
};
