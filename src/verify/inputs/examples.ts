// Per-parameter JSON Schemas inferred from example argument lists, for functions without type hints.
import { Encoded, FrozenSet, Tuple } from "../../sandbox/guest/codec.mjs";
import type { JsonSchema } from "./schema.ts";
import { fromWire, PyFloat } from "./values.ts";

/**
 * One schema per parameter position, the narrowest that admits every example there: the Python
 * type seen (int, float, str, bool, None, bytes, list, tuple, set, frozenset, dict), element types
 * merged across all elements and all examples, a tuple of fixed length typed position by
 * position, dicts with the same keys as records (keys missing from some examples optional),
 * other dicts as `dict[str, V]`, several types as `anyOf`. Bounds and lengths are not copied from
 * the examples, so generation explores beyond them. Accepts host values (`Tuple`, `Set`, bigint,
 * `PyFloat`…) and wire values wrapped in `Encoded` (decoded with `fromWire`, so `{"$t": "float", "v": "2.0"}`
 * counts as a float). Positions that only some examples
 * have (shorter lists) still get a schema; an empty `argsList` gives `[]`.
 */
export function schemaFromExamples(argsList: readonly (readonly unknown[])[]): JsonSchema[] {
  const width = Math.max(0, ...argsList.map((a) => a.length));
  const out: JsonSchema[] = [];
  for (let i = 0; i < width; i++) out.push(infer(argsList.filter((a) => i < a.length).map((a) => a[i])));
  return out;
}

type Kind = "null" | "boolean" | "int" | "float" | "string" | "bytes" | "list" | "tuple" | "set" | "frozenset" | "dict" | "map" | "other";

function normalize(value: unknown): unknown {
  return value instanceof Encoded && !(value instanceof PyFloat) ? fromWire(value.wire) : value;
}

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return Number.isInteger(v) && !Object.is(v, -0) ? "int" : "float";
  if (v instanceof PyFloat) return "float";
  if (typeof v === "string") return "string";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "list";
  if (v instanceof Tuple) return "tuple";
  if (v instanceof FrozenSet) return "frozenset";
  if (v instanceof Set) return "set";
  if (v instanceof Map) return "map";
  if (typeof v === "object") return "dict";
  return "other";
}

function infer(values: readonly unknown[]): JsonSchema {
  const byKind = new Map<Kind, unknown[]>();
  for (const raw of values) {
    const v = normalize(raw);
    const k = kindOf(v);
    byKind.set(k, [...(byKind.get(k) ?? []), v]);
  }
  // An int where floats are also seen is a float parameter given a whole number.
  if (byKind.has("int") && byKind.has("float")) {
    byKind.set("float", [...byKind.get("float")!, ...byKind.get("int")!]);
    byKind.delete("int");
  }
  const branches = [...byKind].map(([kind, vs]) => ofKind(kind, vs));
  if (branches.length === 0) return {};
  return branches.length === 1 ? branches[0]! : { anyOf: branches };
}

function ofKind(kind: Kind, vs: readonly unknown[]): JsonSchema {
  switch (kind) {
    case "null":
      return { type: "null" };
    case "boolean":
      return { type: "boolean" };
    case "int":
      return { type: "integer", "x-python": "int" };
    case "float":
      return { type: "number", "x-python": "float" };
    case "string":
      return { type: "string" };
    case "bytes":
      return { type: "string", "x-python": "bytes", contentEncoding: "base64" };
    case "list":
      return { type: "array", items: infer((vs as unknown[][]).flat()) };
    case "set":
    case "frozenset":
      return { type: "array", uniqueItems: true, "x-python": kind, items: infer((vs as Set<unknown>[]).flatMap((s) => [...s])) };
    case "tuple": {
      const tuples = vs as Tuple[];
      const n = tuples[0]!.items.length;
      if (tuples.every((t) => t.items.length === n)) {
        return { type: "array", "x-python": "tuple", prefixItems: Array.from({ length: n }, (_, i) => infer(tuples.map((t) => t.items[i]))), items: false, minItems: n, maxItems: n };
      }
      return { type: "array", "x-python": "tuple", items: infer(tuples.flatMap((t) => [...t.items])) };
    }
    case "map": {
      const maps = vs as Map<unknown, unknown>[];
      return {
        type: "object",
        "x-python": "dict",
        "x-python-keys": infer(maps.flatMap((m) => [...m.keys()])),
        additionalProperties: infer(maps.flatMap((m) => [...m.values()])),
      };
    }
    case "dict":
      return dicts(vs as Record<string, unknown>[]);
    case "other":
      return {};
  }
}

function dicts(objs: readonly Record<string, unknown>[]): JsonSchema {
  const keySets = objs.map((o) => Object.keys(o));
  const all = [...new Set(keySets.flat())];
  // Records have few, name-like keys that recur; anything else is a mapping from str.
  const recordLike = all.length > 0 && all.length <= 12 && all.every((k) => /^[A-Za-z_][A-Za-z0-9_]*$/u.test(k)) && objs.length > 1 && keySets.every((ks) => ks.length > 0);
  if (!recordLike) return { type: "object", additionalProperties: infer(objs.flatMap((o) => Object.values(o))) };
  const properties: Record<string, JsonSchema> = {};
  for (const k of all) Object.defineProperty(properties, k, { value: infer(objs.filter((o) => Object.hasOwn(o, k)).map((o) => o[k])), enumerable: true });
  return { type: "object", properties, required: all.filter((k) => objs.every((o) => Object.hasOwn(o, k))), additionalProperties: false };
}
