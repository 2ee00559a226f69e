// The admission gate: the checks a tool must pass before the library serves it, run inside a
// sandbox session, each written down (kind, name, status, detail, seed) so the verification
// record says exactly what was checked. The same checks re-run on demand (re-verification).
import fc from "fast-check";
import type { Wire } from "../sandbox/guest/codec.mjs";
import type { CallVerdict } from "../sandbox/verdict.ts";
import { arbitraryOfArgs } from "../verify/inputs/arbitrary.ts";
import { paramsFromSchema, SchemaValidator, type ParamSchema } from "../verify/inputs/schema.ts";
import { fromWire, sameValue, shown, toWire } from "./gate-values.ts";
import { ToolProperties, type PredicateHost } from "./gate-properties.ts";
import { wireArgs, type ToolboxSession } from "./invoke-session.ts";
import type { CheckRecord, ToolExample, ToolSpec } from "./tool.ts";

export interface GateOptions {
  /** Generated inputs per property (default 100). */
  readonly propertyRuns?: number;
  /** Generated inputs for the output-schema conformance check and probing (default 30). */
  readonly generatedInputs?: number;
  /** Wall time of one call of the tool on an example or test, in ms (default 5000). */
  readonly callTimeoutMs?: number;
  /** Wall time of one call on a generated input, in ms (default 2000): a hang there is a rejection. */
  readonly generatedTimeoutMs?: number;
  /** Examples probing keeps for a tool that has none (default 5). */
  readonly probeExamples?: number;
  /** Master seed; defaults to one derived from the tool's hash, so a re-run draws the same inputs. */
  readonly seed?: number;
  readonly signal?: AbortSignal;
}

/** What probing learned about a tool without examples. */
export interface ProbeReport {
  readonly seed: number;
  /** Generated inputs tried. */
  readonly tried: number;
  /** Representative input/output pairs (distinct outputs, smallest inputs first). */
  readonly examples: readonly ToolExample[];
  /** Inputs the schema allows but the tool refused (raised on, or did not finish), with why. */
  readonly rejected: readonly { readonly args: readonly Wire[]; readonly reason: string }[];
  readonly accepted: number;
}

export interface GateResult {
  readonly passed: boolean;
  readonly checks: readonly CheckRecord[];
  readonly seed: number;
  /** Present when the tool had no examples and probing ran. */
  readonly probe: ProbeReport | null;
}

const validator = new SchemaValidator();

/** The master seed of a tool: 31 bits of its hash. */
export function seedOf(hash: string): number {
  return parseInt(hash.slice(0, 8), 16) & 0x7fffffff;
}

function record(kind: string, name: string, passed: boolean, detail: string, extra: Partial<CheckRecord> = {}): CheckRecord {
  return { kind, name, status: passed ? "passed" : "failed", detail, ...extra };
}

function verdictText(v: CallVerdict): string {
  if (v.exception) return `${v.exception.type}: ${v.exception.message}`;
  return `${v.status}${v.reason ? ` (${v.reason})` : ""}`;
}

function statusOf(v: CallVerdict): CheckRecord["status"] {
  return v.status === "timeout" ? "timeout" : v.status === "ok" ? "passed" : v.status === "error" ? "failed" : "error";
}

/**
 * Checks that need no sandbox: both schemas compile, the input schema's properties are the
 * parameters, the tool has something to verify.
 */
export function staticChecks(spec: ToolSpec): CheckRecord[] {
  const checks: CheckRecord[] = [];
  for (const [name, schema] of [["input schema", spec.inputSchema], ["output schema", spec.outputSchema]] as const) {
    let problem: string | null = null;
    try {
      validator.check(schema, null);
    } catch (error) {
      problem = (error as Error).message;
    }
    checks.push(record("schema", name, problem === null, problem ?? "compiles as a JSON Schema (draft 2020-12)"));
  }
  const params = paramsFromSchema(spec.inputSchema);
  const arity = [...spec.examples.map((e) => e.args.length), ...spec.tests.map((t) => t.args.length)];
  const tooMany = arity.find((n) => n > params.length);
  checks.push(
    record(
      "schema",
      "parameters",
      tooMany === undefined,
      tooMany === undefined ? `${params.length} parameter(s): ${params.map((p) => p.name).join(", ") || "none"}` : `a test or example passes ${tooMany} arguments; the input schema has ${params.length} properties`,
    ),
  );
  const somethingToCheck = spec.tests.length + spec.properties.length > 0;
  checks.push(
    record("gate", "has tests or properties", somethingToCheck, somethingToCheck ? `${spec.tests.length} test(s), ${spec.properties.length} propert(y/ies)` : "a tool needs at least one test or property to be admitted"),
  );
  return checks;
}

/** The input object a positional argument list stands for (parameters left out are absent). */
export function namedArgs(params: readonly ParamSchema[], args: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  args.forEach((a, i) => {
    const p = params[i];
    if (p) Object.defineProperty(out, p.name, { value: a, enumerable: true });
  });
  return out;
}

/**
 * Runs the gate's sandbox checks on a tool loaded in `session` under `key`: it loads; every
 * example and test passes inputs the input schema accepts and gets the expected output, which the
 * output schema accepts; outputs on generated inputs satisfy the output schema (and, for a tool
 * without examples, become its probed examples and rejected inputs); every property holds, its
 * predicate judged in a session of its own that `predicates.sandbox` opens.
 */
export async function runGate(session: ToolboxSession, key: string, spec: ToolSpec, predicates: PredicateHost, options: GateOptions = {}): Promise<GateResult> {
  const signal = options.signal;
  const seed = options.seed ?? seedOf(key);
  const checks: CheckRecord[] = [];
  const loadError = await session.loadError(key, signal);
  checks.push(record("load", spec.entryPoint, loadError === null, loadError ?? `defines ${spec.entryPoint}`));
  if (loadError !== null) return { passed: false, checks, seed, probe: null };

  const params = paramsFromSchema(spec.inputSchema);
  const generatedTimeoutMs = options.generatedTimeoutMs ?? 2_000;
  // The predicates' sessions open while the examples, tests and conformance run.
  const properties = new ToolProperties(session, key, spec, params, predicates, generatedTimeoutMs, signal);
  try {
    const timeoutMs = options.callTimeoutMs ?? 5_000;
    const cases = [
      ...spec.examples.map((e, i) => ({ kind: "example", name: `example ${i + 1}`, args: e.args, expected: e.output })),
      ...spec.tests.map((t) => ({ kind: "test", name: t.name, args: t.args, expected: t.expected })),
    ];
    const verdicts = cases.length === 0 ? [] : await session.callMany(key, cases.map((c) => wireArgs(c.args)), { timeoutMs, ...(signal ? { signal } : {}) });
    cases.forEach((c, i) => {
      const v = verdicts[i]!;
      const args = c.args.map(fromWire);
      const inputProblem = validator.check(spec.inputSchema, namedArgs(params, args));
      const base = { ms: Math.round((v.callMs ?? v.wallMs) * 1000) / 1000 };
      if (inputProblem !== null) {
        checks.push(record(c.kind, c.name, false, `its input does not match the input schema: ${inputProblem}`, { ...base, counterexample: [...c.args] }));
        return;
      }
      if (v.status !== "ok") {
        checks.push({ kind: c.kind, name: c.name, status: statusOf(v), detail: verdictText(v), ...base, counterexample: [...c.args] });
        return;
      }
      const outputProblem = validator.check(spec.outputSchema, v.value);
      if (outputProblem !== null) {
        checks.push(record(c.kind, c.name, false, `the output ${shown(v.value)} does not match the output schema: ${outputProblem}`, { ...base, counterexample: [...c.args] }));
        return;
      }
      const expected = fromWire(c.expected);
      const same = sameValue(v.value, expected);
      checks.push(record(c.kind, c.name, same, same ? "output as expected, valid against the output schema" : `expected ${shown(expected)}, got ${shown(v.value)}`, same ? base : { ...base, counterexample: [...c.args] }));
    });

    const { check: conformance, probe } = await generatedInputs(session, key, spec, params, seed, options);
    checks.push(conformance);
    if (probe) checks.push(...probeChecks(probe));

    const propertyRuns = options.propertyRuns ?? 100;
    for (const i of spec.properties.keys()) {
      checks.push(await properties.check(i, { runs: propertyRuns, seed: (seed + i + 1) & 0x7fffffff, timeoutMs: generatedTimeoutMs, ...(signal ? { signal } : {}) }));
    }
    return { passed: checks.every((c) => c.status === "passed" || c.status === "skipped"), checks, seed, probe };
  } finally {
    await properties.close();
  }
}

/**
 * Runs the tool on generated inputs: every output must satisfy the output schema (a tool may
 * refuse an input by raising; that is recorded, not failed). For a tool without examples the same
 * runs are the probe: representative examples and the rejected inputs.
 */
async function generatedInputs(
  session: ToolboxSession,
  key: string,
  spec: ToolSpec,
  params: readonly ParamSchema[],
  seed: number,
  options: GateOptions,
): Promise<{ check: CheckRecord; probe: ProbeReport | null }> {
  const count = options.generatedInputs ?? 30;
  let argsList: unknown[][];
  try {
    argsList = fc.sample(arbitraryOfArgs(params, { maxLength: 8 }), { numRuns: count, seed });
  } catch (error) {
    return { check: { kind: "conformance", name: "outputs on generated inputs", status: "skipped", detail: `no inputs can be generated: ${(error as Error).message}`, seed }, probe: null };
  }
  const t0 = performance.now();
  const verdicts = await session.callMany(key, argsList, { timeoutMs: options.generatedTimeoutMs ?? 2_000, ...(options.signal ? { signal: options.signal } : {}) });
  const ms = Math.round(performance.now() - t0);
  const accepted: { args: unknown[]; output: unknown }[] = [];
  const rejected: { args: Wire[]; reason: string }[] = [];
  for (const [i, v] of verdicts.entries()) {
    const args = argsList[i]!;
    if (v.status !== "ok") {
      if (v.status === "sandbox_error") return { check: { kind: "conformance", name: "outputs on generated inputs", status: "error", detail: verdictText(v), seed, ms }, probe: null };
      rejected.push({ args: args.map(toWire), reason: verdictText(v) });
      continue;
    }
    const problem = validator.check(spec.outputSchema, v.value);
    if (problem !== null) {
      const check = record("conformance", "outputs on generated inputs", false, `on input ${shown(namedArgs(params, args))} the output ${shown(v.value)} does not match the output schema: ${problem}`, {
        seed,
        ms,
        counterexample: args.map(toWire),
      });
      return { check, probe: null };
    }
    accepted.push({ args, output: v.value });
  }
  const check = record("conformance", "outputs on generated inputs", true, `${accepted.length} of ${verdicts.length} generated inputs answered, every output valid against the output schema; ${rejected.length} refused`, { seed, ms });
  if (spec.examples.length > 0) return { check, probe: null };
  return { check, probe: { seed, tried: verdicts.length, accepted: accepted.length, examples: representative(accepted, options.probeExamples ?? 5), rejected: distinctRejections(rejected, 5) } };
}

/** Distinct outputs, smallest inputs first: a few examples that show what the tool does. */
function representative(accepted: readonly { args: unknown[]; output: unknown }[], limit: number): ToolExample[] {
  const sized = accepted.map((a) => ({ ...a, size: shown(a.args, 10_000).length })).sort((x, y) => x.size - y.size);
  const seen = new Set<string>();
  const out: ToolExample[] = [];
  for (const a of sized) {
    const key = shown(a.output, 10_000);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ args: a.args.map(toWire), output: toWire(a.output) });
    if (out.length >= limit) break;
  }
  return out;
}

/** One rejected input per distinct reason (exception type and message start). */
function distinctRejections(rejected: readonly { args: Wire[]; reason: string }[], limit: number): { args: Wire[]; reason: string }[] {
  const seen = new Set<string>();
  const out: { args: Wire[]; reason: string }[] = [];
  for (const r of rejected) {
    const key = r.reason.slice(0, 40);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
    if (out.length >= limit) break;
  }
  return out;
}

/** Probing as records: what was kept as examples and which inputs the tool refuses. */
function probeChecks(probe: ProbeReport): CheckRecord[] {
  return [
    probe.examples.length > 0
      ? record("probe", "examples", true, `${probe.examples.length} representative example(s) kept from ${probe.accepted} answered input(s)`, { seed: probe.seed })
      : { kind: "probe", name: "examples", status: "skipped" as const, detail: `the tool answered none of ${probe.tried} generated inputs; no examples recorded`, seed: probe.seed },
    ...probe.rejected.map((r, i) => ({ kind: "probe", name: `rejects input ${i + 1}`, status: "passed" as const, detail: r.reason, counterexample: [...r.args], seed: probe.seed })),
  ];
}
