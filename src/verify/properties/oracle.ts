// What decides whether one output is right: a property's predicate or a reference implementation,
// each in a session of its own that the candidate never touches (it shares no interpreter with
// them; its output reaches them as data). Both judge inputs in batches: one round trip per batch
// where the backend allows it (Python).
import { readFileSync } from "node:fs";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Limits } from "../../sandbox/policy.ts";
import type { Language, Sandbox, Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict } from "../../sandbox/verdict.ts";
import type { Comparator } from "../comparator.ts";
import { callAll } from "./candidate.ts";
import type { FailureKind, PropertyFailure } from "./report.ts";

const JUDGE_PY = readFileSync(new URL("./guest/judge.py", import.meta.url), "utf8");
const JUDGE_JS = readFileSync(new URL("./guest/judge.cjs", import.meta.url), "utf8");

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

/** One input and the candidate's output on it (wire). */
export interface Judged {
  readonly args: readonly Wire[];
  readonly output: Wire;
}

export interface Oracle {
  readonly kind: "property" | "reference";
  /** Per input, false when it is outside the specification (the property's `pre` rejects it). */
  acceptsMany(argsList: readonly (readonly Wire[])[], signal?: AbortSignal): Promise<boolean[]>;
  /**
   * Judges the candidate's outputs, one outcome per case, in order — or fewer: a property's judging
   * stops after the first case on which the predicate hangs (a failure), the rest left unjudged.
   */
  judgeMany(cases: readonly Judged[], signal?: AbortSignal): Promise<Outcome[]>;
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

/** A property: predicate code, the name of its predicate, and the language it is written in. */
export interface PropertySpec {
  readonly code: string;
  /** The predicate's name (default `prop`). */
  readonly name?: string;
  /** Python (default), or JavaScript/TypeScript (predicates then run under judge.cjs). */
  readonly language?: Language;
  readonly timeoutMs: number;
  readonly limits: Partial<Limits>;
}

/**
 * A predicate `name(*args, result)` (default `prop`) in its own session: it passes by returning
 * True/None (`true`/`undefined` in JavaScript) or any true value, fails by returning a false value
 * or raising. An optional `pre(*args)` in the same code discards inputs outside the specification.
 * A predicate that runs past `timeoutMs` fails that input (`predicate_error`).
 * @throws CheckBroken (phase `property`) when the code does not load or defines no such function.
 */
export async function propertyOracle(sandbox: Sandbox, spec: PropertySpec, signal?: AbortSignal): Promise<Oracle> {
  const language = spec.language ?? "python";
  const python = language === "python";
  // The judge is part of the session's code (not a cell): a session restarted after a predicate
  // that hung loads it again with the property.
  const session = await openSession(sandbox, language, `${spec.code}\n\n${python ? JUDGE_PY : JUDGE_JS}`, spec.limits, "property", signal);
  const name = spec.name ?? "prop";
  const opts = (sig?: AbortSignal): { timeoutMs: number; signal?: AbortSignal } => ({ timeoutMs: spec.timeoutMs, ...(sig ? { signal: sig } : {}) });
  try {
    const has = await session.call("__crucible_has_pre__", [], opts(signal));
    if (has.status !== "ok") throw new CheckBroken("property", `the property judge did not start: ${why(has)}`);
    const defines = await session.call("__crucible_defines__", [name], opts(signal));
    if (defines.status !== "ok" || defines.value !== true) throw new CheckBroken("property", defines.status === "ok" ? `NameError: the property code defines no function ${name}` : why(defines));
    const hasPre = has.value === true;
    return {
      kind: "property",
      async acceptsMany(argsList, sig) {
        if (!hasPre) return argsList.map(() => true);
        const verdicts = await callAll(session, "__crucible_pre__", argsList.map((args) => [new Encoded([...args])]), opts(sig));
        return verdicts.map((v) => {
          if (v.status !== "ok") throw new CheckBroken("property", `pre() failed: ${why(v)}`);
          return v.value === true;
        });
      },
      async judgeMany(cases, sig) {
        if (!python && cases.length > 1) {
          // JavaScript sessions make one round trip per call: judge the batch in one call, within
          // one call's time; past it (or on any trouble) judge one at a time, each with its own.
          const v = await session.call("__crucible_judge_many__", [name, new Encoded(cases.map((c) => [[...c.args], c.output]))], opts(sig));
          if (v.status === "ok" && Array.isArray(v.value) && v.value.length === cases.length) {
            return (v.value as unknown[]).map((x, i) => judgement({ ...v, value: x }, cases[i]!.output, spec.timeoutMs));
          }
        }
        // Each hang costs a whole timeout: stop at the first (a failure; later cases do not matter).
        const verdicts = await callAll(session, "__crucible_judge__", cases.map((c) => [name, new Encoded([...c.args]), new Encoded(c.output)]), opts(sig), true);
        return verdicts.map((v, i) => judgement(v, cases[i]!.output, spec.timeoutMs));
      },
      close: () => session.close(),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}

function judgement(v: CallVerdict, output: Wire, timeoutMs: number): Outcome {
  if (v.status === "timeout") return { kind: "fail", failure: { kind: "predicate_error", message: `the predicate ran past ${timeoutMs} ms on this output`, output } };
  if (v.status !== "ok" || !Array.isArray(v.value)) throw new CheckBroken("property", `the predicate session failed: ${why(v)}`);
  const [verdict, message, exception] = v.value as [string, string, PropertyFailure["exception"] | null];
  if (verdict === "pass") return { kind: "pass" };
  return {
    kind: "fail",
    failure: { kind: verdict as FailureKind, message, output, ...(exception ? { exception: { type: exception.type, message: exception.message, traceback: exception.traceback } } : {}) },
  };
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
  const expected = async (argsList: readonly (readonly Wire[])[], sig?: AbortSignal): Promise<(Wire | null)[]> => {
    const keys = argsList.map((args) => JSON.stringify(args));
    const missing = [...new Set(keys.filter((k) => !expectedOf.has(k)))];
    if (missing.length > 0) {
      if (expectedOf.size + missing.length > 10_000) expectedOf.clear();
      const verdicts = await callAll(
        session,
        spec.entryPoint,
        missing.map((k) => (JSON.parse(k) as Wire[]).map((a) => new Encoded(a))),
        { timeoutMs: spec.timeoutMs, raw: true, ...(sig ? { signal: sig } : {}) },
      );
      verdicts.forEach((v, i) => {
        if (v.status === "sandbox_error") throw new CheckBroken("reference", `the reference's session failed: ${why(v)}`);
        expectedOf.set(missing[i]!, v.status === "ok" ? (v.value as Encoded).wire : null);
      });
    }
    return keys.map((k) => expectedOf.get(k) ?? null);
  };
  return {
    kind: "reference",
    async acceptsMany(argsList, sig) {
      return (await expected(argsList, sig)).map((w) => w !== null);
    },
    async judgeMany(cases, sig) {
      const wants = await expected(
        cases.map((c) => c.args),
        sig,
      );
      const out: Outcome[] = [];
      for (const [i, c] of cases.entries()) {
        const want = wants[i] ?? null;
        if (want === null) out.push({ kind: "discard" });
        else if (sameWire(want, c.output)) out.push({ kind: "pass" });
        else {
          const { index } = await comparator.firstMismatch([c.output], [want], [[...c.args]], spec.atol, undefined, undefined, sig);
          out.push(index < 0 ? { kind: "pass" } : { kind: "fail", failure: { kind: "mismatch", message: "the output differs from the reference's", output: c.output, expected: want } });
        }
      }
      return out;
    },
    close: () => session.close(),
  };
}

/** Equal wire texts: the same Python value, for everything but dicts and sets written in another order. */
export function sameWire(a: Wire, b: Wire): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
