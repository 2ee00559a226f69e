import { describe, expect, it } from "vitest";
import { caught } from "../../test/support/caught.ts";
import { canonicalJson, compareVersions, parseToolRef, refAsName, parseToolSpec, parseVerificationRecord, specOf, toolHash, type ToolSpec } from "./tool.ts";

const spec: ToolSpec = {
  name: "sum_list",
  version: "1.0.0",
  language: "python",
  source: "def sum_list(xs):\n    return sum(xs)\n",
  entryPoint: "sum_list",
  description: "Sum of a list.",
  inputSchema: { type: "object", properties: { xs: { type: "array", items: { type: "integer" } } } },
  outputSchema: { type: "integer" },
  examples: [{ args: [[1, 2]], output: 3 }],
  tests: [],
  properties: [],
  dependencies: [],
  provenance: { task: "HumanEval/0" },
};

describe("canonicalJson", () => {
  it("should sort keys at every depth and drop whitespace and undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it("should refuse values JSON cannot carry exactly, saying where they are", () => {
    expect(caught(() => canonicalJson({ a: [1, Number.NaN] })).message).toMatch(/value\.a\[1\] is NaN/u);
    expect(caught(() => canonicalJson({ a: 1n })).message).toMatch(/bigint/u);
    expect(caught(() => canonicalJson({ a: new Set([1]) })).message).toMatch(/Set, not plain JSON/u);
    const cycle: Record<string, unknown> = {};
    cycle["self"] = cycle;
    expect(caught(() => canonicalJson(cycle)).message).toMatch(/refers back/u);
  });
});

describe("toolHash", () => {
  it("should not depend on key order, and change with any byte of the spec", () => {
    const reordered = JSON.parse(JSON.stringify({ ...spec, provenance: spec.provenance, name: spec.name })) as ToolSpec;
    expect(toolHash(reordered)).toBe(toolHash(spec));
    expect(toolHash({ ...spec, source: `${spec.source} ` })).not.toBe(toolHash(spec));
    expect(toolHash({ ...spec, version: "1.0.1" })).not.toBe(toolHash(spec));
    expect(toolHash(spec)).toMatch(/^[0-9a-f]{64}$/u);
  });
});

describe("parseToolSpec", () => {
  it("should fill defaults so an omitted list hashes like an empty one", () => {
    const { examples: _e, tests: _t, properties: _p, dependencies: _d, provenance: _v, ...minimal } = spec;
    const parsed = parseToolSpec(minimal);
    expect(parsed.tests).toStrictEqual([]);
    expect(parsed.provenance).toStrictEqual({});
    expect(toolHash(parsed)).toBe(toolHash({ ...spec, examples: [], provenance: {} }));
  });

  it("should report every problem at once with its path", () => {
    const error = caught(() => parseToolSpec({ ...spec, language: "ruby", entryPoint: "not valid", examples: [{ args: "x" }], extra: 1 }));
    expect(error.code).toBe("invalid_argument");
    const issues = error.details["issues"] as string[];
    expect(issues.some((i) => i.startsWith("language:"))).toBe(true);
    expect(issues.some((i) => i.startsWith("entryPoint:"))).toBe(true);
    expect(issues.some((i) => i.startsWith("examples.0.args:"))).toBe(true);
    expect(issues.some((i) => /extra/u.test(i))).toBe(true);
    expect(error.message).toMatch(/^the tool spec "sum_list" is not valid/u);
  });

  it("should refuse a non-object input schema, explaining the convention", () => {
    expect(caught(() => parseToolSpec({ ...spec, inputSchema: { type: "array" } })).message).toMatch(/its properties are the parameters/u);
  });

  it("should refuse NUL bytes and a non-hash parent", () => {
    expect(caught(() => parseToolSpec({ ...spec, source: "x\0" })).message).toMatch(/NUL/u);
    expect(caught(() => parseToolSpec({ ...spec, provenance: { parents: ["abc"] } })).message).toMatch(/sha256/u);
  });

  it("should return only the spec's fields from a stored tool (specOf)", () => {
    expect(toolHash(specOf({ ...spec, hash: "x", createdAt: "y" } as ToolSpec))).toBe(toolHash(spec));
  });
});

describe("parseVerificationRecord", () => {
  it("should accept a full record and refuse a bad date", () => {
    const record = { status: "verified", checkedAt: "2026-01-01T00:00:00Z", checks: [{ kind: "property", name: "p", status: "failed", seed: 7, counterexample: [1] }], runtime: { python: "3.11" }, sandboxPolicy: {} };
    expect(parseVerificationRecord(record).checks[0]?.seed).toBe(7);
    expect(caught(() => parseVerificationRecord({ ...record, checkedAt: "yesterday" })).message).toMatch(/checkedAt/u);
  });
});

describe("versions and references", () => {
  it("should order versions as semver does", () => {
    const sorted = ["1.10.0", "1.2.0", "2", "1.2.0-rc.1", "1.2.0-alpha", "1.2.0-rc.10", "1.3"].sort(compareVersions);
    expect(sorted).toStrictEqual(["1.2.0-alpha", "1.2.0-rc.1", "1.2.0-rc.10", "1.2.0", "1.3", "1.10.0", "2"]);
    expect(compareVersions("1.2", "1.2.0")).toBe(0);
  });

  it("should read names, versions and hashes, and say which forms exist", () => {
    expect(parseToolRef("sum_list")).toStrictEqual({ kind: "name", name: "sum_list", version: "latest" });
    expect(parseToolRef("sum_list@1.2.3")).toStrictEqual({ kind: "name", name: "sum_list", version: "1.2.3" });
    expect(parseToolRef("0123abcd")).toStrictEqual({ kind: "hash", hash: "0123abcd" });
    expect(parseToolRef("abcdef12")).toStrictEqual({ kind: "hash", hash: "abcdef12" });
    expect(refAsName(parseToolRef("abcdef12"))).toStrictEqual({ kind: "name", name: "abcdef12", version: "latest" });
    expect(refAsName(parseToolRef("0123abcd"))).toBeNull();
    expect(caught(() => parseToolRef("x@banana")).message).toMatch(/name@1\.2\.0/u);
  });
});
