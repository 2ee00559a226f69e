// Duplicates by behaviour (differential testing): two tools with the same signature that give the
// same outputs on the same generated inputs — and refuse the same ones — do the same thing,
// whatever their names. Two tools with the same name are versions, not duplicates.
import fc from "fast-check";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { CallVerdict } from "../sandbox/verdict.ts";
import { arbitraryOfArgs } from "../verify/inputs/arbitrary.ts";
import { paramsFromSchema, SchemaValidator } from "../verify/inputs/schema.ts";
import { fromWire, sameValue, shown } from "./gate-values.ts";
import { namedArgs } from "./gate.ts";
import { ToolboxSession, type LoadedTool } from "./invoke-session.ts";
import { signatureOf } from "./search-signature.ts";
import type { JsonSchema, ToolSpec } from "./tool.ts";

/** A tool (with what it needs loaded) that takes part in a comparison. */
export interface Contender {
  readonly spec: ToolSpec;
  readonly hash: string;
  /** The tool and every tool it calls, as a session loads them. */
  readonly closure: readonly LoadedTool[];
}

export interface DuplicateReport {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
  /** Inputs both tools were run on. */
  readonly compared: number;
  /** Inputs both answered (with equal outputs). */
  readonly answered: number;
  readonly seed: number;
}

export interface DuplicateOptions {
  /** Generated inputs (default 40), on top of both tools' examples and tests. */
  readonly inputs?: number;
  /** Inputs both must answer for a verdict of "duplicate" (default 5): agreeing only on refusals proves little. */
  readonly minAnswered?: number;
  readonly seed?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Same parameter and return types, as the library's signature search sees them. */
export function sameSignature(a: { inputSchema: JsonSchema; outputSchema: JsonSchema }, b: { inputSchema: JsonSchema; outputSchema: JsonSchema }): boolean {
  const x = signatureOf(a.inputSchema, a.outputSchema);
  const y = signatureOf(b.inputSchema, b.outputSchema);
  return x.params === y.params && x.returns === y.returns;
}

const validator = new SchemaValidator();

type Answer = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

function answerOf(v: CallVerdict): Answer | "broken" {
  if (v.status === "ok") return { ok: true, value: v.value };
  return v.status === "error" || v.status === "timeout" ? { ok: false } : "broken";
}

async function answers(sandbox: Sandbox, tool: Contender, inputs: readonly unknown[][], options: DuplicateOptions): Promise<(Answer | "broken")[]> {
  const session = await ToolboxSession.open(sandbox, tool.spec.language, tool.closure, options.signal ? { signal: options.signal } : {});
  try {
    const verdicts = await session.callMany(tool.hash, inputs, { timeoutMs: options.timeoutMs ?? 2_000, ...(options.signal ? { signal: options.signal } : {}) });
    return verdicts.map(answerOf);
  } finally {
    await session.close();
  }
}

/**
 * Compares `tool` with each candidate of the same signature (other names only) on shared inputs:
 * generated from `tool`'s input schema (kept only when the candidate's schema accepts them too)
 * plus both tools' example and test inputs. Reports the candidates that agree on every input.
 */
export async function findDuplicates(sandbox: Sandbox, tool: Contender, candidates: readonly Contender[], options: DuplicateOptions = {}): Promise<DuplicateReport[]> {
  const rivals = candidates.filter((c) => c.spec.name !== tool.spec.name && c.hash !== tool.hash && sameSignature(tool.spec, c.spec));
  if (rivals.length === 0) return [];
  const seed = options.seed ?? (parseInt(tool.hash.slice(0, 8), 16) & 0x7fffffff);
  const params = paramsFromSchema(tool.spec.inputSchema);
  let generated: unknown[][] = [];
  try {
    generated = fc.sample(arbitraryOfArgs(params, { maxLength: 8 }), { numRuns: options.inputs ?? 40, seed });
  } catch {
    // Nothing can be generated from this schema: the examples and tests still compare.
  }
  const known = (s: ToolSpec) => [...s.examples.map((e) => e.args.map(fromWire)), ...s.tests.map((t) => t.args.map(fromWire))];
  const mine = await answersFor(sandbox, tool, [...generated, ...known(tool.spec), ...rivals.flatMap((r) => known(r.spec))], options);
  const out: DuplicateReport[] = [];
  for (const rival of rivals) {
    const rivalParams = paramsFromSchema(rival.spec.inputSchema);
    const inputs = [...mine.keys()].filter((args) => validator.check(rival.spec.inputSchema, namedArgs(rivalParams, args)) === null);
    if (inputs.length === 0) continue;
    const theirs = await answers(sandbox, rival, inputs, options);
    let answered = 0;
    const agree = inputs.every((args, i) => {
      const a = mine.get(args)!;
      const b = theirs[i]!;
      if (a === "broken" || b === "broken" || a.ok !== b.ok) return false;
      if (!a.ok || !b.ok) return true;
      answered++;
      return sameValue(a.value, b.value);
    });
    if (agree && answered >= (options.minAnswered ?? 5)) {
      out.push({ name: rival.spec.name, version: rival.spec.version, hash: rival.hash, compared: inputs.length, answered, seed });
    }
  }
  return out;
}

/** The tool's answers, keyed by the input (inputs that repeat in text are run once). */
async function answersFor(sandbox: Sandbox, tool: Contender, inputs: readonly unknown[][], options: DuplicateOptions): Promise<Map<unknown[], Answer | "broken">> {
  const seen = new Set<string>();
  const params = paramsFromSchema(tool.spec.inputSchema);
  const unique = inputs.filter((args) => {
    const key = shown(args, 100_000);
    if (seen.has(key) || validator.check(tool.spec.inputSchema, namedArgs(params, args)) !== null) return false;
    seen.add(key);
    return true;
  });
  const result = await answers(sandbox, tool, unique, options);
  return new Map(unique.map((args, i) => [args, result[i]!]));
}
