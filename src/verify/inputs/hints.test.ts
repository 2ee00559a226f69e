import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encode, Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import { createSandbox, type Sandbox } from "../../sandbox/index.ts";
import { isCrucibleError } from "../../errors.ts";
import { arbitraryOfArgs } from "./arbitrary.ts";
import { schemaFromExamples } from "./examples.ts";
import { argsSchemaOf, classSchemaOf } from "./hints.ts";
import { SchemaValidator } from "./schema.ts";
import { PyFloat } from "./values.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

const TYPED = `
from __future__ import annotations
from typing import Optional, Literal, TypedDict, NewType, Sequence

UserId = NewType("UserId", int)

class Point(TypedDict):
    x: float
    y: float

Grid = list[list[int]]

def f(a: int, b: float, c: Sequence[int], d: tuple[int, str], e: tuple[float, ...], g: set[int],
      h: frozenset[str], i: dict[str, float], j: dict[int, list[float]], k: Optional[bytes],
      l: Literal["a", "b"], m: UserId, n: Point, grid: Grid, o: bool = False, *args, p: int = 3, **kw) -> list[tuple[int, float]]:
    return []
`;

/** Checks, in Python, that a value has exactly the Python types its schema says. */
const CONFORM = `
def conform(schema, v):
    def ok(s, v):
        if "anyOf" in s:
            return any(ok(b, v) for b in s["anyOf"])
        if "enum" in s:
            return v in s["enum"]
        t, kind = s.get("type"), s.get("x-python")
        if t is None:
            return True
        if t == "null":
            return v is None
        if t == "boolean":
            return type(v) is bool
        if t == "integer":
            return type(v) is int
        if t == "number":
            return type(v) is float if kind == "float" else type(v) in (int, float)
        if t == "string":
            return type(v) is (bytes if kind == "bytes" else str)
        if t == "array":
            cls = {"tuple": tuple, "set": set, "frozenset": frozenset}.get(kind, list)
            if type(v) is not cls:
                return False
            items = list(v)
            prefix = s.get("prefixItems", [])
            rest = s.get("items", {})
            return all(ok(prefix[i] if i < len(prefix) else rest, x) for i, x in enumerate(items))
        if t == "object":
            if type(v) is not dict:
                return False
            props = s.get("properties", {})
            extra = s.get("additionalProperties", {})
            keys = s.get("x-python-keys", {"type": "string"})
            return all(ok(props[k], x) if k in props else (extra is not False and ok(keys, k) and ok(extra, x)) for k, x in v.items())
        return False
    return ok(schema, v)

def conform_all(schemas, args):
    return [conform(s, a) for s, a in zip(schemas, args)]

def echo(*args):
    return args
`;

/** Wire with set elements in a fixed order (Python sorts them, JavaScript keeps insertion order). */
function canonical(w: Wire): unknown {
  if (Array.isArray(w)) return w.map(canonical);
  if (w !== null && typeof w === "object") {
    // An empty Map goes as a tagged dict of no pairs and comes back as {}: both are an empty dict.
    if (w["$t"] === "dict" && Array.isArray(w["v"]) && w["v"].length === 0) return {};
    if ((w["$t"] === "set" || w["$t"] === "frozenset") && Array.isArray(w["v"])) {
      return { $t: w["$t"], v: w["v"].map(canonical).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };
    }
    return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, canonical(v)]));
  }
  return w;
}

describe("argsSchemaOf", () => {
  it("should map Python type hints to JSON Schemas", async () => {
    const sig = await argsSchemaOf(sandbox, TYPED, "f");
    const by = Object.fromEntries(sig.params.map((p) => [p.name, p.schema]));
    expect(sig.params.map((p) => p.name)).toEqual(["a", "b", "c", "d", "e", "g", "h", "i", "j", "k", "l", "m", "n", "grid", "o"]);
    expect(sig.params.find((p) => p.name === "o")?.optional).toBe(true);
    expect(by["a"]).toEqual({ type: "integer", "x-python": "int" });
    expect(by["b"]).toEqual({ type: "number", "x-python": "float" });
    expect(by["c"]).toEqual({ type: "array", items: { type: "integer", "x-python": "int" } });
    expect(by["d"]).toMatchObject({ "x-python": "tuple", prefixItems: [{ type: "integer" }, { type: "string" }], items: false, minItems: 2 });
    expect(by["e"]).toMatchObject({ "x-python": "tuple", items: { type: "number", "x-python": "float" } });
    expect(by["g"]).toMatchObject({ "x-python": "set", uniqueItems: true });
    expect(by["h"]).toMatchObject({ "x-python": "frozenset" });
    expect(by["i"]).toEqual({ type: "object", additionalProperties: { type: "number", "x-python": "float" } });
    expect(by["j"]).toMatchObject({ "x-python": "dict", "x-python-keys": { type: "integer" } });
    expect(by["k"]).toEqual({ anyOf: [{ type: "string", "x-python": "bytes", contentEncoding: "base64" }, { type: "null" }] });
    expect(by["l"]).toEqual({ enum: ["a", "b"] });
    expect(by["m"]).toEqual({ type: "integer", "x-python": "int" });
    expect(by["n"]).toMatchObject({ type: "object", required: ["x", "y"], additionalProperties: false });
    expect(by["grid"]).toEqual({ type: "array", items: { type: "array", items: { type: "integer", "x-python": "int" } } });
    expect(sig.returns).toMatchObject({ type: "array", items: { "x-python": "tuple" } });
  });

  it("should round-trip generated values through Python with their types (tuples, sets, ints, floats incl. integral)", async () => {
    const sig = await argsSchemaOf(sandbox, TYPED, "f");
    const schemas = sig.params.map((p) => p.schema);
    const argsList = fc.sample(arbitraryOfArgs(sig.params), { numRuns: 50, seed: 5 });
    // Integral floats are the case the codec alone would lose: make sure some were generated.
    expect(argsList.some((a) => a[1] instanceof PyFloat)).toBe(true);
    const validator = new SchemaValidator();
    for (const args of argsList) schemas.forEach((s, i) => expect(validator.check(s, args[i])).toBeNull());
    const session = await sandbox.session({ language: "python", code: CONFORM });
    try {
      const conformed = await session.callMany("conform_all", argsList.map((a) => [schemas, a]));
      expect(conformed.map((v) => v.status)).toEqual(argsList.map(() => "ok"));
      conformed.forEach((v, i) => expect({ i, flags: v.value }).toEqual({ i, flags: schemas.map(() => true) }));
      const echoed = await session.callMany("echo", argsList, { raw: true });
      echoed.forEach((v, i) => {
        const back = (v.value as Encoded).wire as { $t: string; v: Wire };
        expect(canonical(back.v)).toEqual(canonical(encode(argsList[i])));
      });
    } finally {
      await session.close();
    }
  });

  it("should mark unhinted parameters and unsupported hints, and resolve hints naming the code's own types", async () => {
    const code = `
class Widget: pass
def g(x, w: Widget, f: "list[Widget]", n: "int" = 1) -> None:
    pass
`;
    const sig = await argsSchemaOf(sandbox, code, "g");
    expect(sig.params).toEqual([
      { name: "x", schema: {}, optional: false, annotation: null },
      { name: "w", schema: { "x-unsupported": "Widget" }, optional: false, annotation: "Widget" },
      { name: "f", schema: { type: "array", items: { "x-unsupported": "Widget" } }, optional: false, annotation: "list[Widget]" },
      { name: "n", schema: { type: "integer", "x-python": "int" }, optional: true, annotation: "int" },
    ]);
    expect(sig.returns).toEqual({ type: "null" });
  });

  it("should read a class's constructor and public methods without self", async () => {
    const code = `
class Stack:
    def __init__(self, limit: int = 10): self.items = []
    def push(self, x: int) -> None: self.items.append(x)
    def pop(self) -> int: return self.items.pop()
    def _hidden(self): pass
    @staticmethod
    def helper(x: int) -> int: return x
`;
    const cls = await classSchemaOf(sandbox, code, "Stack");
    expect(cls.params.map((p) => p.name)).toEqual(["limit"]);
    expect(Object.keys(cls.methods).sort()).toEqual(["pop", "push"]);
    expect(cls.methods["push"]?.params).toEqual([{ name: "x", schema: { type: "integer", "x-python": "int" }, optional: false, annotation: "int" }]);
  });

  it("should say why when the code does not load or the entry point is missing", async () => {
    const reason = async (code: string, entry: string) => {
      try {
        await argsSchemaOf(sandbox, code, entry);
        return "no error";
      } catch (e) {
        return isCrucibleError(e, "invalid_argument") ? e.message : String(e);
      }
    };
    expect(await reason("def f(:\n", "f")).toMatch(/did not load.*SyntaxError/u);
    expect(await reason("def f(x): return x\n", "g")).toMatch(/defines no 'g'/u);
    expect(await reason("def f(x, *, key): return x\n", "f")).toMatch(/keyword-only/u);
  });
});

describe("schemaFromExamples", () => {
  it("should infer Python types per parameter from examples", () => {
    const [a, b, c, d, e] = schemaFromExamples([
      [[1, 2], 0.5, "x", { name: "a", age: 3 }, new Encoded({ $t: "tuple", v: [1, "a"] })],
      [[], 2, "y", { name: "b" }, new Encoded({ $t: "tuple", v: [2, "b"] })],
    ]);
    expect(a).toEqual({ type: "array", items: { type: "integer", "x-python": "int" } });
    expect(b).toEqual({ type: "number", "x-python": "float" });
    expect(c).toEqual({ type: "string" });
    expect(d).toMatchObject({ type: "object", required: ["name"], properties: { age: { type: "integer" } } });
    expect(e).toMatchObject({ "x-python": "tuple", prefixItems: [{ type: "integer" }, { type: "string" }] });
  });

  it("should infer schemas that every example satisfies", () => {
    const validator = new SchemaValidator();
    fc.assert(
      fc.property(fc.array(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 5 }), (examples) => {
        const schemas = schemaFromExamples(examples);
        for (const ex of examples) ex.forEach((v, i) => expect(validator.check(schemas[i]!, v)).toBeNull());
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});
