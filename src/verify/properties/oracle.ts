// What decides whether one output is right: a property's predicate or a reference implementation,
// each in a session of its own that the candidate never touches (it shares no interpreter with
// them; its output reaches them as data).
import { readFileSync } from "node:fs";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Limits } from "../../sandbox/policy.ts";
import type { Language, Sandbox, Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict } from "../../sandbox/verdict.ts";
import type { Comparator } from "../comparator.ts";
import type { FailureKind, PropertyFailure } from "./report.ts";

const JUDGE_PY = readFileSync(new URL("./guest/judge.py", import.meta.url), "utf8");

/** What one input came to. */
export type Outcome = { readonly kind: "pass" } | { readonly kind: "discard" } | { readonly kind: "fail"; readonly failure: PropertyFailure };

/** The check cannot go on (a session that would not load, a sandbox failure): not the candidate's fault. */
export class CheckBroken extends Error {
  override readonly name = "CheckBroken";
  readonly phase: "load" | "property" | "reference" | "sandbox";
  constructor(phase: "load" | "property" | "reference" | "sandbox", message: string) {
    super(message);
    this.phase = phase;
  }
}

export interface Oracle {
  readonly kind: "property" | "reference";
  /** False when the input is outside the specification (the property's `pre` rejects it). */
  accepts(args: readonly Wire[], signal?: AbortSignal): Promise<boolean>;
  /** Judges the candidate's output (wire) on `args`. */
  judge(args: readonly Wire[], output: Wire, signal?: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}

function why(v: CallVerdict): string {
  return v.exception ? `${v.exception.type}: ${v.exception.message}` : (v.reason ?? v.status);
}

async function openSession(sandbox: Sandbox, language: Language, code: string, limits: Partial<Limits>, phase: "property" | "reference", signal?: AbortSignal): Promise<Session> {
  const session = await sandbox.session({ language, code, limits, ...(signal ? { signal } : {}) });
  if (session.loaded.status !== "ok") {
    await session.close();
    throw new CheckBroken(phase, `the ${phase} code did not load (${session.loaded.status}): ${why(session.loaded)}`);
  }
  return session;
}

/**
 * A Python predicate `name(*args, result)` (default `prop`): it passes by returning True or None (or
 * any true value), fails by returning a false value or raising. An optional `pre(*args)` in the same
 * code discards inputs outside the specification.
 */
export async function propertyOracle(
  sandbox: Sandbox,
  spec: { readonly code: string; readonly name?: string; readonly timeoutMs: number; readonly limits: Partial<Limits> },
  signal?: AbortSignal,
): Promise<Oracle> {
  const session = await openSession(sandbox, "python", spec.code, spec.limits, "property", signal);
  const name = spec.name ?? "prop";
  const opts = { timeoutMs: spec.timeoutMs, ...(signal ? { signal } : {}) };
  try {
    const cell = await session.exec(JUDGE_PY, opts);
    const has = cell.status === "ok" ? await session.call("__crucible_has_pre__", [], opts) : cell;
    if (has.status !== "ok") throw new CheckBroken("property", `the property judge did not start: ${why(has)}`);
    const probe = await session.exec(`if not callable(globals().get(${JSON.stringify(name)})):\n    raise NameError("the property code defines no function ${name}")\n`, opts);
    if (probe.status !== "ok") throw new CheckBroken("property", why(probe));
    const hasPre = has.value === true;
    return {
      kind: "property",
      async accepts(args, sig) {
        if (!hasPre) return true;
        const v = await session.call("__crucible_pre__", [new Encoded([...args])], { timeoutMs: spec.timeoutMs, ...(sig ? { signal: sig } : {}) });
        if (v.status !== "ok") throw new CheckBroken("property", `pre() failed: ${why(v)}`);
        return v.value === true;
      },
      async judge(args, output, sig) {
        const v = await session.call("__crucible_judge__", [name, new Encoded([...args]), new Encoded(output)], { timeoutMs: spec.timeoutMs, ...(sig ? { signal: sig } : {}) });
        if (v.status === "timeout") return { kind: "fail", failure: { kind: "predicate_error", message: `the predicate ran past ${spec.timeoutMs} ms on this output`, output } };
        if (v.status !== "ok" || !Array.isArray(v.value)) throw new CheckBroken("property", `the predicate session failed: ${why(v)}`);
        const [verdict, message, exception] = v.value as [string, string, PropertyFailure["exception"] | null];
        if (verdict === "pass") return { kind: "pass" };
        return {
          kind: "fail",
          failure: { kind: verdict as FailureKind, message, output, ...(exception ? { exception: { type: exception.type, message: exception.message, traceback: exception.traceback } } : {}) },
        };
      },
      close: () => session.close(),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * A reference implementation in its own session: an input on which the reference raises or times
 * out is outside the specification and discarded; otherwise outputs must be equal (exactly, or
 * within `atol` for floats, by the comparator's EvalPlus rules).
 */
export async function referenceOracle(
  sandbox: Sandbox,
  comparator: Comparator,
  spec: { readonly code: string; readonly language: Language; readonly entryPoint: string; readonly timeoutMs: number; readonly atol: number; readonly limits: Partial<Limits> },
  signal?: AbortSignal,
): Promise<Oracle> {
  const session = await openSession(sandbox, spec.language, spec.code, spec.limits, "reference", signal);
  const expectedOf = new Map<string, Wire | null>();
  const expected = async (args: readonly Wire[], sig?: AbortSignal): Promise<Wire | null> => {
    const key = JSON.stringify(args);
    const known = expectedOf.get(key);
    if (known !== undefined) return known;
    const v = await session.call(spec.entryPoint, [...args].map((a) => new Encoded(a)), { timeoutMs: spec.timeoutMs, raw: true, ...(sig ? { signal: sig } : {}) });
    if (v.status === "sandbox_error") throw new CheckBroken("reference", `the reference's session failed: ${why(v)}`);
    const out = v.status === "ok" ? (v.value as Encoded).wire : null;
    if (expectedOf.size > 10_000) expectedOf.clear();
    expectedOf.set(key, out);
    return out;
  };
  return {
    kind: "reference",
    async accepts(args, sig) {
      return (await expected(args, sig)) !== null;
    },
    async judge(args, output, sig) {
      const want = await expected(args, sig);
      if (want === null) return { kind: "discard" };
      if (sameWire(want, output)) return { kind: "pass" };
      const { index } = await comparator.firstMismatch([output], [want], [[...args]], spec.atol, undefined, undefined, sig);
      return index < 0 ? { kind: "pass" } : { kind: "fail", failure: { kind: "mismatch", message: "the output differs from the reference's", output, expected: want } };
    },
    close: () => session.close(),
  };
}

/** Equal wire texts: the same Python value, for everything but dicts and sets written in another order. */
export function sameWire(a: Wire, b: Wire): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Calls the candidate on one input. Its exception, timeout or crash is a failure of that input;
 * a sandbox failure breaks the check.
 */
export async function callCandidate(
  session: Session,
  entryPoint: string,
  args: readonly Wire[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ readonly output: Wire } | { readonly failure: PropertyFailure }> {
  const v = await session.call(entryPoint, args.map((a) => new Encoded(a)), { timeoutMs, raw: true, ...(signal ? { signal } : {}) });
  if (v.status === "ok") return { output: (v.value as Encoded).wire };
  return { failure: failureOf(v, timeoutMs) };
}

/** The failure a candidate call's verdict stands for. */
export function failureOf(v: CallVerdict, timeoutMs: number): PropertyFailure {
  if (v.status === "sandbox_error") throw new CheckBroken("sandbox", `the candidate's session failed: ${why(v)}`);
  if (v.status === "timeout") return { kind: "timeout", message: `ran past ${timeoutMs} ms` };
  if (v.status === "error" && v.exception) {
    const e = v.exception;
    return { kind: "exception", message: `raised ${e.type}: ${e.message}`, exception: { type: e.type, message: e.message, traceback: e.traceback } };
  }
  return { kind: "crash", message: `${v.status}${v.reason ? `: ${v.reason}` : ""}` };
}
