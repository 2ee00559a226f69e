import { CrucibleError, throwIfAborted } from "../../errors.ts";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { hodgesLehmann } from "./estimate.ts";
import { EfficiencyProbe, type Clock, type CountedRun, type ProbeStatus, type TimedRun } from "./probe.ts";
import { ProblemSession } from "./problem.ts";
import { levelEfficiency, weightedEfficiency } from "./score.ts";

/**
 * A problem with leveled test generators, ENAMEL's protocol: inputs of growing size per level,
 * built by the task's generator; an expert reference sets each level's cost; a checker judges
 * outputs. Every program runs as `prompt + "\n" + code`.
 */
export interface LeveledProblem {
  readonly id: string;
  readonly prompt: string;
  readonly entryPoint: string;
  /** Python defining `generate_input(size, lid, cid)` (dataset code; runs in the sandbox). */
  readonly generator: string;
  /** The input size of each level (bigint: sizes may pass 2^53). */
  readonly sizes: readonly bigint[];
  /** The reference as a complete program. */
  readonly reference: string;
  /** Python defining `__check(input, answer, output)`. */
  readonly checker: string;
  /** Seed of the generator's `random` (ENAMEL: 998244353 ^ the problem's index). */
  readonly seed: number;
}

/** What a sample's efficiency is measured by: in-guest time, or Python bytecode instructions executed. */
export type EfficiencyMetric = "time" | "instructions";

export interface LeveledSettings {
  /** Cases per level (ENAMEL: 8, 4, 4, 4). */
  readonly testsPerLevel: readonly number[];
  /** Weight of each level in the score; a level of hardness 0 only checks correctness (ENAMEL: 0, 3, 3, 4). */
  readonly hardness: readonly number[];
  /** Timed repetitions per case of a scored level (ENAMEL: 6; unscored levels run once). */
  readonly reps: number;
  /** α: the timeout is α × the reference's worst case over the scored levels (ENAMEL: 2). */
  readonly timeoutFactor: number;
  /** Added to each repetition's time limit (ENAMEL: 10 ms). */
  readonly toleranceMs: number;
  readonly metric: EfficiencyMetric;
  /** For the time metric: which clock (the CPU clock holds on a busy machine; ENAMEL used the wall clock). */
  readonly clock: Clock;
}

/**
 * ENAMEL's defaults (its `demo.py`), timed on the process's CPU clock: ENAMEL read the wall clock
 * on a machine of its own, and on a shared one the CPU clock is what keeps other processes out
 * of the figures (`clock: "wall"` is ENAMEL's exact choice).
 */
export const ENAMEL_SETTINGS: LeveledSettings = Object.freeze({
  testsPerLevel: Object.freeze([8, 4, 4, 4]),
  hardness: Object.freeze([0, 3, 3, 4]),
  reps: 6,
  timeoutFactor: 2,
  toleranceMs: 10,
  metric: "time",
  clock: "cpu",
});

/** The reference's costs: seconds (Hodges–Lehmann over the repetitions) or instructions. */
export interface ReferenceProfile {
  readonly metric: EfficiencyMetric;
  /** Per level, per case. */
  readonly costs: readonly (readonly number[])[];
  /** Per level, the worst case (−∞ for levels of hardness 0, which ENAMEL does not calibrate). */
  readonly levelCosts: readonly number[];
  /** The worst case over the scored levels, and where it is. */
  readonly maxCost: number;
  readonly hardest: { readonly level: number; readonly case: number };
}

/** How a sample fared on one level it reached. */
export interface LevelResult {
  /** Per case that finished: its cost, scaled by the time correction (seconds or instructions). */
  readonly costs: readonly number[];
  /** The level's efficiency (0 when the level broke off). */
  readonly efficiency: number;
  /** Set when a case ran out of time, instructions or memory: later levels score 0. */
  readonly stopped?: { readonly case: number; readonly status: ProbeStatus };
}

export interface SampleEfficiency {
  /** ENAMEL's `passed`: every output it produced was right and it finished the first level. */
  readonly passed: boolean;
  /** The efficiency score e (0 when it failed; > 1 when faster than the reference). */
  readonly efficiency: number;
  readonly levels: readonly LevelResult[];
  /** Why it failed, when it did. */
  readonly failure?: { readonly level: number; readonly case: number; readonly kind: "wrong_output" | "exception" | "too_slow"; readonly message: string };
  /** The time correction applied (reference's profiled time ÷ its time now; 1 for instructions). */
  readonly correction: number;
}

/** The reference gets far more room than any sample: it defines the costs. */
const REFERENCE_LIMIT_MS = 60_000;
const REFERENCE_INSTRUCTION_CAP = 20_000_000_000;

/**
 * One leveled problem made ready to score samples: its tests generated, the reference profiled
 * on them, and a probe and a checker session open. `close()` when done.
 */
export class LeveledBench {
  readonly problem: LeveledProblem;
  readonly settings: LeveledSettings;
  readonly reference: ReferenceProfile;
  private readonly inputs: readonly (readonly (readonly Wire[])[])[];
  private readonly probe: EfficiencyProbe;
  private readonly checker: ProblemSession;

  private constructor(problem: LeveledProblem, settings: LeveledSettings, inputs: Wire[][][], reference: ReferenceProfile, probe: EfficiencyProbe, checker: ProblemSession) {
    this.problem = problem;
    this.settings = settings;
    this.inputs = inputs;
    this.reference = reference;
    this.probe = probe;
    this.checker = checker;
  }

  /**
   * Generates the problem's tests and profiles its reference on them.
   * @throws CrucibleError `invalid_argument` when the generator, the reference or the checker
   * fails (the dataset is broken, or the settings do not fit it).
   */
  static async open(sandbox: Sandbox, problem: LeveledProblem, settings: LeveledSettings = ENAMEL_SETTINGS, signal?: AbortSignal): Promise<LeveledBench> {
    checkSettings(problem, settings);
    const checker = await ProblemSession.open(sandbox, signal);
    let probe: EfficiencyProbe | undefined;
    try {
      const inputs = await checker.makeTests(
        { prompt: problem.prompt, generator: problem.generator, sizes: problem.sizes, counts: settings.testsPerLevel, seed: problem.seed },
        signal,
      );
      probe = await EfficiencyProbe.open(sandbox, signal ? { signal } : {});
      const { costs, answers } = await profile(probe, problem, settings, inputs, signal);
      await checker.setAnswers(problem.prompt, problem.checker, answers, signal);
      return new LeveledBench(problem, settings, inputs, summarize(costs, settings), probe, checker);
    } catch (error) {
      await probe?.close();
      await checker.close();
      throw error;
    }
  }

  /** The cases' inputs, per level, each as its argument list in wire form. */
  get tests(): readonly (readonly (readonly Wire[])[])[] {
    return this.inputs;
  }

  /**
   * ENAMEL's time correction: the reference timed again on its hardest case, now. Samples' times
   * are multiplied by `profiled ÷ now`, so a machine busier (or quieter) than when the reference
   * was profiled does not move the scores. 1 for instructions.
   */
  async correction(signal?: AbortSignal): Promise<number> {
    if (this.settings.metric === "instructions") return 1;
    const { level, case: c } = this.reference.hardest;
    const run = await this.probe.time(this.problem.reference, this.problem.entryPoint, this.inputs[level]![c]!, {
      reps: repsOf(this.settings, level),
      limitMs: REFERENCE_LIMIT_MS,
      clock: this.settings.clock,
      ...(signal ? { signal } : {}),
    });
    if (run.status !== "ok") throw referenceFailed(this.problem, level, c, run.status, run.exception);
    return this.reference.maxCost / costOf(run, this.settings);
  }

  /**
   * Scores one sample (`code` is the sample's program; it runs as `prompt + "\n" + code`), as
   * ENAMEL's `evaluate1` does: level by level, case by case; a wrong output or an exception fails
   * it (e = 0); running out of time (α × the reference's worst case, plus the tolerance, per
   * repetition), instructions or memory ends the scoring there, and the levels not reached
   * count 0 — failing the first level fails the sample.
   */
  async score(code: string, options: { correction?: number; signal?: AbortSignal } = {}): Promise<SampleEfficiency> {
    const { settings, problem, reference } = this;
    const signal = options.signal;
    const correction = options.correction ?? (await this.correction(signal));
    const program = `${problem.prompt}\n${code}`;
    const timeout = settings.timeoutFactor * reference.maxCost;
    const limitMs = (timeout / Math.min(correction, 1)) * 1000 + settings.toleranceMs;
    const levels: LevelResult[] = [];
    const zero = (failure: SampleEfficiency["failure"]): SampleEfficiency => ({ passed: false, efficiency: 0, levels, correction, ...(failure ? { failure } : {}) });
    for (const [level, cases] of this.inputs.entries()) {
      const costs: number[] = [];
      const outputs: Wire[] = [];
      let stopped: LevelResult["stopped"];
      let exception: SampleEfficiency["failure"];
      for (const [c, args] of cases.entries()) {
        throwIfAborted(signal, "measuring a sample");
        const run =
          settings.metric === "time"
            ? await this.probe.time(program, problem.entryPoint, args, { reps: repsOf(settings, level), limitMs, clock: settings.clock, ...(signal ? { signal } : {}) })
            : await this.probe.count(program, problem.entryPoint, args, { cap: timeout, ...(signal ? { signal } : {}) });
        if (run.status === "error") {
          exception = { level, case: c, kind: "exception", message: run.exception ? `${run.exception.type}: ${run.exception.message}` : "the program failed" };
          break;
        }
        if (run.status !== "ok") {
          stopped = { case: c, status: run.status };
          break;
        }
        costs.push(costOf(run, settings) * correction);
        outputs.push(run.output ?? null);
      }
      // Outputs are checked before an exception or a stop is reported: ENAMEL checks each case
      // as it goes, so a wrong output before them is what fails the sample.
      const rejected = outputs.length === 0 ? -1 : await this.firstRejected(level, outputs, signal);
      if (rejected >= 0) return zero({ level, case: rejected, kind: "wrong_output", message: "the checker rejected the output" });
      if (exception) return zero(exception);
      if (stopped) {
        levels.push({ costs, efficiency: 0, stopped });
        if (level === 0) return zero({ level, case: stopped.case, kind: "too_slow", message: `${stopped.status} on the first level` });
        break;
      }
      const scored = settings.hardness[level]! > 0;
      const efficiency = scored ? levelEfficiency(Math.max(...costs), reference.levelCosts[level]!, timeout) : 0;
      levels.push({ costs, efficiency });
    }
    const perLevel = settings.hardness.map((_, j) => levels[j]?.efficiency ?? 0);
    return { passed: true, efficiency: weightedEfficiency(perLevel, settings.hardness), levels, correction };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.probe.close(), this.checker.close()]);
  }

  private async firstRejected(level: number, outputs: readonly Wire[], signal?: AbortSignal): Promise<number> {
    // A value with no JSON form reaches the checker as its repr, a string: it could pass for a
    // string answer, so it is rejected here.
    const opaque = outputs.findIndex((o) => JSON.stringify(o).includes('"$t":"repr"'));
    const checked = await this.checker.firstRejected(level, 0, opaque >= 0 ? outputs.slice(0, opaque) : outputs, signal);
    return checked >= 0 ? checked : opaque;
  }
}

/** A case's cost: the Hodges–Lehmann estimate of its repetitions on the settings' clock, or its instructions. */
function costOf(run: TimedRun | CountedRun, settings: LeveledSettings): number {
  if ("instructions" in run) return run.instructions;
  return hodgesLehmann(settings.clock === "cpu" ? run.cpuS : run.timesS);
}

function repsOf(settings: LeveledSettings, level: number): number {
  return settings.hardness[level]! > 0 ? settings.reps : 1;
}

function checkSettings(problem: LeveledProblem, s: LeveledSettings): void {
  const bad = (message: string) => new CrucibleError("invalid_argument", `${problem.id}: ${message}`, { details: { problem: problem.id } });
  if (s.testsPerLevel.length !== problem.sizes.length || s.hardness.length !== problem.sizes.length) {
    throw bad(`${problem.sizes.length} levels, but ${s.testsPerLevel.length} test counts and ${s.hardness.length} hardness weights`);
  }
  if (!s.testsPerLevel.every((n) => Number.isSafeInteger(n) && n >= 1)) throw bad("every level needs at least one test");
  if (!s.hardness.every((h) => Number.isFinite(h) && h >= 0) || !s.hardness.some((h) => h > 0)) throw bad("hardness weights must be ≥ 0 and not all 0");
  if (!Number.isSafeInteger(s.reps) || s.reps < 1) throw bad("reps must be a positive whole number");
  if (!(s.timeoutFactor > 1)) throw bad("the timeout factor α must be more than 1");
  if (!(s.toleranceMs >= 0)) throw bad("the tolerance must be ≥ 0 ms");
}

async function profile(probe: EfficiencyProbe, problem: LeveledProblem, settings: LeveledSettings, inputs: Wire[][][], signal?: AbortSignal): Promise<{ costs: number[][]; answers: Wire[][] }> {
  const costs: number[][] = [];
  const answers: Wire[][] = [];
  for (const [level, cases] of inputs.entries()) {
    const levelCosts: number[] = [];
    const levelAnswers: Wire[] = [];
    for (const [c, args] of cases.entries()) {
      throwIfAborted(signal, "profiling the reference");
      const run =
        settings.metric === "time"
          ? await probe.time(problem.reference, problem.entryPoint, args, {
              reps: repsOf(settings, level),
              limitMs: REFERENCE_LIMIT_MS,
              clock: settings.clock,
              ...(signal ? { signal } : {}),
            })
          : await probe.count(problem.reference, problem.entryPoint, args, {
              cap: REFERENCE_INSTRUCTION_CAP,
              guardMs: REFERENCE_LIMIT_MS * 5,
              ...(signal ? { signal } : {}),
            });
      if (run.status !== "ok") throw referenceFailed(problem, level, c, run.status, run.exception);
      levelCosts.push(costOf(run, settings));
      levelAnswers.push(run.output ?? null);
    }
    costs.push(levelCosts);
    answers.push(levelAnswers);
  }
  return { costs, answers };
}

/** ENAMEL's `Refs`: each scored level's worst case, and the worst of all (first one on ties). */
function summarize(costs: readonly (readonly number[])[], settings: LeveledSettings): ReferenceProfile {
  const levelCosts = costs.map(() => Number.NEGATIVE_INFINITY);
  let maxCost = Number.NEGATIVE_INFINITY;
  let hardest = { level: -1, case: -1 };
  for (const [level, cases] of costs.entries()) {
    if (!(settings.hardness[level]! > 0)) continue;
    for (const [c, cost] of cases.entries()) {
      if (levelCosts[level]! < cost) {
        levelCosts[level] = cost;
        if (maxCost < cost) {
          maxCost = cost;
          hardest = { level, case: c };
        }
      }
    }
  }
  return { metric: settings.metric, costs, levelCosts, maxCost, hardest };
}

function referenceFailed(problem: LeveledProblem, level: number, c: number, status: ProbeStatus, exception?: { type: string; message: string }): CrucibleError {
  const why = exception ? `${exception.type}: ${exception.message}` : status;
  return new CrucibleError("invalid_argument", `${problem.id}: the reference failed on level ${level}, case ${c} (${why}); the dataset or the machine is broken`, {
    details: { problem: problem.id, level, case: c, status },
  });
}
