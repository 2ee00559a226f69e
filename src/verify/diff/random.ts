import fc from "fast-check";
import { decode, encode, FrozenSet, Tuple, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { arbitraryFromSchema, arbitraryOfArgs, argsSchemaOf, PyFloat, schemaFromExamples, type JsonSchema, type ParamSchema } from "../inputs/index.ts";
import type { InputGenerator } from "./types.ts";

/** Longest generated list or string: small inputs reach most behaviours and keep calls fast. */
const MAX_LENGTH = 8;

/**
 * A host value for a wire value that keeps an integral float a float (`PyFloat`), so types
 * inferred from it are Python's.
 */
export function hostValue(w: Wire): unknown {
  if (w === null || typeof w !== "object") return w;
  if (Array.isArray(w)) return w.map(hostValue);
  if (!Object.hasOwn(w, "$t")) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(w)) Object.defineProperty(out, k, { value: hostValue(v), enumerable: true });
    return out;
  }
  const v = w["v"];
  switch (w["$t"]) {
    case "float":
      return typeof v === "string" && /^-?\d+\.0$/u.test(v) ? new PyFloat(Number(v)) : decode(w);
    case "tuple":
      return new Tuple(Array.isArray(v) ? v.map(hostValue) : []);
    case "set":
      return new Set(Array.isArray(v) ? v.map(hostValue) : []);
    case "frozenset":
      return new FrozenSet(Array.isArray(v) ? v.map(hostValue) : []);
    default:
      return decode(w);
  }
}

/** True when a schema pins down every type inside it (no `{}` standing for "anything"). */
function specific(schema: unknown): boolean {
  if (schema === true) return false;
  if (schema === null || typeof schema !== "object") return true;
  if (Array.isArray(schema)) return schema.every(specific);
  const s = schema as JsonSchema;
  if (Object.keys(s).length === 0 || typeof s["x-unsupported"] === "string") return false;
  return Object.entries(s).every(([k, v]) => k === "enum" || k === "const" || specific(v));
}

function generates(schema: JsonSchema): boolean {
  try {
    arbitraryFromSchema(schema);
    return true;
  } catch {
    return false;
  }
}

/**
 * The parameters' types for a Python function: its type hints where they say everything, else
 * the types of the example arguments given (their values are not kept: `schemaFromExamples` copies
 * no bounds or lengths), else whatever the hints say. Resolves to null when nothing is known.
 */
export async function parameterTypes(
  sandbox: Sandbox,
  program: { code: string; entryPoint: string },
  typeExamples: readonly (readonly Wire[])[],
  signal?: AbortSignal,
): Promise<JsonSchema[] | null> {
  let hinted: readonly ParamSchema[] = [];
  try {
    hinted = (await argsSchemaOf(sandbox, program.code, program.entryPoint, signal)).params.filter((p) => !p.optional);
  } catch {
    // No readable hints (a class, a load failure): the examples may still say enough.
  }
  const inferred = typeExamples.length > 0 ? schemaFromExamples(typeExamples.map((args) => args.map(hostValue))) : [];
  const width = hinted.length > 0 ? hinted.length : inferred.length;
  if (width === 0) return null;
  const out: JsonSchema[] = [];
  for (let i = 0; i < width; i++) {
    const hint = hinted[i]?.schema;
    const guess = inferred[i];
    if (hint && specific(hint) && generates(hint)) out.push(hint);
    else if (guess && Object.keys(guess).length > 0 && generates(guess)) out.push(guess);
    else if (hint && generates(hint)) out.push(hint);
    else out.push({});
  }
  return out;
}

/**
 * Random argument lists of the given types (fast-check, `arbitraryFromSchema`), in wire form.
 * Deterministic in the seed it is called with.
 */
export function randomInputs(schemas: readonly JsonSchema[]): InputGenerator {
  const params = (small: boolean) => schemas.map((schema, i) => ({ name: `p${i}`, schema: small ? smallNumbers(schema) : schema, optional: false }));
  // Mostly small numbers: a loop up to n or a list of n items hangs both programs when n is 10^9.
  const arbitrary = fc.oneof(
    { weight: 9, arbitrary: arbitraryOfArgs(params(true), { maxLength: MAX_LENGTH }) },
    { weight: 1, arbitrary: arbitraryOfArgs(params(false), { maxLength: MAX_LENGTH }) },
  );
  return (seed, count) => fc.sample(arbitrary, { seed, numRuns: count }).map((args) => args.map((v) => encode(v)));
}

/** The schema with every unbounded number bounded to a small range (ints -10..50, floats -10..10). */
function smallNumbers(schema: unknown): JsonSchema {
  const walk = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(walk);
    if (s === null || typeof s !== "object") return s;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) Object.defineProperty(out, k, { value: k === "enum" || k === "const" ? v : walk(v), enumerable: true });
    const type = out["type"];
    const numeric = type === "integer" || type === "number";
    if (numeric && out["minimum"] === undefined && out["exclusiveMinimum"] === undefined) out["minimum"] = -10;
    const max = type === "integer" ? 50 : 10;
    const min = out["minimum"] ?? out["exclusiveMinimum"];
    if (numeric && out["maximum"] === undefined && out["exclusiveMaximum"] === undefined && !(typeof min === "number" && min >= max)) out["maximum"] = max;
    return out;
  };
  return walk(schema) as JsonSchema;
}
