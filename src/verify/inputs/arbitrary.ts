// JSON Schema → fast-check arbitrary of host values the codec sends to Python or JavaScript
// exactly as the schema's Python types say (tuples as Tuple, sets as Set, integral floats as PyFloat).
import fc from "fast-check";
import { FrozenSet, Tuple } from "../../sandbox/guest/codec.mjs";
import { CrucibleError } from "../../errors.ts";
import type { JsonSchema, ParamSchema } from "./schema.ts";
import { asPyFloat, jsonView, pyKey } from "./values.ts";

export interface ArbitraryOptions {
  /** Longest array, string, set or dict where the schema sets no maximum (default 10). */
  readonly maxLength?: number;
  /** Floats may be NaN (default false: most specifications leave NaN out, and JSON has none). */
  readonly nan?: boolean;
  /** Floats may be ±Infinity (default false). */
  readonly infinity?: boolean;
  /** Unbounded ints are sometimes beyond 2^53, as bigints (default false). */
  readonly bigInts?: boolean;
  /** Strings hold any code point, not mostly printable ASCII (default false: a fifth of the characters are any code point). */
  readonly fullUnicode?: boolean;
}

const KNOWN_TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"] as const;
type JsonType = (typeof KNOWN_TYPES)[number];

/**
 * A fast-check arbitrary for the values `schema` describes, as host values the codec sends with
 * the right Python types: `"x-python": "tuple"` arrays are `Tuple`, `"set"`/`"frozenset"` are
 * `Set`/`FrozenSet` (elements distinct under Python's `==`), `"bytes"` strings are `Uint8Array`,
 * `"float"` numbers are floats in Python even when integral (`PyFloat`), `"dict"` objects with
 * `"x-python-keys"` are `Map`s. Integers beyond 2^53 (from bounds, or `bigInts`) are bigints.
 * Supported keywords: type (one or a list), enum, const, minimum/maximum and their exclusive forms,
 * minLength/maxLength/pattern, items/prefixItems/minItems/maxItems/uniqueItems,
 * properties/required/additionalProperties/propertyNames/minProperties/maxProperties, anyOf/oneOf
 * (branches merged with the keywords beside them; oneOf is treated as anyOf). An empty schema
 * generates any JSON value.
 * @throws CrucibleError `invalid_argument` for `$ref`, `not`, `allOf` of several schemas, an
 * `"x-unsupported"` type or contradictory bounds, naming the path of the schema at fault.
 */
export function arbitraryFromSchema(schema: JsonSchema | boolean, opts: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  return build(schema, opts, "#");
}

/** An arbitrary of argument lists for the parameters (optional ones included: they have schemas too). */
export function arbitraryOfArgs(params: readonly ParamSchema[], opts: ArbitraryOptions = {}): fc.Arbitrary<unknown[]> {
  return fc.tuple(...params.map((p) => build(p.schema, opts, `#/${p.name}`)));
}

function fail(path: string, message: string): never {
  throw new CrucibleError("invalid_argument", `cannot generate values for the schema at ${path}: ${message}`, { details: { path } });
}

function build(schema: JsonSchema | boolean, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  if (schema === true) return anyJson(opts);
  if (schema === false) fail(path, "the schema `false` admits no value");
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) fail(path, `${JSON.stringify(schema)} is not a schema`);
  const s = schema;
  if (typeof s["x-unsupported"] === "string") fail(path, `no values can be generated for the Python type ${s["x-unsupported"]}; give a JSON Schema for it`);
  if (s["$ref"] !== undefined) fail(path, "$ref is not supported; write the referenced schema in place");
  if (s["not"] !== undefined) fail(path, "`not` is not supported");
  if (Object.hasOwn(s, "const")) return fc.constant(s["const"]);
  if (Array.isArray(s["enum"])) {
    if (s["enum"].length === 0) fail(path, "an empty enum admits no value");
    return fc.constantFrom(...(s["enum"] as unknown[]));
  }
  const { anyOf, oneOf, allOf, ...rest } = s;
  if (Array.isArray(allOf)) {
    if (allOf.length !== 1) fail(path, "allOf of several schemas is not supported; merge them into one");
    return build({ ...rest, ...(allOf[0] as JsonSchema) }, opts, `${path}/allOf/0`);
  }
  const branches = Array.isArray(anyOf) ? anyOf : Array.isArray(oneOf) ? oneOf : null;
  if (branches) {
    if (branches.length === 0) fail(path, "anyOf/oneOf needs at least one schema");
    const key = Array.isArray(anyOf) ? "anyOf" : "oneOf";
    return fc.oneof(
      ...branches.map((b, i) =>
        b === true || b === false ? build(b as boolean, opts, `${path}/${key}/${i}`) : build({ ...rest, ...(b as JsonSchema) }, opts, `${path}/${key}/${i}`),
      ),
    );
  }
  const types = typesOf(s, path);
  if (types === null) return anyJson(opts);
  const arbs = types.map((t) => ofType(t, s, opts, path));
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

function typesOf(s: JsonSchema, path: string): JsonType[] | null {
  const t = s["type"];
  const list = typeof t === "string" ? [t] : Array.isArray(t) ? t : null;
  if (list === null) {
    // No type: infer it from the keywords present, as a schema writer means it.
    if (s["items"] !== undefined || s["prefixItems"] !== undefined) return ["array"];
    if (s["properties"] !== undefined || s["additionalProperties"] !== undefined) return ["object"];
    return null;
  }
  for (const x of list) if (!(KNOWN_TYPES as readonly unknown[]).includes(x)) fail(path, `unknown type ${JSON.stringify(x)}`);
  if (list.length === 0) fail(path, "an empty type list admits no value");
  return list as JsonType[];
}

function ofType(type: JsonType, s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return integers(s, opts, path);
    case "number":
      return s["x-python"] === "int" ? integers(s, opts, path) : numbers(s, opts, path);
    case "string":
      return s["x-python"] === "bytes" ? bytes(s, opts, path) : strings(s, opts, path);
    case "array":
      return arrays(s, opts, path);
    case "object":
      return objects(s, opts, path);
  }
}

function num(s: JsonSchema, key: string): number | bigint | undefined {
  const v = s[key];
  return typeof v === "number" || typeof v === "bigint" ? v : undefined;
}

function integers(s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  let min: bigint | undefined;
  let max: bigint | undefined;
  const lo = num(s, "minimum");
  const hi = num(s, "maximum");
  const xlo = num(s, "exclusiveMinimum");
  const xhi = num(s, "exclusiveMaximum");
  const ceil = (v: number | bigint) => (typeof v === "bigint" ? v : BigInt(Math.ceil(v)));
  const floor = (v: number | bigint) => (typeof v === "bigint" ? v : BigInt(Math.floor(v)));
  if (lo !== undefined) min = ceil(lo);
  if (xlo !== undefined) min = maxOf(min, floor(xlo) + 1n);
  if (hi !== undefined) max = floor(hi);
  if (xhi !== undefined) max = minOf(max, ceil(xhi) - 1n);
  if (min !== undefined && max !== undefined && min > max) fail(path, `no integer lies between the bounds ${min} and ${max}`);
  const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
  const fits = (v: bigint | undefined) => v === undefined || (v >= -SAFE && v <= SAFE);
  if (fits(min) && fits(max)) {
    const small =
      min === undefined && max === undefined
        ? fc.integer()
        : fc.integer({ min: min === undefined ? Math.min(-(2 ** 31), Number(max)) : Number(min), max: max === undefined ? Math.max(2 ** 31 - 1, Number(min)) : Number(max) });
    if (!opts.bigInts || min !== undefined || max !== undefined) return small;
    return fc.oneof({ arbitrary: small, weight: 9 }, { arbitrary: fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), weight: 1 });
  }
  // Bounds past 2^53: bigints, returned as numbers where they are safe so the common case reads plainly.
  return fc
    .bigInt({ ...(min === undefined ? { min: (max ?? 0n) - 2n ** 128n } : { min }), ...(max === undefined ? { max: (min ?? 0n) + 2n ** 128n } : { max }) })
    .map((v) => (v >= -SAFE && v <= SAFE ? Number(v) : v));
}

function maxOf(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b > a ? b : a;
}
function minOf(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b < a ? b : a;
}

function numbers(s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  const lo = num(s, "minimum");
  const hi = num(s, "maximum");
  const xlo = num(s, "exclusiveMinimum");
  const xhi = num(s, "exclusiveMaximum");
  const min = xlo !== undefined ? Number(xlo) : lo !== undefined ? Number(lo) : undefined;
  const max = xhi !== undefined ? Number(xhi) : hi !== undefined ? Number(hi) : undefined;
  if (min !== undefined && max !== undefined && (min > max || (min === max && (xlo !== undefined || xhi !== undefined)))) {
    fail(path, `no number lies between the bounds ${min} and ${max}`);
  }
  const bounded = min !== undefined || max !== undefined;
  const arb = fc.double({
    ...(min === undefined ? {} : { min, minExcluded: xlo !== undefined }),
    ...(max === undefined ? {} : { max, maxExcluded: xhi !== undefined }),
    noNaN: !opts.nan || bounded,
    noDefaultInfinity: !opts.infinity,
  });
  return s["x-python"] === "float" ? arb.map(asPyFloat) : arb;
}

function lengths(s: JsonSchema, minKey: string, maxKey: string, opts: ArbitraryOptions, path: string): { minLength: number; maxLength: number } {
  const minLength = typeof s[minKey] === "number" ? (s[minKey]) : 0;
  const maxLength = typeof s[maxKey] === "number" ? (s[maxKey]) : Math.max(minLength, opts.maxLength ?? 10);
  if (!Number.isInteger(minLength) || !Number.isInteger(maxLength) || minLength < 0 || minLength > maxLength) {
    fail(path, `${minKey} ${minLength} and ${maxKey} ${maxLength} admit no length`);
  }
  return { minLength, maxLength };
}

function strings(s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  const { minLength, maxLength } = lengths(s, "minLength", "maxLength", opts, path);
  if (typeof s["pattern"] === "string") {
    let regex: RegExp;
    try {
      regex = new RegExp(s["pattern"], "u");
    } catch {
      fail(path, `pattern ${JSON.stringify(s["pattern"])} is not a regular expression`);
    }
    // Only the lengths the schema states filter a pattern's strings: the default cap on length is
    // for strings fast-check makes freely, and a pattern needing longer ones would never match it
    // (fc.sample would loop for ever).
    const min = typeof s["minLength"] === "number" ? minLength : 0;
    const max = typeof s["maxLength"] === "number" ? maxLength : Infinity;
    return fc.stringMatching(regex).filter((x) => {
      const n = [...x].length;
      return n >= min && n <= max;
    });
  }
  // One code point per unit, as JSON Schema counts length; mostly printable ASCII, as people write.
  const ascii = fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 });
  const any = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });
  const unit = opts.fullUnicode ? any : fc.oneof({ arbitrary: ascii, weight: 4 }, { arbitrary: any, weight: 1 });
  return fc.string({ unit, minLength, maxLength });
}

function bytes(s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  // JSON Schema lengths of bytes count the base64 text (contentEncoding), 4 characters per 3 bytes.
  const { minLength, maxLength } = lengths(s, "minLength", "maxLength", opts, path);
  const minBytes = minLength === 0 ? 0 : (Math.ceil(minLength / 4) - 1) * 3 + 1;
  const maxBytes = typeof s["maxLength"] === "number" ? Math.floor(maxLength / 4) * 3 : Math.max(minBytes, opts.maxLength ?? 10);
  if (minBytes > maxBytes) fail(path, `no bytes value has a base64 length between ${minLength} and ${maxLength}`);
  return fc.uint8Array({ minLength: minBytes, maxLength: maxBytes });
}

function arrays(s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  const kind = s["x-python"];
  const { minLength, maxLength } = lengths(s, "minItems", "maxItems", opts, path);
  const items = s["items"] as JsonSchema | boolean | undefined;
  const prefix = Array.isArray(s["prefixItems"]) ? (s["prefixItems"] as (JsonSchema | boolean)[]) : [];
  let arb: fc.Arbitrary<unknown[]>;
  if (prefix.length > 0 || items === false) {
    const head = fc.tuple(...prefix.map((p, i) => build(p, opts, `${path}/prefixItems/${i}`)));
    const restMax = items === false ? 0 : Math.max(0, maxLength - prefix.length);
    const restMin = Math.max(0, minLength - prefix.length);
    if (restMin > restMax) fail(path, `minItems ${minLength} is more than the ${prefix.length} prefixItems allow`);
    const tail = restMax === 0 ? fc.constant([] as unknown[]) : fc.array(build(items ?? true, opts, `${path}/items`), { minLength: restMin, maxLength: restMax });
    const shortest = Math.min(prefix.length, Math.max(minLength, 0));
    arb = fc.tuple(head, tail, fc.integer({ min: shortest, max: prefix.length })).map(([h, t, n]) => (n < prefix.length ? h.slice(0, n) : [...h, ...t]));
  } else {
    const item = build(items === undefined ? true : items, opts, `${path}/items`);
    const distinct = s["uniqueItems"] === true || kind === "set" || kind === "frozenset";
    // Distinct both as Python sees them (1 == 1.0 == True) and as JSON does (a tuple and a list alike).
    const keyed = item.map((v) => ({ v, py: pyKey(v), json: jsonKey(v) }));
    arb = distinct
      ? fc.uniqueArray(keyed, { comparator: (a, b) => a.py === b.py || a.json === b.json, minLength, maxLength }).map((xs) => xs.map((x) => x.v))
      : fc.array(item, { minLength, maxLength });
  }
  if (kind === "tuple") return arb.map((xs) => new Tuple(xs));
  if (kind === "set") return arb.map((xs) => new Set(xs));
  if (kind === "frozenset") return arb.map((xs) => new FrozenSet(xs));
  return arb;
}

function objects(s: JsonSchema, opts: ArbitraryOptions, path: string): fc.Arbitrary<unknown> {
  const { minLength: minKeys, maxLength: maxKeys } = lengths(s, "minProperties", "maxProperties", opts, path);
  const additional = s["additionalProperties"] as JsonSchema | boolean | undefined;
  if (s["x-python"] === "dict" && s["x-python-keys"] !== undefined) {
    const key = build(s["x-python-keys"] as JsonSchema, opts, `${path}/x-python-keys`);
    const value = build(additional === undefined || additional === false ? true : additional, opts, `${path}/additionalProperties`);
    return fc
      .uniqueArray(fc.tuple(key, value), { selector: ([k]) => pyKey(k), minLength: minKeys, maxLength: maxKeys })
      .map((pairs) => new Map(pairs));
  }
  const props = (s["properties"] ?? {}) as Record<string, JsonSchema | boolean>;
  const names = Object.keys(props);
  const required = new Set(Array.isArray(s["required"]) ? (s["required"] as string[]) : []);
  for (const r of required) {
    if (!names.includes(r)) {
      if (additional === false) fail(path, `required property ${JSON.stringify(r)} is not allowed by additionalProperties: false`);
      names.push(r);
    }
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const n of names) {
    Object.defineProperty(model, n, { value: build(Object.hasOwn(props, n) ? props[n]! : typeof additional === "object" ? additional : true, opts, `${path}/properties/${n}`), enumerable: true });
  }
  const fixed = fc.record(model, { requiredKeys: names.filter((n) => required.has(n)), noNullPrototype: true });
  if (additional === undefined || additional === true || additional === false) {
    return fixed.filter((o) => Object.keys(o).length >= minKeys && Object.keys(o).length <= maxKeys);
  }
  // A dict[str, V]: extra keys from propertyNames (any string by default), never one of the named properties.
  const keySchema = { type: "string", ...((s["propertyNames"] as JsonSchema | undefined) ?? {}) };
  const keys = (build(keySchema, opts, `${path}/propertyNames`) as fc.Arbitrary<string>).filter((k) => !Object.hasOwn(props, k));
  const extra = fc.dictionary(keys, build(additional, opts, `${path}/additionalProperties`), { minKeys: Math.max(0, minKeys - names.length), maxKeys, noNullPrototype: true });
  return fc.tuple(fixed, extra).map(([a, b]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of [...Object.entries(b), ...Object.entries(a)]) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  }).filter((o) => Object.keys(o).length >= minKeys && Object.keys(o).length <= maxKeys);
}

function anyJson(opts: ArbitraryOptions): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ noNaN: !opts.nan, noDefaultInfinity: !opts.infinity }),
    strings({}, { ...opts, maxLength: Math.min(opts.maxLength ?? 10, 8) }, "#"),
  );
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4, noNullPrototype: true }),
    ),
  })).value;
}

/** Canonical JSON text of a value's JSON view (object keys sorted), as JSON Schema's uniqueItems compares. */
function jsonKey(value: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v !== null && typeof v === "object") return Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]);
    return v;
  };
  return JSON.stringify(canon(jsonView(value)));
}
