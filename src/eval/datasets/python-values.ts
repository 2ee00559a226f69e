import { CrucibleError } from "../../errors.ts";
import type { Wire } from "../../sandbox/guest/codec.mjs";

/**
 * Python's `tuple()`, `set()`, `float()` and `complex()` applied to values in wire form, for the
 * input conversions benchmarks do after loading JSON (EvalPlus's `mbpp_deserialize_inputs`). Each
 * throws CrucibleError `invalid_argument` where Python would raise (a TypeError or ValueError).
 */

type Tagged = { readonly $t: string; readonly v: Wire };

function tagOf(w: Wire): Tagged | undefined {
  if (w === null || typeof w !== "object" || Array.isArray(w)) return undefined;
  const t = w["$t"];
  return typeof t === "string" ? { $t: t, v: w["v"] ?? null } : undefined;
}

function typeName(w: Wire): string {
  if (w === null) return "NoneType";
  if (Array.isArray(w)) return "list";
  if (typeof w === "object") return tagOf(w)?.$t ?? "dict";
  if (typeof w === "boolean") return "bool";
  return typeof w === "number" ? "int or float" : "str";
}

function fail(message: string): never {
  throw new CrucibleError("invalid_argument", message);
}

/** The items Python would iterate over: a list's or tuple's items, a string's characters, a dict's keys. */
function iterate(w: Wire, what: string): Wire[] {
  if (Array.isArray(w)) return [...w];
  if (typeof w === "string") return Array.from(w);
  const tag = tagOf(w);
  if (w !== null && typeof w === "object" && tag === undefined) return Object.keys(w);
  if (tag?.$t === "tuple" && Array.isArray(tag.v)) return [...tag.v];
  if (tag?.$t === "dict" && Array.isArray(tag.v)) return tag.v.map((pair) => (Array.isArray(pair) ? (pair[0] ?? null) : null));
  // Sets have no order we could reproduce; numbers and None are not iterable.
  return fail(`${what}() of a ${typeName(w)} is not supported`);
}

/** `tuple(x)` */
export function pyTuple(w: Wire): Wire {
  return { $t: "tuple", v: iterate(w, "tuple") };
}

/** `set(x)`; duplicates are left for the guest's `set()` to collapse. */
export function pySet(w: Wire): Wire {
  return { $t: "set", v: iterate(w, "set") };
}

/** A JS number as a Python float in wire form: integral values and the specials are tagged. */
export function floatWire(x: number): Wire {
  if (Number.isNaN(x)) return { $t: "float", v: "nan" };
  if (x === Infinity) return { $t: "float", v: "inf" };
  if (x === -Infinity) return { $t: "float", v: "-inf" };
  if (Object.is(x, -0)) return { $t: "float", v: "-0.0" };
  if (Number.isInteger(x)) {
    const s = String(x);
    return { $t: "float", v: /[e.]/.test(s) ? s : `${s}.0` };
  }
  return x;
}

/** The value of a wire number as a JS double (Python's `float(x)` for an int or float). */
function toDouble(w: Wire): number | undefined {
  if (typeof w === "number") return w;
  if (typeof w === "boolean") return w ? 1 : 0;
  const tag = tagOf(w);
  // BigInt → Number rounds to nearest, ties to even, as Python's int → float does.
  if (tag?.$t === "int" && typeof tag.v === "string") return Number(BigInt(tag.v));
  if (tag?.$t === "float" && typeof tag.v === "string") return parseFloatText(tag.v);
  return undefined;
}

/** `float(x)` for an int, float, bool or str. */
export function pyFloat(w: Wire): Wire {
  if (typeof w === "string") {
    const x = parseFloatText(w.trim());
    if (x === undefined) fail(`could not convert string to float: ${JSON.stringify(w)}`);
    return floatWire(x);
  }
  const x = toDouble(w);
  if (x === undefined) fail(`float() argument must be a string or a real number, not ${typeName(w)}`);
  return floatWire(x);
}

/** `complex(x)` for an int, float, bool or str, as `{ $t: "complex", v: [real, imag] }`. */
export function pyComplex(w: Wire): Wire {
  let parts: [number, number] | undefined;
  if (typeof w === "string") {
    parts = parseComplexText(w);
    if (parts === undefined) fail(`complex() arg is a malformed string: ${JSON.stringify(w)}`);
  } else {
    const x = toDouble(w);
    if (x === undefined) fail(`complex() argument must be a string or a number, not ${typeName(w)}`);
    parts = [x, 0];
  }
  return { $t: "complex", v: [floatWire(parts[0]), floatWire(parts[1])] };
}

// Python's float syntax: digits with single underscores between them, optional point, exponent;
// or inf/infinity/nan in any case.
const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT = String.raw`[+-]?(?:(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.?)(?:[eE][+-]?${DIGITS})?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])`;
const WHOLE_FLOAT = new RegExp(`^${FLOAT}$`);
const FLOAT_PREFIX = new RegExp(FLOAT, "y");

function parseFloatText(s: string): number | undefined {
  if (!WHOLE_FLOAT.test(s)) return undefined;
  return floatValue(s);
}

function floatValue(s: string): number {
  const body = s.replace(/^[+-]/, "").toLowerCase();
  const negative = s.startsWith("-");
  if (body === "nan") return NaN;
  if (body === "inf" || body === "infinity") return negative ? -Infinity : Infinity;
  return Number(s.replaceAll("_", ""));
}

/** The longest float at `pos`, as CPython's `PyOS_string_to_double` finds it, or undefined. */
function floatAt(s: string, pos: number): { value: number; end: number } | undefined {
  FLOAT_PREFIX.lastIndex = pos;
  const m = FLOAT_PREFIX.exec(s);
  if (m === null || m[0] === "" || m[0] === "+" || m[0] === "-") return undefined;
  return { value: floatValue(m[0]), end: pos + m[0].length };
}

/** CPython's `complex_subtype_from_string`: `1`, `2j`, `1+2j`, `1-j`, `j`, `(-0-1j)`, with spaces and parentheses. */
function parseComplexText(text: string): [number, number] | undefined {
  const s = text.trim();
  let i = 0;
  let bracket = false;
  if (s[i] === "(") {
    bracket = true;
    i++;
    while (/\s/.test(s[i] ?? "")) i++;
  }
  let real = 0;
  let imag = 0;
  const isJ = (c: string | undefined) => c === "j" || c === "J";
  const first = floatAt(s, i);
  if (first !== undefined) {
    i = first.end;
    const c = s[i];
    if (c === "+" || c === "-") {
      real = first.value;
      const second = floatAt(s, i);
      if (second !== undefined) {
        imag = second.value;
        i = second.end;
      } else {
        imag = c === "+" ? 1 : -1;
        i++;
      }
      if (!isJ(s[i])) return undefined;
      i++;
    } else if (isJ(c)) {
      imag = first.value;
      i++;
    } else {
      real = first.value;
    }
  } else {
    const c = s[i];
    if (c === "+" || c === "-") {
      imag = c === "+" ? 1 : -1;
      i++;
    } else {
      imag = 1;
    }
    if (!isJ(s[i])) return undefined;
    i++;
  }
  while (/\s/.test(s[i] ?? "")) i++;
  if (bracket) {
    if (s[i] !== ")") return undefined;
    i++;
    while (/\s/.test(s[i] ?? "")) i++;
  }
  return i === s.length && s.length > 0 ? [real, imag] : undefined;
}
