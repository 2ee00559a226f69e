import type { Wire } from "../../sandbox/guest/codec.mjs";

/** The benchmark families Crucible grades; each has its own way of turning a sample into a verdict. */
export type DatasetKind = "humaneval" | "humaneval+" | "mbpp+" | "humaneval-pro" | "mbpp-pro";

/**
 * EvalPlus's special comparisons, by the task they belong to (EvalPlus `evalplus/eval/__init__.py`
 * and `_special_oracle.py`): `find_zero` (HumanEval/32: |poly(xs, out)| ≤ atol instead of equality),
 * `set_eq` (MBPP+ tasks whose output order and duplicates do not matter), `not_none` (MBPP+ regex
 * tasks: only "returned something" counts), `surface_area` (Mbpp/581) and `digit_distance`
 * (Mbpp/558), which recompute the expected value.
 */
export type IOOracle = "find_zero" | "set_eq" | "not_none" | "surface_area" | "digit_distance";

/** Input/output tests (EvalPlus): the entry point is called with each argument list. */
export interface IOTests {
  /** The original benchmark's inputs; each is the argument list, in wire form. */
  readonly base: readonly (readonly Wire[])[];
  /** EvalPlus's extra inputs. */
  readonly plus: readonly (readonly Wire[])[];
  /** Absolute tolerance for float outputs from the row; 0 means exact (EvalPlus then still allows 1e-6 for float outputs). */
  readonly atol: number;
  readonly oracle?: IOOracle;
}

/** What the reference harness shows a chat model for a self-invoking (Pro) task. */
export interface ChatPrompt {
  /** The user message: both problems in one python fence. */
  readonly instruction: string;
  /** The start of the answer the harness writes for the model (a python fence, then the first problem). */
  readonly responsePrefix: string;
}

/**
 * One benchmark problem. Which test fields are present says how it is graded:
 * - `test` (human-eval): program = `prompt + completion + "\n" + test + "\n" + "check(" + entryPoint + ")"`;
 * - `io` (EvalPlus): the solution is loaded and `entryPoint(*input)` is compared with the reference's output;
 * - `testCode` (Pro, and MBPP+'s plain assertions): program = `solution + "\n" + testCode`; it passes when it exits 0.
 */
export interface Task {
  /** "HumanEval/0", "Mbpp/2"; Pro tasks keep their numeric id as text ("0"), as their samples carry it. */
  readonly id: string;
  /** What a completion model continues; a completion-format sample's program is `prompt + completion`. */
  readonly prompt: string;
  readonly entryPoint: string;
  /** A complete program that solves the task. */
  readonly reference: string;
  readonly test?: string;
  readonly testCode?: string;
  readonly io?: IOTests;
  /** Pro only: the chat prompt of the reference harness. */
  readonly chat?: ChatPrompt;
}

/** A loaded benchmark. */
export interface Dataset {
  /** The name it was resolved by ("humaneval+"), or the file's base name when loaded by path. */
  readonly name: string;
  readonly kind: DatasetKind;
  /** The file it was read from. */
  readonly path: string;
  /** sha256 (hex) of the content, after gunzip when the file is compressed. */
  readonly sha256: string;
  /**
   * md5 (hex) of the content after gunzip: EvalPlus's dataset hash (the `hash` field of its
   * `eval_results.json`), so results can be matched to the dataset they were graded on.
   */
  readonly md5: string;
  readonly tasks: readonly Task[];
}
