// Synthetic but realistic library tools, deterministic from an index: names, descriptions and
// docstrings drawn from word lists, signatures from the shapes real tools have. Shared by the
// search benchmark and the library-store tests (and their child processes).
import type { ToolSpec, VerificationRecord } from "../src/library/tool.ts";

const VERBS = ["sort", "filter", "count", "merge", "parse", "format", "split", "join", "reverse", "flatten", "group", "rank", "score", "normalize", "validate", "encode", "decode", "compress", "search", "find", "sum", "average", "rotate", "transpose", "dedupe", "chunk", "pad", "trim", "convert", "compare"];
const OBJECTS = ["list", "string", "matrix", "dates", "words", "numbers", "intervals", "graph", "tree", "records", "tokens", "primes", "digits", "vowels", "brackets", "emails", "paths", "timestamps", "coordinates", "polynomial", "fractions", "scores", "anagrams", "palindromes", "sequence", "pairs", "histogram", "bits", "roman_numerals", "temperatures"];
const MODIFIERS = ["by_key", "in_place", "stable", "unique", "recursive", "fast", "safe", "weighted", "sorted", "nested", "case_insensitive", "greedy", "windowed", "cached", "strict"];
const ADJECTIVES = ["ascending", "descending", "consecutive", "overlapping", "distinct", "even", "odd", "prime", "negative", "empty", "largest", "smallest", "longest", "shortest", "balanced"];

interface Shape {
  readonly params: readonly { readonly name: string; readonly py: string; readonly schema: Record<string, unknown> }[];
  readonly ret: { readonly py: string; readonly schema: Record<string, unknown> };
}
const INT = { type: "integer" };
const STR = { type: "string" };
const FLOAT = { type: "number" };
const list = (items: object) => ({ type: "array", items });
const SHAPES: readonly Shape[] = [
  { params: [{ name: "xs", py: "list[int]", schema: list(INT) }], ret: { py: "int", schema: INT } },
  { params: [{ name: "xs", py: "list[int]", schema: list(INT) }], ret: { py: "list[int]", schema: list(INT) } },
  { params: [{ name: "s", py: "str", schema: STR }], ret: { py: "str", schema: STR } },
  { params: [{ name: "s", py: "str", schema: STR }], ret: { py: "bool", schema: { type: "boolean" } } },
  { params: [{ name: "s", py: "str", schema: STR }], ret: { py: "list[str]", schema: list(STR) } },
  { params: [{ name: "xs", py: "list[float]", schema: list(FLOAT) }], ret: { py: "float", schema: FLOAT } },
  { params: [{ name: "xs", py: "list[int]", schema: list(INT) }, { name: "k", py: "int", schema: INT }], ret: { py: "list[int]", schema: list(INT) } },
  { params: [{ name: "words", py: "list[str]", schema: list(STR) }], ret: { py: "dict[str, int]", schema: { type: "object", additionalProperties: INT } } },
  { params: [{ name: "n", py: "int", schema: INT }], ret: { py: "bool", schema: { type: "boolean" } } },
  { params: [{ name: "m", py: "list[list[int]]", schema: list(list(INT)) }], ret: { py: "list[list[int]]", schema: list(list(INT)) } },
];

/** Small deterministic PRNG (mulberry32) so every run builds the same library. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th synthetic tool: unique name, a one-sentence description, a docstring, a task. */
export function syntheticSpec(i: number): ToolSpec {
  const r = rng(i + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const verb = pick(VERBS);
  const object = pick(OBJECTS);
  const modifier = pick(MODIFIERS);
  const adjective = pick(ADJECTIVES);
  const shape = SHAPES[i % SHAPES.length]!;
  const name = `${verb}_${object}_${modifier}_${i}`;
  const params = shape.params.map((p) => `${p.name}: ${p.py}`).join(", ");
  const description = `${verb[0]!.toUpperCase()}${verb.slice(1)} the ${adjective} ${object.replace(/_/gu, " ")} (${modifier.replace(/_/gu, " ")}) and return the result.`;
  const doc = `Given ${shape.params.map((p) => p.name).join(" and ")}, ${verb} the ${object.replace(/_/gu, " ")} ${adjective} first; ${pick(ADJECTIVES)} ${pick(OBJECTS).replace(/_/gu, " ")} are kept.`;
  return {
    name,
    version: `1.${i % 3}.0`,
    language: i % 5 === 0 ? "typescript" : "python",
    source: `def ${name}(${params}) -> ${shape.ret.py}:\n    """${doc}"""\n    raise NotImplementedError\n`,
    entryPoint: name,
    description,
    inputSchema: { type: "object", properties: Object.fromEntries(shape.params.map((p) => [p.name, p.schema])), required: shape.params.map((p) => p.name) },
    outputSchema: shape.ret.schema,
    examples: [],
    tests: [{ name: "t1", args: shape.params.map(() => null), expected: null }],
    properties: [],
    dependencies: [],
    provenance: { task: `Synthetic/${i}: ${verb} ${object.replace(/_/gu, " ")}`, model: "synthetic" },
  };
}

/** A small hand-written tool for tests: `name@version` summing a list, with overrides. */
export function sampleSpec(name: string, version = "1.0.0", overrides: Partial<ToolSpec> = {}): ToolSpec {
  return {
    name,
    version,
    language: "python",
    source: `def ${name.replace(/[^A-Za-z0-9_]/gu, "_")}(xs: list[int]) -> int:\n    """Add up every number in the list."""\n    return sum(xs)\n`,
    entryPoint: name.replace(/[^A-Za-z0-9_]/gu, "_"),
    description: "Sum of a list of integers.",
    inputSchema: { type: "object", properties: { xs: { type: "array", items: { type: "integer" } } }, required: ["xs"] },
    outputSchema: { type: "integer" },
    examples: [{ args: [[1, 2, 3]], output: 6 }],
    tests: [{ name: "empty", args: [[]], expected: 0 }],
    properties: [],
    dependencies: [],
    provenance: {},
    ...overrides,
  };
}

/** A verification record with the given status. */
export function sampleRecord(status: "verified" | "flagged" = "verified", checkedAt = "2026-01-01T00:00:00.000Z"): VerificationRecord {
  return {
    status,
    checkedAt,
    checks: [{ kind: "test", name: "empty", status: status === "verified" ? "passed" : "failed" }],
    seed: 42,
    runtime: { python: "3.11.2", crucible: "0.1.0" },
    sandboxPolicy: { wallTimeMs: 10_000 },
    ...(status === "flagged" ? { reason: "a test failed" } : {}),
  };
}
