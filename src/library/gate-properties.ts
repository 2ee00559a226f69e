// Properties of a tool, checked by the property checker of src/verify/properties: inputs generated
// from the tool's input schema (fast-check, seeded, shrunk), the tool called in the gate's toolbox
// session in batches, and the predicate `prop(args, output)` judged in a sandbox session of its own.
// The tool's output reaches the predicate as data, so a tool cannot reach into its predicate (patch
// builtins, shadow names, answer with an object that equals everything) to get itself admitted.
// Inputs the tool refuses (raises on) are preconditions that do not hold, not failures.
import fc from "fast-check";
import { Encoded } from "../sandbox/guest/codec.mjs";
import type { Sandbox } from "../sandbox/sandbox.ts";
import { arbitraryOfArgs } from "../verify/inputs/arbitrary.ts";
import type { ParamSchema } from "../verify/inputs/schema.ts";
import { callAll, type Candidate } from "../verify/properties/candidate.ts";
import { CheckBroken, propertyOracle, type Oracle } from "../verify/properties/oracle.ts";
import type { PropertyFailure, PropertyReport } from "../verify/properties/report.ts";
import { searchProperty } from "../verify/properties/search.ts";
import { fromWire, shown } from "./gate-values.ts";
import { dependencyOrder, toolboxCode, type LoadedTool, type ToolboxSession } from "./invoke-session.ts";
import type { CheckRecord, ToolProperty, ToolSpec } from "./tool.ts";

export interface PropertyRun {
  readonly runs: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Where predicates run: a sandbox for their own sessions, and the tool's closure for the ones that call it. */
export interface PredicateHost {
  readonly sandbox: Sandbox;
  /** The tool and the tools it calls (any order), as the gate's session loaded them. */
  readonly closure: readonly LoadedTool[];
}

/** The name the predicate's session exposes: `prop(args, output)` with the arguments by name. */
const ADAPTER = "__crucible_tool_prop__";

/** The names a predicate may use from its tool: the entry, the dependencies, and `tools`. */
function toolNames(spec: ToolSpec): string[] {
  return [spec.entryPoint, ...spec.dependencies.map((d) => d.name), "tools"];
}

/**
 * The code of the predicate's session. The tool's closure is loaded there only when the predicate
 * names the tool, a dependency or `tools` (it may call them, e.g. `f(output) == output`); even then
 * the predicate runs in a namespace of its own, seeing those names and nothing else of the tool's.
 */
export function predicateCode(spec: ToolSpec, property: ToolProperty, names: readonly string[], closure: readonly LoadedTool[]): string {
  const used = toolNames(spec).filter((n) => new RegExp(`(?<![\\w$])${n.replace(/[.*+?^${}()|[\]\\/]/gu, "\\$&")}(?![\\w$])`, "u").test(property.predicate));
  const self = closure.find((t) => t.name === spec.name && t.entryPoint === spec.entryPoint);
  const load = used.length > 0 && self !== undefined;
  const tools = load ? toolboxCode(spec.language, dependencyOrder(closure)) : "";
  const allDeps = load ? Object.entries(self.deps) : [];
  const deps = allDeps.filter(([n]) => /^[A-Za-z_$][\w$]*$/u.test(n));
  const source = JSON.stringify(property.predicate);
  if (spec.language === "python") {
    const call = (key: string): string => `lambda *a, **k: _crucible_call(${JSON.stringify(key)}, a, k)`;
    const bindings = load
      ? [
          `__crucible_scope__[${JSON.stringify(spec.entryPoint)}] = ${call(self.key)}`,
          ...deps.map(([n, k]) => `__crucible_scope__[${JSON.stringify(n)}] = ${call(k)}`),
          `__crucible_scope__["tools"] = __import__("types").SimpleNamespace(**{${allDeps.map(([n, k]) => `${JSON.stringify(n)}: ${call(k)}`).join(", ")}})`,
        ]
      : [];
    return [
      tools,
      `__crucible_scope__ = {"__name__": "crucible_property"}`,
      ...bindings,
      `exec(compile(${source}, "<property>", "exec"), __crucible_scope__)`,
      `if not callable(__crucible_scope__.get("prop")):`,
      `    raise NameError("a property predicate must define a function prop(args, output)")`,
      `def ${ADAPTER}(*a):`,
      `    return __crucible_scope__["prop"](dict(zip(${JSON.stringify(names)}, a[:-1])), a[-1])`,
      "",
    ].join("\n");
  }
  const params = load ? ["tools", ...deps.map(([n]) => n).filter((n) => n !== "tools" && n !== spec.entryPoint), spec.entryPoint] : [];
  const values = load
    ? [
        `Object.freeze({${allDeps.map(([n, k]) => `${JSON.stringify(n)}: __crucibleEntry(${JSON.stringify(k)})`).join(", ")}})`,
        ...deps.filter(([n]) => n !== "tools" && n !== spec.entryPoint).map(([, k]) => `__crucibleEntry(${JSON.stringify(k)})`),
        `__crucibleEntry(${JSON.stringify(self.key)})`,
      ]
    : [];
  return [
    tools,
    `const __crucibleToolProp = require("node:vm").runInThisContext(${JSON.stringify(`(function (${params.join(", ")}) {\n`)} + ${source} + ${JSON.stringify('\n;return typeof prop === "function" ? prop : undefined;\n})')}, { filename: "property" })(${values.join(", ")});`,
    `if (typeof __crucibleToolProp !== "function") throw new ReferenceError("a property predicate must define a function prop(args, output)");`,
    `function ${ADAPTER}(...a) {`,
    `  const names = ${JSON.stringify(names)};`,
    `  return __crucibleToolProp(Object.fromEntries(names.slice(0, a.length - 1).map((n, i) => [n, a[i]])), a[a.length - 1]);`,
    `}`,
    "",
  ].join("\n");
}

/** The gate's toolbox session as the checker's candidate: the tool called by key, outputs kept as wire. */
function toolCandidate(session: ToolboxSession, key: string): Candidate {
  return {
    callMany: (argsList, options) =>
      callAll(
        session,
        key,
        argsList.map((args) => args.map((a) => new Encoded(a))),
        { timeoutMs: options.timeoutMs, raw: true, ...(options.signal ? { signal: options.signal } : {}) },
        options.stopOnFailure,
      ),
  };
}

function why(failure: PropertyFailure): string {
  const output = failure.output === undefined ? "" : ` (output ${shown(fromWire(failure.output))})`;
  if (failure.kind === "false") return `the predicate is false${output}`;
  if (failure.kind === "assertion" || failure.kind === "predicate_error") {
    const e = failure.exception;
    return `${e ? `the predicate raised ${e.type}: ${e.message}` : failure.message}${output}`;
  }
  return `the run ended ${failure.kind} (${failure.message})`;
}

/** A property check's report as the gate's record (kind, name, status, detail, seed, counterexample). */
export function propertyRecord(report: PropertyReport, property: ToolProperty, params: readonly ParamSchema[], seed: number): CheckRecord {
  const base = { kind: "property", name: property.name, seed, ms: Math.round(report.ms) } as const;
  if (report.status === "passed") {
    return { ...base, status: "passed", detail: `held on ${report.numRuns} generated input(s); ${report.numDiscarded} refused by the tool` };
  }
  if (report.status === "error") {
    if (report.phase === "inputs" && report.numRuns !== undefined) {
      // fast-check stopped drawing after too many refusals: what was judged still counts, as long as something was.
      if (report.numRuns === 0) return { ...base, status: "failed", detail: `the tool refused all ${report.numDiscarded ?? 0} generated inputs, so the property was never tested` };
      return { ...base, status: "passed", detail: `held on ${report.numRuns} generated input(s); ${report.numDiscarded ?? 0} refused by the tool` };
    }
    return { ...base, status: "error", detail: report.reason };
  }
  const args = report.counterexample.args;
  const named = Object.fromEntries(params.slice(0, args.length).map((p, i) => [p.name, fromWire(args[i]!)]));
  return {
    ...base,
    status: report.failure.kind === "timeout" ? "timeout" : "failed",
    detail: `fails on ${shown(named)}: ${why(report.failure)}${report.numShrinks > 0 ? ` (shrunk ${report.numShrinks} time(s))` : ""}; replay with seed ${report.seed}, path ${report.path}`,
    counterexample: [...args],
  };
}

type Opened = { readonly oracle: Oracle } | { readonly broken: CheckBroken };

/**
 * The properties of one tool, their predicate sessions opening in the background from the moment
 * this is made (so the wait overlaps the gate's other checks). Call `check(i, run)` for each
 * property, then `close()` (always: it also closes the sessions of properties never checked).
 */
export class ToolProperties {
  private readonly opening: Promise<Opened>[];
  private readonly session: ToolboxSession;
  private readonly key: string;
  private readonly spec: ToolSpec;
  private readonly params: readonly ParamSchema[];

  constructor(session: ToolboxSession, key: string, spec: ToolSpec, params: readonly ParamSchema[], host: PredicateHost, timeoutMs: number, signal?: AbortSignal) {
    this.session = session;
    this.key = key;
    this.spec = spec;
    this.params = params;
    const names = params.map((p) => p.name);
    const limits = { ...session.limits, wallTimeMs: Math.max(timeoutMs, 10_000) };
    const language = spec.language === "python" ? "python" : "javascript";
    this.opening = spec.properties.map((property) =>
      propertyOracle(host.sandbox, { code: predicateCode(spec, property, names, host.closure), name: ADAPTER, language, timeoutMs, limits }, signal).then(
        (oracle) => ({ oracle }),
        (error: unknown) => {
          if (error instanceof CheckBroken) return { broken: error };
          throw error;
        },
      ),
    );
    // Failures other than CheckBroken surface from check() or close(); never as unhandled rejections.
    for (const p of this.opening) p.catch(() => {});
  }

  /**
   * Checks property `index`; the record carries the seed and, on failure, the shrunk
   * counterexample. Never rejects for what the tool or predicate does.
   */
  async check(index: number, run: PropertyRun): Promise<CheckRecord> {
    const started = performance.now();
    const property = this.spec.properties[index]!;
    const base = { kind: "property", name: property.name, seed: run.seed } as const;
    let arb: fc.Arbitrary<unknown[]>;
    try {
      arb = arbitraryOfArgs(this.params, { maxLength: 8 });
      fc.sample(arb, { numRuns: 1, seed: run.seed });
    } catch (error) {
      return { ...base, status: "error", detail: `no inputs can be generated from the input schema: ${(error as Error).message}` };
    }
    const opened = await this.opening[index]!;
    if ("broken" in opened) return { ...base, status: "error", detail: opened.broken.message, ms: Math.round(performance.now() - started) };
    const report = await searchProperty(toolCandidate(this.session, this.key), opened.oracle, arb, {
      entryPoint: this.spec.entryPoint,
      oracle: "property",
      numRuns: run.runs,
      seed: run.seed,
      timeoutMs: run.timeoutMs,
      raises: "discard",
      // At most as many refused inputs as runs: a tool that refuses most inputs is judged on what it answers.
      maxSkipsPerRun: 1,
      started,
      ...(run.signal ? { signal: run.signal } : {}),
    });
    return propertyRecord(report, property, this.params, run.seed);
  }

  /** Closes every predicate session (waiting for the ones still opening). */
  async close(): Promise<void> {
    const opened = await Promise.allSettled(this.opening);
    await Promise.allSettled(opened.flatMap((o) => (o.status === "fulfilled" && "oracle" in o.value ? [o.value.oracle.close()] : [])));
  }
}
