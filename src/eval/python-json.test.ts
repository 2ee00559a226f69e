import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Wire } from "../sandbox/guest/codec.mjs";
import { parsePythonJson, parsePythonJsonRows } from "./python-json.ts";
import { caught } from "../../test/support/caught.ts";

const DATA = fileURLToPath(new URL("../../../shared/datasets/", import.meta.url));

function lines(file: string): string[] {
  return gunzipSync(readFileSync(DATA + file))
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}


/** Every tagged value in a wire tree, with its tag. */
function tagged(w: Wire, out: { $t: string; v: Wire }[] = []): { $t: string; v: Wire }[] {
  if (Array.isArray(w)) for (const x of w) tagged(x, out);
  else if (w !== null && typeof w === "object") {
    if (typeof w["$t"] === "string") {
      out.push({ $t: w["$t"], v: w["v"] ?? null });
      if (w["$t"] === "dict" && Array.isArray(w["v"])) for (const pair of w["v"]) tagged(pair, out);
    } else for (const x of Object.values(w)) tagged(x, out);
  }
  return out;
}

/** Wire → a canonical text, reading tags the way an independent reader would (big ints exact, floats as numbers). */
function canonWire(w: Wire): string {
  if (Array.isArray(w)) return `[${w.map(canonWire).join(",")}]`;
  if (w === null || typeof w !== "object") return canonPlain(w);
  if (w["$t"] === "int") return `n${BigInt(w["v"] as string)}`;
  if (w["$t"] === "float") return canonPlain(Number(w["v"]));
  if (w["$t"] === "dict") return canonObject((w["v"] as [string, Wire][]).map(([k, v]) => [k, canonWire(v)]));
  return canonObject(Object.entries(w).map(([k, v]) => [k, canonWire(v)]));
}

/** The same canonical text for what JSON.parse returns (bigints for integer literals past 2**53). */
function canonPlain(v: unknown): string {
  if (typeof v === "bigint") return `n${v}`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (Array.isArray(v)) return `[${v.map(canonPlain).join(",")}]`;
  if (v !== null && typeof v === "object") return canonObject(Object.entries(v).map(([k, x]) => [k, canonPlain(x)]));
  return JSON.stringify(v);
}

function canonObject(entries: [string, string][]): string {
  return `{${entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
    .join(",")}}`;
}

/** The oracle: JSON.parse with the source text of each number (Node 24), big ints as bigints. */
function viaJsonParse(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    const src = context?.source;
    if (typeof value === "number" && src !== undefined && /^-?\d+$/.test(src) && !Number.isSafeInteger(value)) return BigInt(src);
    return value;
  });
}

describe("parsePythonJson: numbers", () => {
  it("should keep ints within 2**53 - 1 as numbers and tag larger ones with their exact decimal text", () => {
    expect(parsePythonJson("9007199254740991")).toBe(9007199254740991);
    expect(parsePythonJson("-9007199254740991")).toBe(-9007199254740991);
    expect(parsePythonJson("9007199254740992")).toStrictEqual({ $t: "int", v: "9007199254740992" });
    expect(parsePythonJson("-9007199254740993")).toStrictEqual({ $t: "int", v: "-9007199254740993" });
    expect(parsePythonJson("123456789012345678901234567890")).toStrictEqual({ $t: "int", v: "123456789012345678901234567890" });
    expect(parsePythonJson("1000000000000000")).toBe(1e15);
  });

  it("should read -0 as the int 0, as Python does", () => {
    expect(Object.is(parsePythonJson("-0"), 0)).toBe(true);
  });

  it("should keep integral float literals as tagged floats with their source text, so 1.0 stays a Python float", () => {
    expect(parsePythonJson("1.0")).toStrictEqual({ $t: "float", v: "1.0" });
    expect(parsePythonJson("1e+22")).toStrictEqual({ $t: "float", v: "1e+22" });
    expect(parsePythonJson("2E3")).toStrictEqual({ $t: "float", v: "2E3" });
    expect(parsePythonJson("0.0")).toStrictEqual({ $t: "float", v: "0.0" });
    expect(parsePythonJson("1e-400")).toStrictEqual({ $t: "float", v: "1e-400" });
  });

  it("should tag negative zero, overflowing floats and Python's NaN/Infinity tokens", () => {
    expect(parsePythonJson("-0.0")).toStrictEqual({ $t: "float", v: "-0.0" });
    expect(parsePythonJson("-1e-400")).toStrictEqual({ $t: "float", v: "-0.0" });
    expect(parsePythonJson("1e400")).toStrictEqual({ $t: "float", v: "inf" });
    expect(parsePythonJson("-1e400")).toStrictEqual({ $t: "float", v: "-inf" });
    expect(parsePythonJson("[NaN, Infinity, -Infinity]")).toStrictEqual([
      { $t: "float", v: "nan" },
      { $t: "float", v: "inf" },
      { $t: "float", v: "-inf" },
    ]);
  });

  it("should leave non-integral floats as plain numbers, rounded as Python rounds them", () => {
    expect(parsePythonJson("0.5")).toBe(0.5);
    expect(parsePythonJson("-2.5e-3")).toBe(-0.0025);
    expect(parsePythonJson("0.12345678901234568")).toBe(0.12345678901234568);
    expect(parsePythonJson("1e-30")).toBe(1e-30);
  });

  it("should never read NaN or Infinity out of a string", () => {
    expect(parsePythonJson('["NaN", "-Infinity", "x Infinity y", "1.0"]')).toStrictEqual(["NaN", "-Infinity", "x Infinity y", "1.0"]);
  });
});

describe("parsePythonJson: objects", () => {
  it("should return plain objects for ordinary string keys", () => {
    expect(parsePythonJson('{"a": 1, "b": [true, null]}')).toStrictEqual({ a: 1, b: [true, null] });
    expect(parsePythonJson('{"1": "x", "2": "y"}')).toStrictEqual({ 1: "x", 2: "y" });
  });

  it("should keep the text's key order when JavaScript would move integer-like keys first", () => {
    // HumanEval/95 (check_dict_case) iterates its dict's keys in order: the order is part of the input.
    expect(parsePythonJson('{"p": "pineapple", "5": "banana", "a": "apple"}')).toStrictEqual({
      $t: "dict",
      v: [
        ["p", "pineapple"],
        ["5", "banana"],
        ["a", "apple"],
      ],
    });
  });

  it("should carry an object with a literal $t key as dict pairs, so it is never mistaken for a tag", () => {
    expect(parsePythonJson('{"$t": "tuple", "v": [1]}')).toStrictEqual({
      $t: "dict",
      v: [
        ["$t", "tuple"],
        ["v", [1]],
      ],
    });
  });

  it("should keep the first place and the last value of a repeated key, like a Python dict", () => {
    const value = parsePythonJson('{"a": 1, "b": 2, "a": 3}');
    expect(value).toStrictEqual({ a: 3, b: 2 });
    expect(Object.keys(value as object)).toStrictEqual(["a", "b"]);
  });

  it("should keep a __proto__ key as data", () => {
    const value = parsePythonJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.keys(value)).toStrictEqual(["__proto__"]);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

describe("parsePythonJson: strings", () => {
  it("should decode every JSON escape", () => {
    expect(parsePythonJson(String.raw`"a\"b\\c\/d\b\f\n\r\t\u00e9"`)).toBe('a"b\\c/d\b\f\n\r\té');
  });

  it("should join surrogate pairs and keep lone surrogates, as Python does", () => {
    expect(parsePythonJson(String.raw`"\ud83d\ude00"`)).toBe("😀");
    expect(parsePythonJson(String.raw`"\ud800x"`)).toBe("\ud800x");
  });

  it("should keep non-ASCII text as it is", () => {
    expect(parsePythonJson('"héllo, 世界"')).toBe("héllo, 世界");
  });
});

describe("parsePythonJson: errors", () => {
  it.each([
    ["", "Expecting value"],
    ["[1, 2,]", "Expecting value"],
    ["{'a': 1}", "Expecting property name"],
    ["01", "Extra data"],
    ["1.", "Extra data"],
    [".5", "Expecting value"],
    ["+1", "Expecting value"],
    ["-NaN", "Expecting value"],
    ["nan", "Expecting value"],
    ["infinity", "Expecting value"],
    ["1 2", "Extra data"],
    ['"abc', "Unterminated string"],
    ['"a\tb"', "Invalid control character"],
    [String.raw`"\x41"`, "Invalid \\escape"],
    [String.raw`"\u12"`, "Invalid \\uXXXX escape"],
    ['{"a" 1}', "Expecting ':' delimiter"],
    ["[1 2]", "Expecting ',' delimiter"],
    ["\u00a01", "Expecting value"],
    ["// comment\n1", "Expecting value"],
  ])("should reject %j as Python's json does (%s)", (text, message) => {
    const error = caught(() => parsePythonJson(text));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain(message);
  });

  it("should name the line and column of the error", () => {
    const error = caught(() => parsePythonJson('{\n  "a": [1,\n    oops]\n}'));
    expect(error.message).toMatch(/line 3 column 5/);
    expect(error.details).toMatchObject({ line: 3, column: 5 });
  });

  it("should accept 1000 levels of nesting and reject deeper", () => {
    expect(() => parsePythonJson("[".repeat(1000) + "]".repeat(1000))).not.toThrow();
    expect(caught(() => parsePythonJson("[".repeat(1002) + "]".repeat(1002))).message).toContain("deeper than 1000");
  });
});

describe("parsePythonJsonRows", () => {
  it("should give each element of a top-level array with the line it starts on", () => {
    const rows = parsePythonJsonRows('[\n  {"id": 0},\n\n  {"id": 1.0}\n]\n');
    expect(rows).toStrictEqual([
      { value: { id: 0 }, line: 2 },
      { value: { id: { $t: "float", v: "1.0" } }, line: 4 },
    ]);
    expect(parsePythonJsonRows(" [ ] ")).toStrictEqual([]);
  });

  it("should refuse a document that is not an array", () => {
    expect(caught(() => parsePythonJsonRows('{"a": 1}')).message).toContain("Expecting a JSON array");
  });
});

describe("parsePythonJson on the benchmark data", () => {
  const hePlus = lines("humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz");
  const mbppPlus = lines("mbppplus/MbppPlus.jsonl.gz");
  const heRows = hePlus.map((l) => parsePythonJson(l) as { [key: string]: Wire });
  const mbppRows = mbppPlus.map((l) => parsePythonJson(l) as { [key: string]: Wire });

  it("should find big ints in exactly the HumanEval+ tasks known to have them, digit for digit", () => {
    const withBigInts = new Set<string>();
    for (const [i, row] of heRows.entries()) {
      for (const t of tagged([row["base_input"] ?? null, row["plus_input"] ?? null])) {
        if (t.$t !== "int") continue;
        withBigInts.add(row["task_id"] as string);
        const v = t.v as string;
        expect(hePlus[i]).toContain(v);
        const n = BigInt(v);
        expect(n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      }
    }
    const ids = [22, 34, 53, 65, 76, 77, 79, 88, 92, 108, 114, 123, 131, 137, 155].map((n) => `HumanEval/${n}`);
    expect([...withBigInts].sort()).toStrictEqual(ids.sort());
  });

  it("should read HumanEval/53's plus inputs beyond 2**53 exactly", () => {
    const row = heRows[53] as { [key: string]: Wire };
    expect(row["task_id"]).toBe("HumanEval/53");
    const ints = tagged(row["plus_input"] ?? null).filter((t) => t.$t === "int");
    expect(ints.length).toBeGreaterThan(0);
    for (const t of ints) expect(String(BigInt(t.v as string))).toBe(t.v);
  });

  it("should read Mbpp/404's Infinity and -Infinity inputs as tagged floats", () => {
    const row = mbppRows.find((r) => r["task_id"] === "Mbpp/404");
    const plus = row?.["plus_input"] as Wire[][];
    expect(plus[9]).toStrictEqual([
      { $t: "float", v: "-inf" },
      { $t: "float", v: "inf" },
    ]);
    expect(plus).toContainEqual([
      { $t: "float", v: "1e+22" },
      { $t: "float", v: "-1e+22" },
    ]);
    expect(plus).toContainEqual([{ $t: "int", v: "10000000000000000000000" }, 3]);
  });

  it("should keep HumanEval/95's dict key order", () => {
    const row = heRows[95] as { [key: string]: Wire };
    const base = row["base_input"] as Wire[][];
    expect(base[4]?.[0]).toStrictEqual({
      $t: "dict",
      v: [
        ["p", "pineapple"],
        ["5", "banana"],
        ["a", "apple"],
      ],
    });
  });

  it("should agree value for value with JSON.parse on every HumanEval+ and MBPP+ row JSON.parse can read", () => {
    let compared = 0;
    const all = [...hePlus, ...mbppPlus];
    const rows = [...heRows, ...mbppRows];
    const differing: string[] = [];
    for (const [i, line] of all.entries()) {
      if (/\bNaN\b|\bInfinity\b/.test(line)) continue; // JSON.parse cannot read these; covered above
      if (canonWire(rows[i] ?? null) !== canonPlain(viaJsonParse(line))) differing.push(line.slice(0, 40));
      compared++;
    }
    expect(differing).toStrictEqual([]);
    expect(compared).toBe(164 + 377);
  });
});
