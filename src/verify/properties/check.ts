// `crucible check` for a function: fast-check generates inputs from the parameters' schemas on the
// host and shrinks failures; the candidate runs in its own session; a predicate or a reference
// implementation, each in its own session, judges every output.
import fc from "fast-check";
import { encode, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Limits } from "../../sandbox/policy.ts";
import type { Language, Sandbox, Session } from "../../sandbox/sandbox.ts";
import { CrucibleError, isCrucibleError, throwIfAborted } from "../../errors.ts";
import { Comparator } from "../comparator.ts";
import { arbitraryOfArgs, type ArbitraryOptions } from "../inputs/arbitrary.ts";
import { argsSchemaOf } from "../inputs/hints.ts";
import type { ParamSchema } from "../inputs/schema.ts";
import { fromWire, pythonRepr } from "../inputs/values.ts";
import { callCandidate, CheckBroken, propertyOracle, referenceOracle, type Oracle, type Outcome } from "./oracle.ts";
import type { Counterexample, PropertyError, PropertyFailure, PropertyReport } from "./report.ts";

export const DEFAULT_NUM_RUNS = 100;
export const DEFAULT_CALL_TIMEOUT_MS = 1000;

export interface PropertyCheck {
  /** The candidate program; `entryPoint` is the function checked. */
  readonly code: string;
  readonly language?: Language;
  readonly entryPoint: string;
  /**
   * The parameters and their schemas (see `paramsFromSchema`). Without them a Python candidate's
   * type hints are read; other languages need them.
   */
  readonly params?: readonly ParamSchema[];
  /** Python code defining the predicate `name(*args, result)` (default `prop`) and optionally `pre(*args)`. */
  readonly property?: { readonly code: string; readonly name?: string };
  /** Another implementation whose outputs the candidate's must equal (its entry point defaults to the candidate's). */
  readonly reference?: { readonly code: string; readonly language?: Language; readonly entryPoint?: string };
  /** Inputs to check (default 100). */
  readonly numRuns?: number;
  /** fast-check seed; a random one is drawn (and reported) when absent. */
  readonly seed?: number;
  /** A counterexample path from an earlier report: with its seed, replays that counterexample at once. */
  readonly path?: string;
  /** Wall time of each candidate call (default 1000 ms); the predicate and reference get the same. */
  readonly timeoutMs?: number;
  /** Float tolerance when comparing with a reference (default 0: exact; EvalPlus rules). */
  readonly atol?: number;
  readonly inputs?: ArbitraryOptions;
  /** Limits of every session (memory, CPU…); `wallTimeMs` is superseded by `timeoutMs` per call. */
  readonly limits?: Partial<Limits>;
  /** Called after each input is judged (shrinking included), with the count so far. */
  readonly onProgress?: (judged: number, phase: "search" | "shrink") => void;
  readonly signal?: AbortSignal;
}

/** A fresh random seed, as fast-check draws them (a 32-bit integer). */
export function randomSeed(): number {
  return (Date.now() ^ (Math.random() * 0x100000000)) | 0;
}

/** The call as Python prints it: `f(1, [2, 3])`. */
export function callRepr(entryPoint: string, args: readonly Wire[]): string {
  return `${entryPoint}(${args.map((a) => pythonRepr(fromWire(a))).join(", ")})`;
}

/**
 * Checks a function against a property or a reference implementation on generated inputs.
 * Resolves to the report (`passed` / `failed` with the shrunk counterexample, seed and path /
 * `error` when the candidate, the predicate or the reference cannot load or the inputs cannot be
 * generated); never rejects for what the guest code does.
 * @throws CrucibleError `invalid_argument` when neither or both of `property` and `reference` are
 * given; `aborted` when `signal` fires.
 */
export async function checkProperty(sandbox: Sandbox, check: PropertyCheck): Promise<PropertyReport> {
  if ((check.property === undefined) === (check.reference === undefined)) {
    throw new CrucibleError("invalid_argument", "give exactly one of a property (a predicate) or a reference implementation");
  }
  const started = performance.now();
  const { signal } = check;
  const language = check.language ?? "python";
  const timeoutMs = check.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const oracleKind = check.property ? "property" : "reference";
  const base = { entryPoint: check.entryPoint, oracle: oracleKind } as const;
  const error = (phase: PropertyError["phase"], reason: string): PropertyError => ({ status: "error", ...base, phase, reason, ms: performance.now() - started });
  const limits = { ...check.limits, wallTimeMs: Math.max(timeoutMs, 10_000) };

  let params = check.params;
  if (params === undefined) {
    if (language !== "python") return error("inputs", "give a JSON Schema for the inputs: type hints are read from Python only");
    try {
      params = (await argsSchemaOf(sandbox, check.code, check.entryPoint, signal)).params;
    } catch (e) {
      if (isCrucibleError(e, "invalid_argument")) return error("load", e.message);
      throw e;
    }
    const bare = params.find((p) => p.annotation === null && !p.optional);
    if (bare) return error("inputs", `parameter ${bare.name} has no type hint; add one or give a JSON Schema (--schema)`);
    params = params.filter((p) => !p.optional || p.annotation !== null);
  }
  let argsArb: fc.Arbitrary<unknown[]>;
  try {
    argsArb = arbitraryOfArgs(params, check.inputs);
  } catch (e) {
    if (isCrucibleError(e, "invalid_argument")) return error("inputs", e.message);
    throw e;
  }

  const opened: { close(): Promise<void> }[] = [];
  try {
    const candidate = await sandbox.session({ language, code: check.code, limits, ...(signal ? { signal } : {}) });
    opened.push(candidate);
    if (candidate.loaded.status !== "ok") {
      const v = candidate.loaded;
      return error("load", `the candidate did not load (${v.status}): ${v.exception ? `${v.exception.type}: ${v.exception.message}` : (v.reason ?? "")}`);
    }
    let oracle: Oracle;
    if (check.property) {
      oracle = await propertyOracle(sandbox, { ...check.property, timeoutMs, limits }, signal);
    } else {
      const comparator = await Comparator.open(sandbox, signal);
      opened.push(comparator);
      const ref = check.reference!;
      oracle = await referenceOracle(
        sandbox,
        comparator,
        { code: ref.code, language: ref.language ?? language, entryPoint: ref.entryPoint ?? check.entryPoint, timeoutMs: timeoutMs * 10, atol: check.atol ?? 0, limits },
        signal,
      );
    }
    opened.push(oracle);
    return await search(candidate, oracle, argsArb, check, timeoutMs, base, started);
  } catch (e) {
    if (e instanceof CheckBroken) return error(e.phase, e.message);
    throw e;
  } finally {
    await Promise.allSettled(opened.reverse().map((o) => o.close()));
  }
}

async function search(
  candidate: Session,
  oracle: Oracle,
  argsArb: fc.Arbitrary<unknown[]>,
  check: PropertyCheck,
  timeoutMs: number,
  base: { readonly entryPoint: string; readonly oracle: "property" | "reference" },
  started: number,
): Promise<PropertyReport> {
  const { signal } = check;
  const evaluate = async (args: readonly Wire[]): Promise<Outcome> => {
    if (!(await oracle.accepts(args, signal))) return { kind: "discard" };
    const called = await callCandidate(candidate, check.entryPoint, args, timeoutMs, signal);
    if ("failure" in called) return { kind: "fail", failure: called.failure };
    return oracle.judge(args, called.output, signal);
  };

  let broken: Error | undefined;
  let original: { args: Wire[]; failure: PropertyFailure } | undefined;
  let judged = 0;
  let phase: "search" | "shrink" = "search";
  const property = fc.asyncProperty(argsArb, async (values) => {
    if (broken !== undefined) return true;
    if (signal?.aborted) {
      broken = new CrucibleError("aborted", "the property check was cancelled", { cause: signal.reason });
      return true;
    }
    const args = values.map((v) => encode(v));
    let outcome: Outcome;
    try {
      outcome = await evaluate(args);
    } catch (e) {
      // Not the candidate's doing: stop judging (every later run passes at once) and report it.
      broken = e instanceof Error ? e : new Error(String(e));
      return true;
    }
    check.onProgress?.(++judged, phase);
    if (outcome.kind === "discard") fc.pre(false);
    if (outcome.kind === "fail") {
      original ??= { args, failure: outcome.failure };
      phase = "shrink";
      return false;
    }
    return true;
  });

  const seed = check.seed ?? randomSeed();
  const numRuns = check.numRuns ?? DEFAULT_NUM_RUNS;
  const details = await fc.check(property, {
    numRuns,
    seed,
    ...(check.path === undefined ? {} : { path: check.path, endOnFailure: true }),
    // Inputs outside the specification are thrown away; give up only when nearly all are.
    maxSkipsPerRun: 50,
  });
  if (broken !== undefined) {
    if (isCrucibleError(broken, "aborted")) throw broken;
    if (broken instanceof CheckBroken) {
      return { status: "error", ...base, phase: broken.phase, reason: broken.message, ms: performance.now() - started };
    }
    throw broken;
  }
  throwIfAborted(signal, "the property check");
  if (!details.failed || details.counterexample === null) {
    if (details.failed) {
      return { status: "error", ...base, phase: "inputs", reason: `too many inputs were discarded (${details.numSkips}): loosen pre() or the schema, or check the reference`, ms: performance.now() - started };
    }
    return { status: "passed", ...base, numRuns: details.numRuns, numDiscarded: details.numSkips, seed, ms: performance.now() - started };
  }
  const args = details.counterexample[0].map((v) => encode(v));
  // Run the shrunk counterexample once more: its failure is what the report shows, and a pass
  // here means the candidate is not deterministic.
  let final: Outcome;
  try {
    final = await evaluate(args);
  } catch (e) {
    if (e instanceof CheckBroken) return { status: "error", ...base, phase: e.phase, reason: e.message, ms: performance.now() - started };
    throw e;
  }
  const failure = final.kind === "fail" ? final.failure : (original?.failure ?? { kind: "false" as const, message: "failed earlier, passed when run again" });
  const ce = (a: Wire[]): Counterexample => ({ args: a, repr: callRepr(check.entryPoint, a) });
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
