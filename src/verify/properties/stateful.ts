// Stateful checks: sequences of method calls (fast-check's model-based commands) on a candidate
// class and on a model class, each in its own session; every call's result (or the exception type
// it raised) must agree. Commands are generated from the model's method signatures.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Encoded, encode, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Limits } from "../../sandbox/policy.ts";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";
import { CrucibleError, isCrucibleError, throwIfAborted } from "../../errors.ts";
import { Comparator } from "../comparator.ts";
import { arbitraryOfArgs, type ArbitraryOptions } from "../inputs/arbitrary.ts";
import { classSchemaOf } from "../inputs/hints.ts";
import { fromWire, pythonRepr } from "../inputs/values.ts";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_NUM_RUNS, randomSeed } from "./check.ts";
import { CheckBroken, failureOf, sameWire } from "./oracle.ts";
import type { Counterexample, PropertyError, PropertyFailure, PropertyReport } from "./report.ts";

const DRIVER_PY = readFileSync(new URL("./guest/driver.py", import.meta.url), "utf8");

export interface StatefulCheck {
  /** Python code defining the class under test. */
  readonly code: string;
  readonly className: string;
  /** Python code defining the model class (same method names; `className` unless `model.className`). */
  readonly model: { readonly code: string; readonly className?: string };
  /** Methods to call (default: the model's public methods whose parameters all have usable hints). */
  readonly methods?: readonly string[];
  /** Constructor arguments for both classes (default none). */
  readonly constructorArgs?: readonly unknown[];
  /** Sequences to try (default 100). */
  readonly numRuns?: number;
  /** Longest sequence of calls (default 20). */
  readonly maxCommands?: number;
  readonly seed?: number;
  readonly path?: string;
  readonly timeoutMs?: number;
  readonly atol?: number;
  readonly inputs?: ArbitraryOptions;
  readonly limits?: Partial<Limits>;
  readonly onProgress?: (judged: number, phase: "search" | "shrink") => void;
  readonly signal?: AbortSignal;
}

interface Step {
  readonly method: string;
  readonly args: readonly Wire[];
}

/** One side of the comparison: a session holding one live instance. */
class Driven {
  private readonly session: Session;
  private readonly className: string;
  private readonly timeoutMs: number;

  constructor(session: Session, className: string, timeoutMs: number) {
    this.session = session;
    this.className = className;
    this.timeoutMs = timeoutMs;
  }

  async reset(args: readonly Wire[], signal?: AbortSignal): Promise<void> {
    const v = await this.session.call("__crucible_new__", [this.className, new Encoded([...args])], { timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) });
    if (v.status !== "ok") throw new CheckBroken("load", `${this.className}(...) could not be constructed: ${v.exception ? `${v.exception.type}: ${v.exception.message}` : (v.reason ?? v.status)}`);
  }

  async invoke(step: Step, signal?: AbortSignal): Promise<{ raised: string | null; value: Wire } | { failure: PropertyFailure }> {
    const v = await this.session.call("__crucible_invoke__", [step.method, new Encoded([...step.args])], { timeoutMs: this.timeoutMs, raw: true, ...(signal ? { signal } : {}) });
    if (v.status !== "ok") return { failure: failureOf(v, this.timeoutMs) };
    const wire = (v.value as Encoded).wire as Wire[];
    return wire[0] === "raised" ? { raised: typeof wire[1] === "string" ? wire[1] : "Exception", value: wire[2] ?? "" } : { raised: null, value: wire[1] ?? null };
  }
}

/**
 * Checks a class against a model class with generated sequences of method calls, shrinking a
 * failing sequence to a shortest one. A step fails when the results differ (compared exactly, or
 * within `atol` by the comparator), when one raised and the other did not, or when both raised
 * exceptions of different types; a candidate timeout or crash fails too.
 * @throws CrucibleError `aborted` when `signal` fires.
 */
export async function checkStateful(sandbox: Sandbox, check: StatefulCheck): Promise<PropertyReport> {
  const started = performance.now();
  const { signal } = check;
  const timeoutMs = check.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const base = { entryPoint: check.className, oracle: "model" } as const;
  const error = (phase: PropertyError["phase"], reason: string): PropertyError => ({ status: "error", ...base, phase, reason, ms: performance.now() - started });
  const modelClass = check.model.className ?? check.className;
  const limits = { ...check.limits, wallTimeMs: Math.max(timeoutMs, 10_000) };

  let commands: fc.Arbitrary<Step>[];
  try {
    const [mine, model] = await Promise.all([classSchemaOf(sandbox, check.code, check.className, signal), classSchemaOf(sandbox, check.model.code, modelClass, signal)]);
    const names = check.methods ?? Object.keys(model.methods).filter((m) => m in mine.methods);
    commands = [];
    for (const name of names) {
      const sig = model.methods[name];
      if (!sig) return error("inputs", `the model has no method ${name}`);
      try {
        const params = sig.params.filter((p) => !p.optional);
        commands.push(arbitraryOfArgs(params, check.inputs).map((args) => ({ method: name, args: args.map((a) => encode(a)) })));
      } catch (e) {
        if (check.methods !== undefined || !isCrucibleError(e, "invalid_argument")) throw e;
      }
    }
  } catch (e) {
    if (isCrucibleError(e, "invalid_argument")) return error("load", e.message);
    throw e;
  }
  if (commands.length === 0) return error("inputs", `no method of ${check.className} can be called with generated arguments; name them with methods, or add type hints`);

  const opened: { close(): Promise<void> }[] = [];
  try {
    const open = async (code: string, who: "load" | "reference") => {
      const s = await sandbox.session({ language: "python", code, limits, ...(signal ? { signal } : {}) });
      opened.push(s);
      const cell = s.loaded.status === "ok" ? await s.exec(DRIVER_PY, { timeoutMs: 10_000 }) : s.loaded;
      if (cell.status !== "ok") throw new CheckBroken(who, `the ${who === "load" ? "candidate" : "model"} did not load: ${cell.exception?.message ?? cell.reason ?? cell.status}`);
      return s;
    };
    const real = new Driven(await open(check.code, "load"), check.className, timeoutMs);
    const model = new Driven(await open(check.model.code, "reference"), modelClass, timeoutMs * 10);
    const comparator = await Comparator.open(sandbox, signal);
    opened.push(comparator);
    const ctorArgs = (check.constructorArgs ?? []).map((a) => encode(a));

    /** Runs steps on both sides; the first step that disagrees fails, with its failure. */
    const runStep = async (step: Step): Promise<PropertyFailure | null> => {
      const want = await model.invoke(step, signal);
      if ("failure" in want) throw new CheckBroken("reference", `the model failed on ${stepRepr(step)}: ${want.failure.message}`);
      const got = await real.invoke(step, signal);
      if ("failure" in got) return got.failure;
      if (want.raised !== null || got.raised !== null) {
        if (want.raised === got.raised) return null;
        return {
          kind: got.raised !== null ? "exception" : "mismatch",
          message: got.raised !== null ? `${stepRepr(step)} raised ${got.raised} where the model ${want.raised === null ? "returned" : `raised ${want.raised}`}` : `${stepRepr(step)} returned where the model raised ${want.raised}`,
          ...(got.raised === null ? { output: got.value } : {}),
          ...(want.raised === null ? { expected: want.value } : {}),
        };
      }
      if (sameWire(want.value, got.value)) return null;
      const { index } = await comparator.firstMismatch([got.value], [want.value], [[...step.args]], check.atol ?? 0, undefined, undefined, signal);
      return index < 0 ? null : { kind: "mismatch", message: `${stepRepr(step)} differs from the model`, output: got.value, expected: want.value };
    };

    class Call implements fc.AsyncCommand<Driven, Driven> {
      readonly step: Step;
      constructor(step: Step) {
        this.step = step;
      }
      check(): boolean {
        return true;
      }
      async run(): Promise<void> {
        const failure = await runStep(this.step);
        if (failure) {
          throw new Error(failure.message);
        }
      }
      toString(): string {
        return stepRepr(this.step);
      }
    }

    let broken: Error | undefined;
    let judged = 0;
    let phase: "search" | "shrink" = "search";
    let original: Step[] | undefined;
    // A stateful path is fast-check's path, then "#" and the commands' replay path (which calls ran).
    const [fcPath, replayPath] = check.path === undefined ? [undefined, undefined] : check.path.split("#", 2);
    const sequences = fc.commands(
      commands.map((c) => c.map((s) => new Call(s))),
      { maxCommands: check.maxCommands ?? 20, ...(replayPath ? { replayPath } : {}) },
    );
    const property = fc.asyncProperty(sequences, async (cmds) => {
      if (broken !== undefined) return;
      if (signal?.aborted) {
        broken = new CrucibleError("aborted", "the stateful check was cancelled", { cause: signal.reason });
        return;
      }
      try {
        await Promise.all([real.reset(ctorArgs, signal), model.reset(ctorArgs, signal)]);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      } catch (e) {
        if (e instanceof CheckBroken || isCrucibleError(e)) {
          broken = e;
          return;
        }
        original ??= stepsOf(cmds).filter((c) => c.ran).map((c) => c.step);
        phase = "shrink";
        throw e;
      } finally {
        check.onProgress?.(++judged, phase);
      }
    });
    const seed = check.seed ?? randomSeed();
    const details = await fc.check(property, { numRuns: check.numRuns ?? DEFAULT_NUM_RUNS, seed, ...(fcPath === undefined ? {} : { path: fcPath, endOnFailure: true }) });
    const replay = details.counterexample === null ? null : /replayPath="([^"]*)"/u.exec((details.counterexample[0] as { toString(): string }).toString())?.[1];
    if (broken !== undefined) {
      if (broken instanceof CheckBroken) return error(broken.phase, broken.message);
      throw broken;
    }
    throwIfAborted(signal, "the stateful check");
    if (!details.failed || details.counterexample === null) {
      return { status: "passed", ...base, numRuns: details.numRuns, numDiscarded: details.numSkips, seed, ms: performance.now() - started };
    }
    // Every command of the shrunk sequence, not only those that ran: the replay below stops at the first failing one.
    const ran = stepsOf(details.counterexample[0]).map((c) => c.step);
    const steps: Step[] = [];
    await Promise.all([real.reset(ctorArgs, signal), model.reset(ctorArgs, signal)]);
    let final: PropertyFailure | null = null;
    for (const step of ran) {
      steps.push(step);
      final = await runStep(step);
      if (final) break;
    }
    const ce = (s: readonly Step[]): Counterexample => ({ args: s.map((x) => [...x.args]), repr: s.map(stepRepr).join("\n"), steps: s });
    return {
      status: "failed",
      ...base,
      seed,
      path: `${details.counterexamplePath ?? ""}${replay ? `#${replay}` : ""}`,
      numRuns: details.numRuns,
      numShrinks: details.numShrinks,
      counterexample: ce(steps),
      original: ce(original ?? steps),
      failure: final ?? { kind: "mismatch", message: "failed during the search, passed when run again" },
      flaky: final === null,
      ms: performance.now() - started,
    };
  } catch (e) {
    if (e instanceof CheckBroken) return error(e.phase, e.message);
    throw e;
  } finally {
    await Promise.allSettled(opened.reverse().map((o) => o.close()));
  }
}

function stepRepr(step: Step): string {
  return `${step.method}(${step.args.map((a) => pythonRepr(fromWire(a))).join(", ")})`;
}

/** The steps of a fast-check command sequence (its items wrap each command as `{cmd, hasRan}`). */
function stepsOf(cmds: Iterable<unknown>): { step: Step; ran: boolean }[] {
  return [...cmds].map((c) => {
    const w = c as { cmd?: { step: Step }; hasRan?: boolean; step?: Step };
    return { step: w.cmd?.step ?? w.step!, ran: w.hasRan ?? true };
  });
}
