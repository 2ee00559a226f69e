// `crucible check` for a function: fast-check generates inputs from the parameters' schemas on the
// host and shrinks failures; the candidate runs in its own session; a predicate or a reference
// implementation, each in its own session, judges every output (search.ts: in batches).
import type fc from "fast-check";
import type { Limits } from "../../sandbox/policy.ts";
import type { Language, Sandbox } from "../../sandbox/sandbox.ts";
import { CrucibleError, isCrucibleError } from "../../errors.ts";
import { Comparator } from "../comparator.ts";
import { arbitraryOfArgs, type ArbitraryOptions } from "../inputs/arbitrary.ts";
import { argsSchemaOf } from "../inputs/hints.ts";
import type { ParamSchema } from "../inputs/schema.ts";
import { sessionCandidate } from "./candidate.ts";
import { CheckBroken, propertyOracle, referenceOracle, type Oracle } from "./oracle.ts";
import type { PropertyError, PropertyReport } from "./report.ts";
import { DEFAULT_MAX_SKIPS_PER_RUN, searchProperty } from "./search.ts";

export { callRepr } from "./search.ts";

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
  /**
   * Code defining the predicate `name(*args, result)` (default `prop`) and optionally `pre(*args)`:
   * Python unless `language` says JavaScript or TypeScript.
   */
  readonly property?: { readonly code: string; readonly name?: string; readonly language?: Language };
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
  /** Inputs judged per round trip before the first failure (default `numRuns`; 1: one at a time). */
  readonly batchSize?: number;
  /** Discarded inputs allowed per run before the check gives up (default 50). */
  readonly maxSkipsPerRun?: number;
  /** Called after each input is judged (shrinking included), with the count so far. */
  readonly onProgress?: (judged: number, phase: "search" | "shrink") => void;
  readonly signal?: AbortSignal;
}

/** A fresh random seed, as fast-check draws them (a 32-bit integer). */
export function randomSeed(): number {
  return (Date.now() ^ (Math.random() * 0x100000000)) | 0;
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
    return await searchProperty(sessionCandidate(candidate, check.entryPoint), oracle, argsArb, {
      entryPoint: check.entryPoint,
      oracle: oracleKind,
      numRuns: check.numRuns ?? DEFAULT_NUM_RUNS,
      seed: check.seed ?? randomSeed(),
      timeoutMs,
      maxSkipsPerRun: check.maxSkipsPerRun ?? DEFAULT_MAX_SKIPS_PER_RUN,
      started,
      ...(check.path === undefined ? {} : { path: check.path }),
      ...(check.batchSize === undefined ? {} : { batchSize: check.batchSize }),
      ...(check.onProgress ? { onProgress: check.onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (e instanceof CheckBroken) return error(e.phase, e.message);
    throw e;
  } finally {
    await Promise.allSettled(opened.reverse().map((o) => o.close()));
  }
}
