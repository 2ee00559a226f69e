import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrozenSet, Tuple } from "../../sandbox/guest/codec.mjs";
import { isCrucibleError } from "../../errors.ts";
import { arbitraryFromSchema, arbitraryOfArgs } from "./arbitrary.ts";
import { paramsFromSchema, SchemaValidator, type JsonSchema } from "./schema.ts";
import { PyFloat, pythonRepr } from "./values.ts";

const sorted = (a: number, b: number): [number, number] => (a <= b ? [a, b] : [b, a]);
const bounds = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })).map(([a, b]) => sorted(a, b));
const lengths = fc.tuple(fc.nat(4), fc.nat(6)).map(([a, b]) => sorted(a, b));

/** Schemas of the shapes type hints and tool specs produce, nested. */
const schemas: fc.Arbitrary<JsonSchema> = fc.letrec<{ schema: JsonSchema; leaf: JsonSchema }>((tie) => ({
  leaf: fc.oneof(
    fc.constant({ type: "null" }),
    fc.constant({ type: "boolean" }),
    fc.constant({ type: "integer", "x-python": "int" }),
    bounds.map(([minimum, maximum]) => ({ type: "integer", minimum, maximum })),
    bounds.map(([a, b]) => ({ type: "integer", exclusiveMinimum: a - 1, exclusiveMaximum: b + 1 })),
    fc.constant({ type: "integer", minimum: 2 ** 60, maximum: 2 ** 61 }),
    fc.constant({ type: "number", "x-python": "float" }),
    bounds.map(([minimum, maximum]) => ({ type: "number", "x-python": "float", minimum, maximum })),
    fc.constant({ type: "number" }),
    lengths.map(([minLength, maxLength]) => ({ type: "string", minLength, maxLength })),
    lengths.map(([minLength, maxLength]) => ({ type: "string", "x-python": "bytes", minLength: minLength * 4, maxLength: maxLength * 4 + 3 })),
    fc.constant({ type: "string", pattern: "^[a-c]{1,3}$" }),
    fc.constant({ enum: ["red", "green", 3, null] }),
    fc.constant({ const: "fixed" }),
    fc.constant({ type: ["integer", "string"] }),
    fc.constant({}),
  ),
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("leaf"),
    fc.tuple(tie("schema"), lengths).map(([items, [minItems, maxItems]]) => ({ type: "array", items, minItems, maxItems })),
    tie("schema").map((items) => ({ type: "array", items, "x-python": "tuple" })),
    fc.array(tie("schema"), { maxLength: 3 }).map((p) => ({ type: "array", "x-python": "tuple", ...(p.length > 0 ? { prefixItems: p } : {}), items: false, minItems: p.length, maxItems: p.length })),
    fc.constantFrom<JsonSchema>({ type: "integer" }, { type: "string", maxLength: 3 }, { type: "number", "x-python": "float" }).chain((items) =>
      fc.constantFrom("set", "frozenset").map((kind) => ({ type: "array", uniqueItems: true, "x-python": kind, items })),
    ),
    tie("schema").map((items) => ({ type: "array", uniqueItems: true, items })),
    tie("schema").map((additionalProperties) => ({ type: "object", additionalProperties })),
    tie("schema").map((additionalProperties) => ({ type: "object", "x-python": "dict", "x-python-keys": { type: "integer" }, additionalProperties })),
    fc
      .uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c", "$t"), tie("schema"), fc.boolean()), { selector: ([k]) => k, maxLength: 3 })
      .map((fields) => ({
        type: "object",
        properties: Object.fromEntries(fields.map(([k, s]) => [k, s])),
        required: fields.filter(([, , r]) => r).map(([k]) => k),
        additionalProperties: false,
      })),
    fc.array(tie("schema"), { minLength: 1, maxLength: 3 }).map((anyOf) => ({ anyOf })),
  ),
})).schema;

describe("arbitraryFromSchema", () => {
  it("should generate only values that validate against their schema (checked by ajv)", () => {
    const validator = new SchemaValidator();
    fc.assert(
      fc.property(
        schemas.chain((schema) => fc.tuple(fc.constant(schema), fc.array(arbitraryFromSchema(schema), { minLength: 1, maxLength: 5 }))),
        ([schema, values]) => {
          for (const v of values) {
            const error = validator.check(schema, v);
            if (error !== null) throw new Error(`${pythonRepr(v)} does not satisfy ${JSON.stringify(schema)}: ${error}`);
          }
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it("should give each x-python type its host class", () => {
    const one = (schema: JsonSchema, seed = 1) => fc.sample(arbitraryFromSchema(schema), { numRuns: 30, seed });
    expect(one({ type: "array", "x-python": "tuple", items: { type: "integer" } }).every((v) => v instanceof Tuple)).toBe(true);
    expect(one({ type: "array", "x-python": "set", items: { type: "integer" } }).every((v) => v instanceof Set && !(v instanceof FrozenSet))).toBe(true);
    expect(one({ type: "array", "x-python": "frozenset", items: { type: "integer" } }).every((v) => v instanceof FrozenSet)).toBe(true);
    expect(one({ type: "string", "x-python": "bytes" }).every((v) => v instanceof Uint8Array)).toBe(true);
    expect(one({ type: "object", "x-python": "dict", "x-python-keys": { type: "integer" }, additionalProperties: { type: "string" } }).every((v) => v instanceof Map)).toBe(true);
    const floats = one({ type: "number", "x-python": "float", minimum: -3, maximum: 3 }, 7);
    expect(floats.some((v) => v instanceof PyFloat)).toBe(true);
    expect(floats.every((v) => v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v)) || Object.is(v, -0))).toBe(true);
    expect(one({ type: "integer", minimum: 2 ** 60 }).every((v) => typeof v === "bigint" && v >= 2n ** 60n)).toBe(true);
  });

  it("should shrink a list of ints towards the smallest counterexample", () => {
    const out = fc.check(
      fc.property(arbitraryFromSchema({ type: "array", items: { type: "integer", "x-python": "int" } }), (xs) => (xs as number[]).length < 2),
      { seed: 3 },
    );
    expect(out.failed).toBe(true);
    expect(out.counterexample).toEqual([[0, 0]]);
  });

  it("should refuse schemas it cannot generate from, naming the place and the fix", () => {
    const refuse = (schema: JsonSchema) => {
      try {
        arbitraryFromSchema(schema);
        return null;
      } catch (e) {
        return isCrucibleError(e, "invalid_argument") ? e.message : String(e);
      }
    };
    expect(refuse({ type: "array", items: { "x-unsupported": "Widget" } })).toMatch(/#\/items.*Widget.*give a JSON Schema/u);
    expect(refuse({ $ref: "#/$defs/x" })).toMatch(/\$ref/u);
    expect(refuse({ type: "integer", minimum: 5, maximum: 4 })).toMatch(/no integer/u);
    expect(refuse({ type: "string", minLength: 5, maxLength: 2 })).toMatch(/admit no length/u);
    expect(refuse({ type: "decimal" })).toMatch(/unknown type/u);
  });
});

describe("paramsFromSchema", () => {
  it("should read the three shapes a parameter list is written in", () => {
    expect(paramsFromSchema([{ type: "integer" }, { type: "string" }]).map((p) => [p.name, p.optional])).toEqual([["arg0", false], ["arg1", false]]);
    expect(paramsFromSchema({ type: "array", prefixItems: [{ type: "integer" }, { type: "string" }], minItems: 1 }).map((p) => p.optional)).toEqual([false, true]);
    const obj = paramsFromSchema({ type: "object", properties: { xs: { type: "array" }, k: { type: "integer" } }, required: ["xs"] });
    expect(obj.map((p) => [p.name, p.optional])).toEqual([["xs", false], ["k", true]]);
    const args = fc.sample(arbitraryOfArgs(obj), { numRuns: 5, seed: 1 });
    expect(args.every((a) => a.length === 2 && Array.isArray(a[0]))).toBe(true);
  });
});

describe("pythonRepr", () => {
  it("should print values as Python does", () => {
    expect(pythonRepr([1, new PyFloat(2), 2.5, "it's", null, true])).toBe(`[1, 2.0, 2.5, "it's", None, True]`);
    expect(pythonRepr(new Tuple([1]))).toBe("(1,)");
    expect(pythonRepr(new Set())).toBe("set()");
    expect(pythonRepr(new Uint8Array([0, 65, 39]))).toBe("b'\\x00A\\''");
    expect(pythonRepr(new Map([[1, "a"]]))).toBe("{1: 'a'}");
    expect(pythonRepr(new PyFloat(1e16))).toBe("1e+16");
    expect(pythonRepr(2n ** 70n)).toBe("1180591620717411303424");
  });
});
