// What a property check reports: passed, failed (with the shrunk counterexample and how to
// replay it) or error (the check could not run). Plain JSON data: values travel in wire form.
import type { Wire } from "../../sandbox/guest/codec.mjs";

/**
 * Why one input failed. `false`: the predicate returned a false value; `assertion`: it raised
 * AssertionError; `predicate_error`: it raised anything else (often the candidate returned the
 * wrong type); `mismatch`: the output differs from the reference's (or, in a stateful check, the
 * model's); `exception`: the candidate raised; `timeout`: the candidate ran past its time; `crash`:
 * the candidate's interpreter died (memory, output flood, exit).
 */
export type FailureKind = "false" | "assertion" | "predicate_error" | "mismatch" | "exception" | "timeout" | "crash";

export interface PropertyFailure {
  readonly kind: FailureKind;
  /** One line a person reads. */
  readonly message: string;
  /** The candidate's output (wire), when it returned one. */
  readonly output?: Wire;
  /** The reference's (or model's) output, for `mismatch`. */
  readonly expected?: Wire;
  /** The exception raised (by the candidate, or by the predicate for `assertion`/`predicate_error`). */
  readonly exception?: { readonly type: string; readonly message: string; readonly traceback: string };
}

/** An input that made the property fail: argument lists (wire form) and how Python prints the call. */
export interface Counterexample {
  /** The arguments in wire form (`encode` of the generated values): feed them back with `Encoded`. */
  readonly args: readonly Wire[];
  /** `f(1, 0)`, or for a stateful check the sequence of calls, one per line. */
  readonly repr: string;
  /** A stateful check's steps, each `{method, args}`; absent for a function. */
  readonly steps?: readonly { readonly method: string; readonly args: readonly Wire[] }[];
}

interface Common {
  /** The function (or class) checked. */
  readonly entryPoint: string;
  /** What judged the outputs: `property` (a predicate) or `reference` (another implementation) or `model` (stateful). */
  readonly oracle: "property" | "reference" | "model";
  readonly ms: number;
}

export interface PropertyPassed extends Common {
  readonly status: "passed";
  /** Inputs checked (discarded ones not counted). */
  readonly numRuns: number;
  /** Inputs thrown away by `pre`, or because the reference raised on them. */
  readonly numDiscarded: number;
  readonly seed: number;
}

export interface PropertyFailed extends Common {
  readonly status: "failed";
  readonly seed: number;
  /** fast-check's counterexample path: with the seed it replays the shrunk counterexample at once. */
  readonly path: string;
  /** Runs until the first failure. */
  readonly numRuns: number;
  readonly numShrinks: number;
  /** The smallest failing input found. */
  readonly counterexample: Counterexample;
  /** The first failing input, before shrinking. */
  readonly original: Counterexample;
  /** Why the counterexample fails (from running it once more after shrinking). */
  readonly failure: PropertyFailure;
  /** True when that final run passed: the candidate does not behave the same on the same input. */
  readonly flaky: boolean;
}

export interface PropertyError extends Common {
  readonly status: "error";
  /** Which part could not run: the candidate, its input types, the predicate, the reference. */
  readonly phase: "load" | "inputs" | "property" | "reference" | "sandbox";
  readonly reason: string;
  /** When too many inputs were discarded: the inputs judged before fast-check gave up. */
  readonly numRuns?: number;
  /** When too many inputs were discarded: how many. */
  readonly numDiscarded?: number;
}

export type PropertyReport = PropertyPassed | PropertyFailed | PropertyError;
