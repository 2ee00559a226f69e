import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { Language } from "../../sandbox/sandbox.ts";
import type { Oracle } from "../comparator.ts";
import type { Outcome } from "./outcome.ts";

/** One of the two programs: its whole source and the function to call. */
export interface DiffProgram {
  readonly language: Language;
  readonly code: string;
  readonly entryPoint: string;
}

/** How an input was made: given, boundary value, random from types, mutation, or mutation steered by value feedback. */
export type Strategy = "seed" | "boundary" | "random" | "mutation" | "feedback";
export const STRATEGIES: readonly Strategy[] = ["seed", "boundary", "random", "mutation", "feedback"];

/**
 * Makes `count` random argument lists (wire form) from the parameters' types; see
 * `randomInputs`. Must be deterministic in `seed`.
 */
export type InputGenerator = (seed: number, count: number) => Wire[][];

export interface DiffRequest {
  readonly a: DiffProgram;
  readonly b: DiffProgram;
  /** Argument lists (wire form) to start from and to mutate, such as a docstring's examples. */
  readonly seeds?: readonly (readonly Wire[])[];
  /** Random inputs from the parameters' types; without it the search mutates seeds only. */
  readonly random?: InputGenerator;
  /** Wall time for the whole search, sessions included (default 10 s). */
  readonly budgetMs?: number;
  /** Time limit of one call while searching (default 500 ms). */
  readonly callTimeoutMs?: number;
  /** Time limit when a difference is confirmed by running the input again (default 2 s). */
  readonly confirmTimeoutMs?: number;
  /** Seed of the search; the same seed replays the same inputs (default 1). */
  readonly seed?: number;
  /** Float tolerance for outputs (EvalPlus's rules: 1e-6 once float outputs appear). */
  readonly atol?: number;
  readonly oracle?: Oracle;
  /** Steer mutation by which variable values one version reaches and the other never does (Python only; default true). */
  readonly feedback?: boolean;
  /** Largest input, as wire JSON text, the search makes (default 4000 characters). */
  readonly maxInputChars?: number;
}

/** A difference-exposing input, confirmed by running it again on both programs. */
export interface DiffFound {
  readonly status: "found";
  /** The arguments, in wire form (tagged JSON). */
  readonly input: readonly Wire[];
  readonly a: Outcome;
  readonly b: Outcome;
  readonly strategy: Strategy;
  readonly seed: number;
  readonly elapsedMs: number;
  /** Distinct inputs run on both programs before and including this one. */
  readonly inputsTried: number;
  /** Calls made to each program, confirmation included. */
  readonly calls: number;
}

export interface DiffNotFound {
  readonly status: "not_found";
  readonly seed: number;
  readonly elapsedMs: number;
  readonly budgetMs: number;
  readonly inputsTried: number;
  readonly calls: number;
  /** `budget`: time ran out; `exhausted`: there was nothing left to try (no seeds and no types). */
  readonly reason: "budget" | "exhausted";
  /** Differences seen once that did not repeat (nondeterminism, flaky timing). */
  readonly unconfirmed: number;
}

/** A program that would not load (syntax error, import error, hang): no input was tried. */
export interface DiffError {
  readonly status: "error";
  readonly seed: number;
  readonly elapsedMs: number;
  /** Which program(s) failed to load, with why. */
  readonly failures: readonly { readonly which: "a" | "b"; readonly reason: string }[];
}

export type DiffReport = DiffFound | DiffNotFound | DiffError;

export const DEFAULT_DIFF_BUDGET_MS = 10_000;
export const DEFAULT_DIFF_CALL_TIMEOUT_MS = 500;
export const DEFAULT_DIFF_CONFIRM_TIMEOUT_MS = 2_000;
