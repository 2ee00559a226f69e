// Inputs Crucible generates for ranking: more argument lists shaped like the seed inputs taken from
// generated tests, so candidates that agree on the tests' few inputs can still be told apart.
import fc from "fast-check";
import { encode, Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import { arbitraryFromSchema } from "../inputs/arbitrary.ts";
import { schemaFromExamples } from "../inputs/examples.ts";
import type { JsonSchema } from "../inputs/schema.ts";

export interface GenerateOptions {
  /** How many argument lists to generate (default 20). */
  readonly count?: number;
  /** fast-check seed, so a ranking is reproducible (default 0). */
  readonly seed?: number;
  /** Longest list, string, set or dict generated (default 8). */
  readonly maxLength?: number;
}

/** Bound for generated ints whose seeds give none: the seeds' range widened to [-10, 10], capped at ±1000. */
const INT_CAP = 1000;

/**
 * Argument lists like `seeds` (wire form, as `extractTests` returns them): per-parameter schemas
 * inferred from the seeds (`schemaFromExamples`, using the seeds of the most common arity), ints
 * and floats bounded by the seeds' range (widened to [-10, 10], capped at ±1000: unbounded ints
 * make naive candidates spin, which costs time and tells nothing), collections at most
 * `maxLength` long. Lists equal to a seed or to each other are dropped, so fewer than `count` may
 * come back; none come back without seeds or when no value can be generated for their shape.
 */
export function generateInputs(seeds: readonly Encoded[], options: GenerateOptions = {}): unknown[][] {
  const arity = modalArity(seeds);
  if (arity === null) return [];
  const shaped = seeds.filter((s) => Array.isArray(s.wire) && s.wire.length === arity);
  const numbers = collectNumbers(shaped.map((s) => s.wire));
  const lo = Math.max(-INT_CAP, Math.min(-10, ...numbers));
  const hi = Math.min(INT_CAP, Math.max(10, ...numbers));
  let arbitrary: fc.Arbitrary<unknown[]>;
  try {
    const schemas = schemaFromExamples(shaped.map((s) => (s.wire as Wire[]).map((w) => new Encoded(w)))).map((s) => bounded(s, lo, hi));
    arbitrary = fc.tuple(...schemas.map((s) => arbitraryFromSchema(s, { maxLength: options.maxLength ?? 8 })));
  } catch {
    return []; // a shape no value can be generated for: rank on the seeds alone
  }
  const count = options.count ?? 20;
  const seen = new Set(shaped.map((s) => JSON.stringify(s.wire)));
  const out: unknown[][] = [];
  for (const args of fc.sample(arbitrary, { numRuns: count * 2, seed: options.seed ?? 0 })) {
    const key = JSON.stringify(encode(args));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(args);
    if (out.length >= count) break;
  }
  return out;
}

function modalArity(seeds: readonly Encoded[]): number | null {
  const counts = new Map<number, number>();
  for (const s of seeds) if (Array.isArray(s.wire)) counts.set(s.wire.length, (counts.get(s.wire.length) ?? 0) + 1);
  let best: number | null = null;
  for (const [arity, n] of counts) if (best === null || n > counts.get(best)!) best = arity;
  return best;
}

function collectNumbers(wire: Wire, out: number[] = []): number[] {
  if (typeof wire === "number" && Number.isFinite(wire)) out.push(wire);
  else if (Array.isArray(wire)) for (const w of wire) collectNumbers(w, out);
  else if (wire && typeof wire === "object") for (const w of Object.values(wire)) collectNumbers(w, out);
  return out;
}

/** The schema with every unbounded int and float given `[lo, hi]`. */
function bounded(schema: JsonSchema, lo: number, hi: number): JsonSchema {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v);
    if ((out["type"] === "integer" || out["type"] === "number") && out["minimum"] === undefined && out["maximum"] === undefined) {
      out["minimum"] = Math.floor(lo);
      out["maximum"] = Math.ceil(hi);
    }
    return out;
  };
  return walk(schema) as JsonSchema;
}
