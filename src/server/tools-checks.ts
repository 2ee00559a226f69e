import { z } from "zod";
import { encode, Encoded, type Wire } from "../sandbox/guest/codec.mjs";
import { LANGUAGES, type Language, type Sandbox } from "../sandbox/sandbox.ts";
import { findDifference } from "../verify/diff/search.ts";
import { parameterTypes, randomInputs } from "../verify/diff/random.ts";
import { measureProgram } from "../verify/efficiency/measure.ts";
import { paramsFromSchema } from "../verify/inputs/schema.ts";
import { checkProperty } from "../verify/properties/check.ts";
import { traceCall } from "../verify/trace/trace.ts";
import { zodTool, type ToolEntry } from "./registry.ts";
import { escapeDeep } from "./text.ts";

export interface CheckToolsDeps {
  readonly sandbox: Sandbox;
  readonly maxOutputChars: number;
}

/** Report fields that hold values in wire form: data to feed back, kept exact (not escaped). */
const WIRE_KEYS = new Set(["args", "input", "output", "expected", "value"]);

const Language = z.enum(LANGUAGES as [Language, ...Language[]]);
const Code = z.string().describe("the whole program");
const EntryPoint = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,254}$/u).describe("the function to call");
const WireArgs = z.array(z.unknown()).max(1000).describe('arguments as JSON (tagged JSON for tuples, sets, bytes, big ints: {"$t": "tuple", "v": [1, 2]})');
const ParamsSchema = z
  .record(z.string(), z.unknown())
  .describe('a JSON Schema object whose properties are the parameters, in order ({"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "integer"}}}}); Python type hints are read when it is absent');

/** A report as a result carries it: strings escaped and capped, wire values exact, `status` first. */
const Report = z.strictObject({ report: z.looseObject({ status: z.string() }) });

/** check_properties, find_difference, trace and measure: thin adapters over verify/, reports as data. */
export function checkTools(deps: CheckToolsDeps): ToolEntry<unknown>[] {
  const { sandbox, maxOutputChars } = deps;
  const report = (r: object) => ({ report: escapeDeep(r, maxOutputChars, WIRE_KEYS) as { status: string } });
  const maxMs = sandbox.limits.wallTimeMs;

  const properties = zodTool({
    name: "check_properties",
    title: "Check a property on generated inputs",
    description:
      "Property-based testing: generates inputs from the parameters' types (a JSON Schema, or the Python type hints), calls the function on each, and judges every result with a Python predicate `prop(*args, result)` (or by equality with a reference implementation). Returns passed, or failed with the shrunk counterexample, its seed and a replay path.",
    input: z
      .strictObject({
        code: Code,
        entryPoint: EntryPoint,
        language: Language.optional().describe("the candidate's language (default python)"),
        property: z.string().optional().describe("Python code defining prop(*args, result) (and optionally pre(*args) to discard inputs)"),
        reference: z.string().optional().describe("a reference implementation (same language, same entry point) to compare with instead"),
        params: ParamsSchema.optional(),
        numRuns: z.number().int().min(1).max(1000).optional(),
        seed: z.number().int().optional(),
        path: z.string().max(10_000).optional().describe("a failed report's path: with its seed, replays the counterexample"),
        timeoutMs: z.number().int().min(1).max(maxMs).optional().describe("per call, ms"),
        atol: z.number().min(0).max(1).optional(),
      })
      .refine((a) => (a.property === undefined) !== (a.reference === undefined), { message: "give exactly one of property or reference" }),
    output: Report,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args, { signal }) {
      return report(
        await checkProperty(sandbox, {
          code: args.code,
          entryPoint: args.entryPoint,
          ...(args.language === undefined ? {} : { language: args.language }),
          ...(args.property === undefined ? {} : { property: { code: args.property } }),
          ...(args.reference === undefined ? {} : { reference: { code: args.reference } }),
          ...(args.params === undefined ? {} : { params: paramsFromSchema(args.params) }),
          ...(args.numRuns === undefined ? {} : { numRuns: args.numRuns }),
          ...(args.seed === undefined ? {} : { seed: args.seed }),
          ...(args.path === undefined ? {} : { path: args.path }),
          ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
          ...(args.atol === undefined ? {} : { atol: args.atol }),
          signal,
        }),
      );
    },
  });

  const Program = z.strictObject({ code: Code, entryPoint: EntryPoint, language: Language });
  const difference = zodTool({
    name: "find_difference",
    title: "Find an input on which two programs differ",
    description:
      "Differential testing: searches for an input on which two implementations (Python, JavaScript or TypeScript, also across languages) return different results, starting from seed inputs and the parameters' types, by boundary values, random generation and mutation guided by the values each version reaches. Returns found (the confirmed input and both outcomes) or not_found within the time budget.",
    input: z.strictObject({
      a: Program,
      b: Program,
      seeds: z.array(WireArgs).max(1000).optional().describe("argument lists to start from"),
      params: ParamsSchema.optional(),
      budgetMs: z.number().int().min(100).max(Math.max(100, 6 * maxMs)).optional().describe("time for the whole search, ms (default 10000)"),
      seed: z.number().int().optional(),
      atol: z.number().min(0).max(1).optional(),
    }),
    output: Report,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args, { signal }) {
      const seeds = (args.seeds ?? []) as Wire[][];
      const types = args.params !== undefined ? paramsFromSchema(args.params).map((p) => p.schema) : await parameterTypes(sandbox, args.a, seeds, signal);
      return report(
        await findDifference(
          sandbox,
          {
            a: args.a,
            b: args.b,
            seeds,
            ...(types ? { random: randomInputs(types) } : {}),
            ...(args.budgetMs === undefined ? {} : { budgetMs: args.budgetMs }),
            ...(args.seed === undefined ? {} : { seed: args.seed }),
            ...(args.atol === undefined ? {} : { atol: args.atol }),
          },
          { signal },
        ),
      );
    },
  });

  const trace = zodTool({
    name: "trace",
    title: "Trace a Python call",
    description:
      "Runs one call of a Python function under a line tracer in the sandbox and returns the executed path as basic blocks, with the local variables after each block (values as bounded reprs), the calls made, and the step count. For debugging: where does the state first go wrong?",
    input: z.strictObject({
      code: Code,
      entryPoint: EntryPoint,
      args: WireArgs.optional(),
      kwargs: z.record(z.string(), z.unknown()).optional(),
      maxBlocks: z.number().int().min(2).max(2000).optional().describe("block instances kept (first and last halves of the path)"),
      maxSteps: z.number().int().min(1).max(10_000_000).optional(),
    }),
    output: Report,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args, { signal }) {
      const r = await traceCall(sandbox, {
        code: args.code,
        entryPoint: args.entryPoint,
        args: (args.args ?? []).map((a) => new Encoded(a as Wire)),
        ...(args.kwargs === undefined ? {} : { kwargs: Object.fromEntries(Object.entries(args.kwargs).map(([k, v]) => [k, new Encoded(v as Wire)])) }),
        limits: { ...(args.maxBlocks === undefined ? {} : { maxBlocks: args.maxBlocks }), ...(args.maxSteps === undefined ? {} : { maxSteps: args.maxSteps }), timeLimitMs: maxMs },
        signal,
      });
      // The source is the caller's own; the value is decoded by the tracer: send it back in wire form.
      const { source: _source, value, ...rest } = r;
      return report({ ...rest, ...(value === undefined ? {} : { value: encode(value) }) });
    },
  });

  const measure = zodTool({
    name: "measure",
    title: "Measure a Python function's speed",
    description:
      "Times a Python function on inputs with repeated runs (Hodges-Lehmann estimate of CPU or wall time per input) and optionally counts bytecode instructions; with a reference implementation, checks the outputs agree and scores efficiency as ENAMEL does (1 = as fast as the reference, 0 = slower than twice it, or wrong).",
    input: z.strictObject({
      code: Code,
      entryPoint: EntryPoint,
      inputs: z.array(WireArgs).min(1).max(100),
      reference: z.string().optional().describe("a reference program with the same entry point"),
      reps: z.number().int().min(1).max(50).optional(),
      clock: z.enum(["cpu", "wall"]).optional(),
      limitMs: z.number().int().min(1).max(maxMs).optional().describe("limit per repetition, ms"),
      instructions: z.boolean().optional().describe("also count bytecode instructions (slow: tracing)"),
    }),
    output: Report,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args, { signal }) {
      const r = await measureProgram(
        sandbox,
        {
          code: args.code,
          entryPoint: args.entryPoint,
          inputs: args.inputs as Wire[][],
          ...(args.reference === undefined ? {} : { reference: args.reference }),
          ...(args.reps === undefined ? {} : { reps: args.reps }),
          ...(args.clock === undefined ? {} : { clock: args.clock }),
          limitMs: args.limitMs ?? Math.min(maxMs, 5000),
          ...(args.instructions === undefined ? {} : { instructions: args.instructions }),
        },
        { signal },
      );
      // `ok`: every input ran all its repetitions without error, timeout or cap.
      return report({ status: r.program.ok ? "ok" : "incomplete", ...r });
    },
  });

  return [properties, difference, trace, measure];
}
