import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { Rng } from "./rng.ts";

// Inputs are handled in wire form (tagged JSON), not as host values, because the host cannot tell
// Python's 2 from 2.0 once decoded: a mutation of a float stays a float, an int stays an int, a
// tuple stays a tuple. Every function here keeps the Python type of the value it starts from.

export type Kind = "none" | "bool" | "int" | "float" | "str" | "list" | "tuple" | "set" | "frozenset" | "dict" | "bytes" | "other";

type Tagged = { readonly $t: string; readonly v: Wire };

function tagged(w: Wire): Tagged | null {
  if (w === null || typeof w !== "object" || Array.isArray(w) || !Object.hasOwn(w, "$t")) return null;
  return w as unknown as Tagged;
}

/** The Python type of a wire value. */
export function kindOf(w: Wire): Kind {
  if (w === null) return "none";
  if (typeof w === "boolean") return "bool";
  if (typeof w === "number") return Number.isInteger(w) ? "int" : "float";
  if (typeof w === "string") return "str";
  if (Array.isArray(w)) return "list";
  const t = tagged(w);
  if (t === null) return "dict";
  switch (t.$t) {
    case "int":
    case "float":
    case "tuple":
    case "set":
    case "frozenset":
    case "dict":
    case "bytes":
      return t.$t;
    default:
      return "other";
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int in wire form: a plain number when safe, tagged otherwise. */
export function intWire(n: bigint): Wire {
  if (n <= SAFE && n >= -SAFE) return Number(n);
  return { $t: "int", v: n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}` };
}

/** A float in wire form: integral and special floats are tagged so they stay floats. */
export function floatWire(x: number): Wire {
  if (Number.isNaN(x)) return { $t: "float", v: "nan" };
  if (x === Infinity) return { $t: "float", v: "inf" };
  if (x === -Infinity) return { $t: "float", v: "-inf" };
  if (Object.is(x, -0)) return { $t: "float", v: "-0.0" };
  if (Number.isInteger(x)) return { $t: "float", v: Math.abs(x) < 1e16 ? x.toFixed(1) : String(x) };
  return x;
}

function intOf(w: Wire): bigint {
  if (typeof w === "number") return BigInt(w);
  const t = tagged(w);
  const s = t && typeof t.v === "string" ? t.v : "0";
  return s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s);
}

function floatOf(w: Wire): number {
  if (typeof w === "number") return w;
  const t = tagged(w);
  const s = t && typeof t.v === "string" ? t.v : "0";
  return s === "nan" ? NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s);
}

/** Items of a list, tuple, set or frozenset (for a tagged dict, its [key, value] pairs). */
function itemsOf(w: Wire): Wire[] {
  if (Array.isArray(w)) return w;
  const t = tagged(w);
  return t && Array.isArray(t.v) ? t.v : [];
}

function withItems(w: Wire, items: Wire[]): Wire {
  if (Array.isArray(w)) return items;
  const t = tagged(w);
  return t ? { $t: t.$t, v: items } : items;
}

const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?-+*/%=_()[]{}<>#'\"";

function randomChar(rng: Rng, s: string): string {
  return s.length > 0 && rng.chance(0.5) ? s[rng.int(0, s.length - 1)]! : CHARS[rng.int(0, CHARS.length - 1)]!;
}

function mutateString(s: string, rng: Rng): string {
  const chars = [...s];
  const at = chars.length === 0 ? 0 : rng.int(0, chars.length - 1);
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
      chars.splice(rng.int(0, chars.length), 0, randomChar(rng, s));
      return chars.join("");
    case 2:
      if (chars.length > 0) chars.splice(at, 1);
      return chars.join("");
    case 3:
    case 4:
      if (chars.length > 0) chars[at] = randomChar(rng, s);
      return chars.join("");
    case 5:
      return chars.reverse().join("");
    case 6: {
      const c = chars[at];
      if (c !== undefined) chars[at] = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return chars.join("");
    }
    case 7:
      return s + s.slice(0, rng.int(1, Math.max(1, s.length)));
    case 8:
      if (chars.length > 1) [chars[at], chars[(at + 1) % chars.length]] = [chars[(at + 1) % chars.length]!, chars[at]!];
      return chars.join("");
    case 9:
      // One character alone: words, digits and operators are often what a string stands for.
      return rng.chance(0.5) ? randomChar(rng, "") : chars.slice(0, rng.int(0, chars.length)).join("");
    default:
      return chars.slice(0, rng.int(0, chars.length)).join("");
  }
}

function mutateInt(n: bigint, rng: Rng): bigint {
  switch (rng.int(0, 9)) {
    case 0:
      return n + 1n;
    case 1:
      return n - 1n;
    case 2:
      return -n;
    case 3:
      return BigInt(rng.int(-3, 3));
    case 4:
      return n * 2n;
    case 5:
      return n / 2n;
    case 6:
      return BigInt(rng.int(-100, 100));
    case 7:
      return n + BigInt(rng.int(-10, 10));
    case 8:
      return BigInt(rng.int(0, 20));
    default:
      return BigInt(rng.pick([10, 99, 100, 1000, 12345, -1000, 2 ** 31]));
  }
}

function mutateFloat(x: number, rng: Rng): number {
  switch (rng.int(0, 9)) {
    case 0:
      return x + 0.5;
    case 1:
      return x - 0.5;
    case 2:
      return -x;
    case 3:
      return rng.pick([0, 1, -1, 0.5, -0.5, 1.5, 2.5]);
    case 4:
      return x * 2;
    case 5:
      return x / 2;
    case 6:
      return Math.round(x);
    case 7:
      return Math.round((rng.next() * 20 - 10) * 10) / 10;
    case 8:
      return x + rng.pick([1e-9, -1e-9, 0.1, -0.1]);
    default:
      return Math.round(x) + rng.pick([0.5, 0.49, 0.51]);
  }
}

/** Values of the same kind as `w` found elsewhere (other inputs' values at the same place). */
export type Donors = readonly Wire[];

/** An element for a container, taken from itself or from donors of the same kind. */
function donorItem(w: Wire, donors: Donors, rng: Rng): Wire | undefined {
  const own = itemsOf(w);
  const pool = own.length > 0 && rng.chance(0.7) ? own : donors.flatMap(itemsOf);
  return pool.length > 0 ? rng.pick(pool) : own[0];
}

function mutateItems(w: Wire, donors: Donors, rng: Rng, depth: number): Wire {
  const items = [...itemsOf(w)];
  const at = items.length === 0 ? 0 : rng.int(0, items.length - 1);
  const op = rng.int(0, 9);
  if (op <= 2 && items.length > 0) {
    const donorsAt = donors.flatMap(itemsOf);
    items[at] = mutate(items[at]!, donorsAt, rng, depth + 1);
  } else if (op <= 4) {
    const item = donorItem(w, donors, rng);
    if (item !== undefined) items.splice(rng.int(0, items.length), 0, rng.chance(0.5) ? item : mutate(item, [], rng, depth + 1));
  } else if (op === 5 && items.length > 0) {
    items.splice(at, 1);
  } else if (op === 6 && items.length > 1) {
    const j = rng.int(0, items.length - 1);
    [items[at], items[j]] = [items[j]!, items[at]!];
  } else if (op === 7) {
    items.reverse();
  } else if (op === 8) {
    sortWires(items);
  } else if (items.length > 0) {
    items.splice(rng.int(0, items.length), 0, items[at]!);
  }
  return withItems(w, items);
}

/** Sorts numbers or strings in place (other items keep their order). */
function sortWires(items: Wire[]): void {
  if (items.every((x) => typeof x === "number")) items.sort((x, y) => Number(x) - Number(y));
  else if (items.every((x) => typeof x === "string")) items.sort();
}

function mutateDict(w: Wire, donors: Donors, rng: Rng, depth: number): Wire {
  if (tagged(w)) {
    const pairs = itemsOf(w).filter((p): p is [Wire, Wire] => Array.isArray(p) && p.length === 2);
    if (pairs.length === 0) return w;
    const at = rng.int(0, pairs.length - 1);
    const [k, v] = pairs[at]!;
    const op = rng.int(0, 2);
    if (op === 0 && pairs.length > 1) pairs.splice(at, 1);
    else if (op === 1) pairs[at] = [mutate(k, [], rng, depth + 1), v];
    else pairs[at] = [k, mutate(v, [], rng, depth + 1)];
    return withItems(w, pairs);
  }
  const obj = w as { [key: string]: Wire };
  const keys = Object.keys(obj);
  const out: { [key: string]: Wire } = {};
  for (const k of keys) Object.defineProperty(out, k, { value: obj[k], enumerable: true, writable: true, configurable: true });
  const op = rng.int(0, 3);
  if (keys.length === 0 || op === 0) {
    const donorKeys = donors.flatMap((d) => (d !== null && typeof d === "object" && !Array.isArray(d) && !tagged(d) ? Object.entries(d) : []));
    const [k, v] = donorKeys.length > 0 ? rng.pick(donorKeys) : [mutateString(keys[0] ?? "a", rng), keys[0] !== undefined ? obj[keys[0]]! : 0];
    Object.defineProperty(out, k === "$t" ? "t" : k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  }
  const k = rng.pick(keys);
  if (op === 1) {
    Reflect.deleteProperty(out, k);
  } else {
    out[k] = mutate(obj[k]!, [], rng, depth + 1);
  }
  return out;
}

/**
 * One random change to a value that keeps its Python type (an int stays an int, a list stays a
 * list). `donors` are other values found at the same place in other inputs, a source of elements
 * for empty containers.
 */
export function mutate(w: Wire, donors: Donors, rng: Rng, depth = 0): Wire {
  if (depth > 8) return w;
  switch (kindOf(w)) {
    case "bool":
      return !(w as boolean);
    case "int":
      return intWire(mutateInt(intOf(w), rng));
    case "float":
      return floatWire(mutateFloat(floatOf(w), rng));
    case "str":
      return mutateString(w as string, rng);
    case "list":
    case "tuple":
    case "set":
    case "frozenset":
      return dedupeSet(mutateItems(w, donors, rng, depth));
    case "dict":
      return mutateDict(w, donors, rng, depth);
    default:
      return w;
  }
}

/** A mutated set may hold the same item twice in wire form; Python would keep one, and so do we. */
function dedupeSet(w: Wire): Wire {
  const k = kindOf(w);
  if (k !== "set" && k !== "frozenset") return w;
  const seen = new Set<string>();
  return withItems(
    w,
    itemsOf(w).filter((x) => {
      const key = JSON.stringify(x);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  );
}

const INT_EDGES = [0, 1, -1, 2, -2, 3, 4, 5, 7, 10, -10, 11, 100, 1000];
const FLOAT_EDGES = [0, 1, -1, 0.5, -0.5, 1.5, 2.5, 3.7, -2.5, 1e-7, 1e6];
const STRING_EDGES = ["", " ", "a", "A", "z", "0", "1", "aa", "ab", "ba", "aA", "abc", "aba", "a b", "Hello World", "12", "a1", "  a  ", "!", "aaaa", "+", "-", "*", "/", "(", ")"];

/**
 * Boundary values of the kind of `w`: zero, one, minus one and a few landmarks for numbers; the
 * empty, one-character and case-mixed strings; the empty, one-item, doubled, reversed and sorted
 * containers (built from `w`'s own items, so element types are kept).
 */
export function boundaries(w: Wire): Wire[] {
  switch (kindOf(w)) {
    case "bool":
      return [true, false];
    case "int": {
      const n = intOf(w);
      return [...INT_EDGES.map((x) => intWire(BigInt(x))), intWire(n + 1n), intWire(n - 1n), intWire(-n)];
    }
    case "float": {
      const x = floatOf(w);
      return [...FLOAT_EDGES, x + 0.5, -x].map(floatWire);
    }
    case "str": {
      const s = w as string;
      return [...STRING_EDGES, s.toUpperCase(), s.toLowerCase(), [...s].reverse().join(""), s + s, s.slice(1), s.slice(0, -1)];
    }
    case "list":
    case "tuple":
    case "set":
    case "frozenset": {
      const items = itemsOf(w);
      const out: Wire[] = [withItems(w, [])];
      if (items.length > 0) {
        const first = items[0]!;
        out.push(withItems(w, [first]), withItems(w, items.slice(1)), withItems(w, items.slice(0, -1)));
        for (const b of boundaries(first).slice(0, 6)) out.push(withItems(w, [b]), withItems(w, [b, b]), withItems(w, [...items, b]));
        out.push(withItems(w, [...items].reverse()));
        const sorted = [...items];
        sortWires(sorted);
        out.push(withItems(w, sorted), withItems(w, [...sorted].reverse()), withItems(w, [...items, ...items]));
      }
      return out.map(dedupeSet);
    }
    case "dict":
      return tagged(w) ? [withItems(w, []), withItems(w, itemsOf(w).slice(0, 1))] : [{}];
    default:
      return [];
  }
}
