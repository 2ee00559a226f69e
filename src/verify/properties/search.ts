// The search for a counterexample: fast-check generates inputs from a seed and shrinks failures;
// the inputs of the search phase are judged in batches before fast-check asks for them, so the
// candidate and the oracle see one round trip per batch. When a batch holds a failure, fast-check
// then runs exactly as it would call by call (every answer it asks for during the search is
// already known, shrinking judges one input at a time), which keeps the seed, the path, the
// shrinking and the report the same as a run without batching; when none does, the batches'
// counts are the report.
import fc from "fast-check";
import { encode, type Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import { CrucibleError, isCrucibleError, throwIfAborted } from "../../errors.ts";
import { fromWire, pythonRepr } from "../inputs/values.ts";
import type { Candidate } from "./candidate.ts";
import { CheckBroken, failureOf, type Judged, type Oracle, type Outcome } from "./oracle.ts";
import type { Counterexample, PropertyError, PropertyFailure, PropertyReport } from "./report.ts";

export const DEFAULT_MAX_SKIPS_PER_RUN = 50;

export interface SearchOptions {
  /** The function checked (for reports and counterexample texts). */
  readonly entryPoint: string;
  readonly oracle: "property" | "reference";
  readonly numRuns: number;
  readonly seed: number;
  /** A counterexample path from an earlier report: replays it at once (call by call). */
  readonly path?: string;
  /** Wall time of each candidate call. */
  readonly timeoutMs: number;
  /**
   * What the candidate raising means: `fail` (default) — a failure of the input; `discard` — the
   * input is outside what the candidate accepts (the tool library's convention), thrown away.
   */
  readonly raises?: "fail" | "discard";
  /** fast-check's `maxSkipsPerRun`: discarded inputs allowed per run before giving up (default 50). */
  readonly maxSkipsPerRun?: number;
  /** Inputs judged per round trip in the search phase (default `numRuns`); 1 judges one at a time. */
  readonly batchSize?: number;
  /** When the check started (`performance.now()`), for `ms` in the report. */
  readonly started?: number;
  readonly onProgress?: (judged: number, phase: "search" | "shrink") => void;
  readonly signal?: AbortSignal;
}

/** The call as Python prints it: `f(1, [2, 3])`. */
export function callRepr(entryPoint: string, args: readonly Wire[]): string {
  return `${entryPoint}(${args.map((a) => pythonRepr(fromWire(a))).join(", ")})`;
}

/**
 * Judges inputs: `pre` (or the reference) first, then the candidate on the inputs that remain, then
 * the oracle on its outputs, each as one batch. An entry is `undefined` when it was not judged:
 * after the candidate's first failure when failures stop the batch.
 */
export async function judgeInputs(candidate: Candidate, oracle: Oracle, argsList: readonly (readonly Wire[])[], options: SearchOptions): Promise<(Outcome | undefined)[]> {
  const { signal, timeoutMs } = options;
  const raises = options.raises ?? "fail";
  const accepted = await oracle.acceptsMany(argsList, signal);
  const outcomes: (Outcome | undefined)[] = argsList.map((_, i) => (accepted[i] ? undefined : { kind: "discard" }));
  const toCall = argsList.flatMap((_, i) => (accepted[i] ? [i] : []));
  if (toCall.length === 0) return outcomes;
  // When a failure of the candidate ends the search, calls after it would be wasted (a hang costs
  // its whole timeout); when raising only discards, the batch must go on past it.
  const verdicts = await candidate.callMany(
    toCall.map((i) => argsList[i]!),
    { timeoutMs, stopOnFailure: raises === "fail", ...(signal ? { signal } : {}) },
  );
  const cases: Judged[] = [];
  const caseIndex: number[] = [];
  verdicts.forEach((v, j) => {
    const i = toCall[j]!;
    if (v.status === "ok") {
      cases.push({ args: argsList[i]!, output: (v.value as Encoded).wire });
      caseIndex.push(i);
    } else if (raises === "discard" && v.status === "error" && v.exception) {
      outcomes[i] = { kind: "discard" };
    } else {
      outcomes[i] = { kind: "fail", failure: failureOf(v, timeoutMs) };
    }
  });
  if (cases.length > 0) {
    const judged = await oracle.judgeMany(cases, signal);
    judged.forEach((o, k) => (outcomes[caseIndex[k]!] = o));
  }
  return outcomes;
}

/**
 * Searches for an input on which the candidate fails, shrinks it, and reports. Resolves to
 * `passed`, `failed` (shrunk counterexample, seed, path) or `error` (phase `inputs` when too many
 * inputs were discarded: `numRuns` and `numDiscarded` then say how many were judged and thrown
 * away). Rejects with `aborted` when `signal` fires, and with what the candidate or oracle threw
 * when it was not a `CheckBroken` (which becomes an `error` report).
 */
export async function searchProperty(candidate: Candidate, oracle: Oracle, argsArb: fc.Arbitrary<unknown[]>, options: SearchOptions): Promise<PropertyReport> {
  const { signal, seed, numRuns } = options;
  const started = options.started ?? performance.now();
  const base = { entryPoint: options.entryPoint, oracle: options.oracle } as const;
  const broke = (e: CheckBroken): PropertyError => ({ status: "error", ...base, phase: e.phase, reason: e.message, ms: performance.now() - started });
  const maxSkipsPerRun = options.maxSkipsPerRun ?? DEFAULT_MAX_SKIPS_PER_RUN;
  const tooManyDiscarded = (runs: number, skips: number): PropertyError => ({
    status: "error",
    ...base,
    phase: "inputs",
    reason: `too many inputs were discarded (${skips}): loosen pre() or the schema, or check the reference`,
    numRuns: runs,
    numDiscarded: skips,
    ms: performance.now() - started,
  });
  const known = new Map<string, Outcome>();
  const keyOf = (args: readonly Wire[]): string => JSON.stringify(args);
  let judged = 0;

  if (options.path === undefined && (options.batchSize ?? numRuns) > 1) {
    let searched: Prefetched;
    try {
      searched = await prefetch(argsArb, options, maxSkipsPerRun, async (argsList) => {
        const fresh = [...new Map(argsList.map((a) => [keyOf(a), a])).entries()].filter(([k]) => !known.has(k));
        const outcomes = fresh.length === 0 ? [] : await judgeInputs(candidate, oracle, fresh.map(([, a]) => a), options);
        outcomes.forEach((o, i) => {
          if (o === undefined) return;
          known.set(fresh[i]![0], o);
          options.onProgress?.(++judged, "search");
        });
        return argsList.map((a) => known.get(keyOf(a)));
      });
    } catch (e) {
      if (e instanceof CheckBroken) return broke(e);
      throw e;
    }
    // Without a failure, the batches already say all fast-check would: no need to draw it all again.
    if (searched.end === "passed") return { status: "passed", ...base, numRuns: searched.runs, numDiscarded: searched.skips, seed, ms: performance.now() - started };
    if (searched.end === "discarded") return tooManyDiscarded(searched.runs, searched.skips);
  }

  const evaluate = async (args: readonly Wire[]): Promise<Outcome> => {
    const [outcome] = await judgeInputs(candidate, oracle, [args], options);
    if (outcome === undefined) throw new CheckBroken("sandbox", "the candidate gave no verdict for a call");
    return outcome;
  };
  let broken: Error | undefined;
  let original: { args: Wire[]; failure: PropertyFailure } | undefined;
  let phase: "search" | "shrink" = "search";
  const property = fc.asyncProperty(argsArb, async (values) => {
    if (broken !== undefined) return true;
    if (signal?.aborted) {
      broken = new CrucibleError("aborted", "the property check was cancelled", { cause: signal.reason });
      return true;
    }
    const args = values.map((v) => encode(v));
    const key = keyOf(args);
    let outcome = known.get(key);
    if (outcome === undefined) {
      try {
        outcome = await evaluate(args);
      } catch (e) {
        // Not the candidate's doing: stop judging (every later run passes at once) and report it.
        broken = e instanceof Error ? e : new Error(String(e));
        return true;
      }
      known.set(key, outcome);
      options.onProgress?.(++judged, phase);
    }
    if (outcome.kind === "discard") fc.pre(false);
    if (outcome.kind === "fail") {
      original ??= { args, failure: outcome.failure };
      phase = "shrink";
      return false;
    }
    return true;
  });

  const details = await fc.check(property, {
    numRuns,
    seed,
    ...(options.path === undefined ? {} : { path: options.path, endOnFailure: true }),
    maxSkipsPerRun,
  });
  if (broken !== undefined) {
    if (isCrucibleError(broken, "aborted")) throw broken;
    if (broken instanceof CheckBroken) return broke(broken);
    throw broken;
  }
  throwIfAborted(signal, "the property check");
  if (!details.failed || details.counterexample === null) {
    if (details.failed) return tooManyDiscarded(details.numRuns, details.numSkips);
    return { status: "passed", ...base, numRuns: details.numRuns, numDiscarded: details.numSkips, seed, ms: performance.now() - started };
  }
  const args = details.counterexample[0].map((v) => encode(v));
  // Run the shrunk counterexample once more (never from the cache): its failure is what the
  // report shows, and a pass here means the candidate is not deterministic.
  let final: Outcome;
  try {
    final = await evaluate(args);
  } catch (e) {
    if (e instanceof CheckBroken) return broke(e);
    throw e;
  }
  const failure = final.kind === "fail" ? final.failure : (original?.failure ?? { kind: "false" as const, message: "failed earlier, passed when run again" });
  const ce = (a: Wire[]): Counterexample => ({ args: a, repr: callRepr(options.entryPoint, a) });
  return {
    status: "failed",
    ...base,
    seed,
    path: details.counterexamplePath ?? "",
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
    counterexample: ce(args),
    original: ce(original?.args ?? args),
    failure,
    flaky: final.kind !== "fail",
    ms: performance.now() - started,
  };
}

/** How the batched search phase ended: as fast-check's would (`passed`, `discarded`: too many), or not decided. */
interface Prefetched {
  readonly end: "passed" | "discarded" | "failed" | "unjudged";
  readonly runs: number;
  readonly skips: number;
}

/**
 * Judges, in batches, the inputs fast-check's search phase will ask for, in its order: the values
 * `fc.sample(arb, {seed})` draws are the ones `fc.check` draws for a property of that one
 * arbitrary. Stops like fast-check does — after `numRuns` inputs that were not discarded, after
 * the first failure, or once more than `numRuns × maxSkipsPerRun` were discarded — or at the first
 * input the batch left unjudged (fast-check then judges from there on one at a time). Without a
 * failure, the counts are fast-check's own: a search that passed, or gave up, needs no more.
 */
async function prefetch(
  argsArb: fc.Arbitrary<unknown[]>,
  options: SearchOptions,
  maxSkipsPerRun: number,
  judgeBatch: (argsList: Wire[][]) => Promise<(Outcome | undefined)[]>,
): Promise<Prefetched> {
  const { numRuns, seed } = options;
  const batchSize = options.batchSize ?? numRuns;
  const maxSkips = numRuns * maxSkipsPerRun;
  let drawn = 0;
  let runs = 0;
  let skips = 0;
  while (runs < numRuns && skips <= maxSkips) {
    throwIfAborted(options.signal, "the property check");
    const need = numRuns - runs;
    const skipsLeft = maxSkips - skips + 1;
    // After discards, draw as many as the shares so far suggest fast-check will ask for: enough
    // for the runs still needed, or for the discards that would end the search, whichever is first.
    const toRuns = runs === 0 ? Infinity : (need * drawn) / runs;
    const toSkips = skips === 0 ? Infinity : (skipsLeft * drawn) / skips;
    const estimate = drawn === 0 ? need : Math.ceil(Math.min(toRuns, toSkips));
    const count = Math.max(1, Math.min(batchSize, estimate, need + skipsLeft));
    const values = fc.sample(argsArb, { seed, numRuns: drawn + count }).slice(drawn);
    drawn += count;
    const outcomes = await judgeBatch(values.map((v) => v.map((x) => encode(x))));
    for (const o of outcomes) {
      if (o === undefined) return { end: "unjudged", runs, skips };
      if (o.kind === "fail") return { end: "failed", runs, skips };
      if (o.kind === "discard") {
        if (++skips > maxSkips) return { end: "discarded", runs, skips };
      } else if (++runs === numRuns) return { end: "passed", runs, skips };
    }
  }
  return { end: runs === numRuns ? "passed" : "discarded", runs, skips };
}
