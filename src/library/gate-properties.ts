// Properties of a tool: guest predicates `prop(args, output)` checked on inputs generated from the
// tool's input schema. All inputs go to the guest in one batch; only when one fails does fast-check
// replay the run call by call to shrink it to a small counterexample. Inputs the tool refuses
// (raises on) are preconditions that do not hold, not failures.
import fc from "fast-check";
import { arbitraryOfArgs } from "../verify/inputs/arbitrary.ts";
import type { ParamSchema } from "../verify/inputs/schema.ts";
import { shown, toWire } from "./gate-values.ts";
import type { PropertyOutcome, ToolboxSession } from "./invoke-session.ts";
import type { CheckRecord, ToolProperty, ToolSpec } from "./tool.ts";

export interface PropertyRun {
  readonly runs: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

function failed(outcome: PropertyOutcome): boolean {
  return outcome.kind === "violated" || outcome.kind === "broken";
}

function why(outcome: PropertyOutcome): string {
  if (outcome.kind === "violated") return `the predicate is false (output ${shown(outcome.output)})`;
  if (outcome.kind === "broken") {
    const v = outcome.verdict;
    return v.exception ? `the predicate raised ${v.exception.type}: ${v.exception.message}` : `the run ended ${v.status}${v.reason ? ` (${v.reason})` : ""}`;
  }
  return outcome.kind;
}

/** Checks one property; the record carries the seed and, on failure, the shrunk counterexample. */
export async function checkProperty(session: ToolboxSession, key: string, spec: ToolSpec, params: readonly ParamSchema[], property: ToolProperty, run: PropertyRun): Promise<CheckRecord> {
  const names = params.map((p) => p.name);
  const arb = arbitraryOfArgs(params, { maxLength: 8 });
  const base = { kind: "property", name: property.name, seed: run.seed } as const;
  let inputs: unknown[][];
  try {
    inputs = fc.sample(arb, { numRuns: run.runs, seed: run.seed });
  } catch (error) {
    return { ...base, status: "error", detail: `no inputs can be generated from the input schema: ${(error as Error).message}` };
  }
  const opts = { timeoutMs: run.timeoutMs, ...(run.signal ? { signal: run.signal } : {}) };
  const t0 = performance.now();
  const outcomes = await session.property(key, property.predicate, names, inputs, opts);
  const firstBad = outcomes.findIndex(failed);
  const held = outcomes.filter((o) => o.kind === "holds").length;
  if (firstBad < 0) {
    const ms = Math.round(performance.now() - t0);
    if (held === 0) return { ...base, status: "failed", detail: `the tool refused all ${outcomes.length} generated inputs, so the property was never tested`, ms };
    return { ...base, status: "passed", detail: `held on ${held} generated input(s); ${outcomes.length - held} refused by the tool`, ms };
  }
  // Shrink: replay with fast-check, one guest call per run, starting from the failing input.
  let last: PropertyOutcome = outcomes[firstBad]!;
  const result = await fc.check(
    fc.asyncProperty(arb, async (args) => {
      const [outcome] = await session.property(key, property.predicate, names, [args], opts);
      fc.pre(outcome !== undefined && outcome.kind !== "rejected");
      if (failed(outcome)) {
        last = outcome!;
        return false;
      }
      return true;
    }),
    { seed: run.seed, numRuns: run.runs, examples: [[inputs[firstBad]!]] },
  );
  const counter = (result.counterexample?.[0]) ?? inputs[firstBad]!;
  const named = Object.fromEntries(names.map((n, i) => [n, counter[i]]));
  return {
    ...base,
    status: last.kind === "broken" && last.verdict.status === "timeout" ? "timeout" : "failed",
    detail: `fails on ${shown(named)}: ${why(last)}${result.numShrinks > 0 ? ` (shrunk ${result.numShrinks} time(s))` : ""}`,
    counterexample: counter.map(toWire),
    ms: Math.round(performance.now() - t0),
  };
}
