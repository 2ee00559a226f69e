// How the gate compares and shows tool values. Tools answer in JSON (that is how agents receive
// them), so outputs are compared in their JSON view: a Python tuple equals the list a test
// expects, 2 equals 2.0, and floats agree within a relative tolerance.
import { decode, encode, type Wire } from "../sandbox/guest/codec.mjs";
import { jsonView } from "../verify/inputs/values.ts";

/** Relative tolerance for floats (and absolute near zero): outputs printed from doubles round-trip. */
export const FLOAT_TOLERANCE = 1e-9;

/** True when two JSON values are equal, numbers within `FLOAT_TOLERANCE`, object keys in any order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return a === b || Math.abs(a - b) <= FLOAT_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameJson(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Two tool values (host values or decoded wire) agree as JSON. */
export function sameValue(a: unknown, b: unknown): boolean {
  return sameJson(jsonView(a), jsonView(b));
}

/** The host value a wire value stands for. */
export function fromWire(wire: Wire): unknown {
  return decode(wire);
}

/** Wire form of a host value, for records (examples, counterexamples). */
export function toWire(value: unknown): Wire {
  return encode(value);
}

/** A short JSON text of a value for check details (long values are cut). */
export function shown(value: unknown, max = 300): string {
  let text: string;
  try {
    text = JSON.stringify(jsonView(value)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
