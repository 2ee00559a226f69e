import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { CallVerdict, VerdictStatus } from "../../sandbox/verdict.ts";

/**
 * How one call of one program ended, as differential testing compares it: a returned value (wire
 * form), a raised exception (compared by type), a timeout, or a crash of the interpreter (memory,
 * output flood, …, compared by status).
 */
export type Outcome =
  | { readonly kind: "value"; readonly value: Wire; readonly ms: number }
  | { readonly kind: "exception"; readonly type: string; readonly message: string; readonly ms: number }
  | { readonly kind: "timeout"; readonly ms: number }
  | { readonly kind: "crash"; readonly status: VerdictStatus; readonly reason: string | null; readonly ms: number };

/** The outcome of a session call made with `raw: true`. */
export function outcomeOf(v: CallVerdict): Outcome {
  const ms = v.callMs ?? v.wallMs;
  if (v.status === "ok") {
    const value = v.value instanceof Encoded ? v.value.wire : (v.value as Wire);
    return { kind: "value", value: withoutAddresses(value), ms };
  }
  if (v.status === "error" && v.exception) return { kind: "exception", type: v.exception.type, message: v.exception.message.slice(0, 500), ms };
  if (v.status === "timeout") return { kind: "timeout", ms: v.wallMs };
  return { kind: "crash", status: v.status, reason: v.reason, ms };
}

/**
 * Whether two outcomes are the same without looking inside values: `same`, `differ`, or `compare`
 * when both returned values whose wire texts differ (equal values may still be written apart, as
 * 0.30000000000000004 and 0.3 under a tolerance, so the comparator decides). Equal wire text is the
 * same output, NaN included: the two programs did the same thing. Across languages exception types
 * do not match by name (ValueError against RangeError), so only "raised" is compared.
 */
export function sameShape(a: Outcome, b: Outcome, crossLanguage: boolean): "same" | "differ" | "compare" {
  if (a.kind !== b.kind) return "differ";
  switch (a.kind) {
    case "value": {
      const bv = (b as typeof a).value;
      return wireText(a.value) === wireText(bv) ? "same" : "compare";
    }
    case "exception":
      return crossLanguage || a.type === (b as typeof a).type ? "same" : "differ";
    case "crash":
      return a.status === (b as typeof a).status ? "same" : "differ";
    case "timeout":
      return "same";
  }
}

/**
 * A value shown by its repr (a generator, an object) carries a memory address that changes from
 * run to run; without it, two runs that returned the same kind of thing agree.
 */
function withoutAddresses(w: Wire): Wire {
  const text = JSON.stringify(w);
  if (!text.includes('"$t":"repr"') || !/ at 0x[0-9a-fA-F]+/u.test(text)) return w;
  return JSON.parse(text.replace(/ at 0x[0-9a-fA-F]+/gu, " at 0x…")) as Wire;
}

export function wireText(w: Wire): string {
  return JSON.stringify(w);
}

/**
 * A value as both languages can show it: tuples become lists and integral floats plain numbers
 * (JavaScript has neither), so a Python and a TypeScript implementation of one function compare
 * on what they compute, not on how their languages spell it.
 */
export function portable(w: Wire): Wire {
  if (w === null || typeof w !== "object") return w;
  if (Array.isArray(w)) return w.map(portable);
  if (Object.hasOwn(w, "$t")) {
    const t = w["$t"];
    const v = w["v"];
    if (t === "tuple" && Array.isArray(v)) return v.map(portable);
    if (t === "float" && typeof v === "string" && /^-?\d+\.0$/u.test(v)) return Number(v);
    if ((t === "set" || t === "frozenset") && Array.isArray(v)) return { $t: "set", v: v.map(portable) };
    if (t === "dict" && Array.isArray(v)) return { $t: "dict", v: v.map((p) => (Array.isArray(p) ? p.map(portable) : p)) };
    return w;
  }
  const out: { [key: string]: Wire } = {};
  for (const [k, x] of Object.entries(w)) Object.defineProperty(out, k, { value: portable(x), enumerable: true, writable: true, configurable: true });
  return out;
}
