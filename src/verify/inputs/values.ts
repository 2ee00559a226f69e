// Host-side views of the values generated inputs are made of: a float that stays a float in
// Python, the JSON view a JSON Schema validator sees, Python's equality key and Python's repr.
import { Complex, Encoded, FrozenSet, GuestException, Opaque, Tuple, decode, type Wire } from "../../sandbox/guest/codec.mjs";

/**
 * A Python float whose value is integral (`2.0`). The codec sends a whole JavaScript number as a
 * Python int, so an integral float is carried by this wire-form value instead; `value` is the number.
 * Non-integral, infinite, NaN and `-0` numbers need no wrapper: the codec already sends them as floats.
 */
export class PyFloat extends Encoded {
  readonly value: number;

  constructor(value: number) {
    super(Number.isInteger(value) && !Object.is(value, -0) ? { $t: "float", v: floatText(value) } : floatWire(value));
    this.value = value;
  }
}

function floatText(value: number): string {
  // Python's repr of an integral float: 2.0 below 1e16, 1e+16 and 5.029043547719635e+19 from there.
  if (Math.abs(value) >= 1e16) return value.toExponential();
  return `${String(value)}.0`;
}

function floatWire(value: number): Wire {
  if (Number.isNaN(value)) return { $t: "float", v: "nan" };
  if (value === Infinity) return { $t: "float", v: "inf" };
  if (value === -Infinity) return { $t: "float", v: "-inf" };
  if (Object.is(value, -0)) return { $t: "float", v: "-0.0" };
  return value;
}

/** A number as a Python float on the wire: whole numbers are wrapped in `PyFloat`, the rest pass as they are. */
export function asPyFloat(value: number): number | PyFloat {
  return Number.isInteger(value) && !Object.is(value, -0) ? new PyFloat(value) : value;
}

/** The number a host value stands for, when it is one (number, bigint, PyFloat, bool as in Python). */
export function numberOf(value: unknown): number | bigint | null {
  if (typeof value === "number" || typeof value === "bigint") return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return null;
}

/**
 * The JSON view of a host value, for a JSON Schema validator: tuples, sets and frozensets become
 * arrays, bytes base64 text, bigints and PyFloats numbers (a bigint past 2^53 loses precision here,
 * and only here), Maps objects keyed by the Python repr of the key (`str` keys stay as they are).
 * `Encoded` values other than PyFloat are decoded first.
 */
export function jsonView(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof Encoded) return jsonView(decode(value.wire));
  if (typeof value === "bigint") return Number(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(jsonView);
  if (value instanceof Tuple) return value.items.map(jsonView);
  if (value instanceof Set) return [...(value as Set<unknown>)].map(jsonView);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value as Map<unknown, unknown>) define(out, typeof k === "string" ? k : pythonRepr(k), jsonView(v));
    return out;
  }
  if (value instanceof Complex || value instanceof GuestException || value instanceof Opaque) return pythonRepr(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) define(out, k, jsonView((value as Record<string, unknown>)[k]));
  return out;
}

/**
 * A text that is equal for two host values exactly when Python's `==` (and hash) would call them
 * equal, for the values generated inputs are made of: `1`, `1n`, `PyFloat(1)` and `true` share a
 * key, as `1 == 1.0 == True` in Python. Used to keep set elements and dict keys distinct.
 */
export function pyKey(value: unknown): string {
  const n = numberOf(value);
  if (n !== null) {
    if (typeof n === "bigint") return Number.isSafeInteger(Number(n)) ? `n${Number(n)}` : `n${n}`;
    return Number.isNaN(n) ? "nan" : `n${Object.is(n, -0) ? 0 : n}`;
  }
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return `s${JSON.stringify(value)}`;
  if (value instanceof Tuple) return `(${value.items.map(pyKey).join(",")})`;
  if (value instanceof Uint8Array) return `b${Buffer.from(value).toString("hex")}`;
  if (value instanceof Set) return `{${[...(value as Set<unknown>)].map(pyKey).sort().join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(pyKey).join(",")}]`;
  if (value instanceof Map) return `{${[...(value as Map<unknown, unknown>)].map(([k, v]) => `${pyKey(k)}:${pyKey(v)}`).sort().join(",")}}`;
  if (typeof value === "object") {
    return `{${Object.keys(value).map((k) => `${pyKey(k)}:${pyKey((value as Record<string, unknown>)[k])}`).sort().join(",")}}`;
  }
  return `?${typeof value}`;
}

/**
 * How Python would print a host value (`[1, 0]`, `(1, 'a')`, `2.0`, `{1, 2}`, `b'\x00'`), for
 * reports people read. Exact for the values inputs are made of; other objects fall back to JSON.
 */
export function pythonRepr(value: unknown, depth = 0): string {
  if (depth > 50) return "...";
  const r = (v: unknown) => pythonRepr(v, depth + 1);
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number") return pyNumber(value, Number.isInteger(value) && !Object.is(value, -0));
  if (value instanceof PyFloat) return pyNumber(value.value, false);
  if (typeof value === "string") return pyString(value);
  if (value instanceof Encoded) return r(decode(value.wire));
  if (Array.isArray(value)) return `[${value.map(r).join(", ")}]`;
  if (value instanceof Tuple) return value.items.length === 1 ? `(${r(value.items[0])},)` : `(${value.items.map(r).join(", ")})`;
  if (value instanceof FrozenSet) return value.size === 0 ? "frozenset()" : `frozenset({${[...(value as Set<unknown>)].map(r).join(", ")}})`;
  if (value instanceof Set) return value.size === 0 ? "set()" : `{${[...(value as Set<unknown>)].map(r).join(", ")}}`;
  if (value instanceof Uint8Array) return pyBytes(value);
  if (value instanceof Map) return `{${[...(value as Map<unknown, unknown>)].map(([k, v]) => `${r(k)}: ${r(v)}`).join(", ")}}`;
  if (value instanceof Complex) return `(${pyNumber(value.real, false)}${value.imag < 0 ? "-" : "+"}${pyNumber(Math.abs(value.imag), false)}j)`;
  if (value instanceof GuestException) return `${value.type}(${pyString(value.message)})`;
  if (value instanceof Opaque) return value.repr;
  if (typeof value === "object") {
    return `{${Object.keys(value).map((k) => `${pyString(k)}: ${r((value as Record<string, unknown>)[k])}`).join(", ")}}`;
  }
  return `<${typeof value}>`;
}

function pyNumber(n: number, asInt: boolean): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (asInt) return String(n);
  if (Object.is(n, -0)) return "-0.0";
  const s = String(n);
  if (Number.isInteger(n) && !/e/u.test(s)) return Math.abs(n) >= 1e16 ? n.toExponential().replace(/e\+?/u, "e+") : `${s}.0`;
  // JavaScript writes 1e-7 and 1e+21; Python writes 1e-07 and 1e+21.
  return s.replace(/e([+-])(\d)$/u, "e$10$2");
}

function pyString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}

function pyBytes(b: Uint8Array): string {
  let out = "b'";
  for (const c of b) {
    if (c === 0x27) out += "\\'";
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(c);
  }
  return `${out}'`;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // Never assign: a key named "__proto__" must stay data.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Decodes a guest value as `decode` does, except that integral floats stay floats (`PyFloat`), so
 * `encode(fromWire(w))` gives back `w` (up to set order) and `pythonRepr` prints `2.0`, not `2`.
 */
export function fromWire(wire: unknown, depth = 0): unknown {
  if (depth > 200) return decode(wire);
  const d = depth + 1;
  if (Array.isArray(wire)) return wire.map((x) => fromWire(x, d));
  if (wire === null || typeof wire !== "object") return wire;
  const w = wire as Record<string, unknown>;
  if (!Object.hasOwn(w, "$t")) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(w)) define(out, k, fromWire(w[k], d));
    return out;
  }
  const v = w["v"];
  switch (w["$t"]) {
    case "float": {
      const n = decode(wire) as number;
      return Number.isInteger(n) && !Object.is(n, -0) ? new PyFloat(n) : n;
    }
    case "tuple":
      return Array.isArray(v) ? new Tuple(v.map((x) => fromWire(x, d))) : decode(wire);
    case "set":
      return Array.isArray(v) ? new Set(v.map((x) => fromWire(x, d))) : decode(wire);
    case "frozenset":
      return Array.isArray(v) ? new FrozenSet(v.map((x) => fromWire(x, d))) : decode(wire);
    case "dict": {
      if (!Array.isArray(v)) return decode(wire);
      const m = new Map<unknown, unknown>();
      for (const pair of v) if (Array.isArray(pair) && pair.length === 2) m.set(fromWire(pair[0], d), fromWire(pair[1], d));
      return m;
    }
    default:
      return decode(wire);
  }
}
