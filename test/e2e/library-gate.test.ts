// The library's admission gate, invocation, dependencies, duplicates, probing, re-verification and
// the seed tools, against the real sandbox and a real SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrucibleError } from "../../src/errors.ts";
import { openLibrary, type Library } from "../../src/library/library.ts";
import { seedLibrary, seedSpecs } from "../../src/library/seed/index.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";

let sandbox: Sandbox;
let dir: string;
let library: Library;

beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2 });
  dir = mkdtempSync(join(tmpdir(), "crucible-gate-"));
  library = await openLibrary({ url: join(dir, "library.db"), sandbox, gate: { propertyRuns: 50 } });
});
afterAll(async () => {
  await library.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const str = { type: "string", maxLength: 50 };
const int = { type: "integer", minimum: -1000, maximum: 1000 };

function spec(name: string, source: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    version: "1.0.0",
    language: "python",
    source,
    entryPoint: name,
    description: `test tool ${name}`,
    inputSchema: { type: "object", properties: { a: int, b: int }, required: ["a", "b"] },
    outputSchema: { type: "integer" },
    tests: [
      { name: "small", args: [2, 3], expected: 5 },
      { name: "negative", args: [-2, 3], expected: 1 },
      { name: "zero", args: [0, 0], expected: 0 },
    ],
    ...overrides,
  };
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("admission gate", () => {
  it("should refuse a tool with a failing test and say which test failed", async () => {
    const report = await library.add(spec("bad_add", "def bad_add(a, b):\n    return a + b if a >= 0 else a - b\n"));
    expect(report.admitted).toBe(false);
    expect(report.tool).toBeNull();
    const failed = report.verification.checks.filter((c) => c.status !== "passed" && c.status !== "skipped");
    expect(failed.map((c) => `${c.kind}:${c.name}`)).toEqual(["test:negative"]);
    expect(failed[0]!.detail).toContain("expected 1, got -5");
    expect(report.reason).toContain("negative");
    expect(await library.get("bad_add")).toBeNull();
  });

  it("should refuse a tool whose output violates its output schema", async () => {
    const report = await library.add(
      spec("str_add", "def str_add(a, b):\n    return str(a + b)\n", { tests: [{ name: "small", args: [2, 3], expected: "5" }] }),
    );
    expect(report.admitted).toBe(false);
    const failed = report.verification.checks.find((c) => c.status === "failed")!;
    expect(failed.kind).toBe("test");
    expect(failed.detail).toMatch(/does not match the output schema/u);
  });

  it("should admit a passing tool with a record of every check, its seed, runtime and limits", async () => {
    const report = await library.add(
      spec("add_ints", "def add_ints(a, b):\n    return a + b\n", {
        examples: [{ args: [1, 1], output: 2 }],
        properties: [{ name: "commutes", predicate: "def prop(args, output):\n    return add_ints(args['b'], args['a']) == output" }],
      }),
    );
    expect(report.admitted, report.reason ?? "").toBe(true);
    expect(report.created).toBe(true);
    const kinds = report.verification.checks.map((c) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(["schema", "load", "example", "test", "conformance", "property"]));
    expect(report.verification.checks.every((c) => c.status === "passed" || c.status === "skipped")).toBe(true);
    expect(report.verification.runtime["python"]).toMatch(/^3\.\d+/u);
    expect(report.verification.runtime["crucible"]).toBeDefined();
    expect(report.verification.sandboxPolicy["wallTimeMs"]).toBeGreaterThan(0);
    expect(typeof report.verification.seed).toBe("number");
    const stored = await library.get("add_ints");
    expect(stored?.status).toBe("verified");
  });

  it("should report a property's shrunk counterexample", async () => {
    const report = await library.add(
      spec("sub_ints", "def sub_ints(a, b):\n    return a - b\n", {
        tests: [{ name: "small", args: [5, 3], expected: 2 }],
        properties: [{ name: "commutes", predicate: "def prop(args, output):\n    return sub_ints(args['b'], args['a']) == output" }],
      }),
    );
    expect(report.admitted).toBe(false);
    const prop = report.verification.checks.find((c) => c.kind === "property")!;
    expect(prop.status).toBe("failed");
    expect(Array.isArray(prop.counterexample)).toBe(true);
    const [a, b] = prop.counterexample as number[];
    expect(a).not.toBe(b);
    expect(Math.abs(a!) + Math.abs(b!)).toBeLessThanOrEqual(2);
  });
});

describe("properties judged apart from the tool", () => {
  const lists = {
    inputSchema: { type: "object", properties: { xs: { type: "array", items: int, maxItems: 8 } }, required: ["xs"] },
    outputSchema: { type: "array", items: { type: "integer" } },
    tests: [
      { name: "positive", args: [[1, 2]], expected: [1, 2] },
      { name: "empty", args: [[]], expected: [] },
      { name: "zero", args: [[0]], expected: [0] },
    ],
    properties: [{ name: "non-negative", predicate: "def prop(args, output):\n    return all(x >= 0 for x in output)" }],
  };

  it("should refuse a tool that shadows a builtin its property uses", async () => {
    // Wrong on negative numbers; its `all` would answer True for the predicate if the predicate ran among the tool's names.
    const source = "def all(items):\n    return True\n\ndef abs_all(xs):\n    return list(xs)\n";
    const report = await library.add(spec("abs_all", source, lists));
    expect(report.admitted).toBe(false);
    const failed = report.verification.checks.filter((c) => c.status !== "passed" && c.status !== "skipped");
    expect(failed.map((c) => `${c.kind}:${c.name}`)).toEqual(["property:non-negative"]);
    expect(failed[0]!.counterexample).toEqual([[-1]]);
    expect(failed[0]!.detail).toMatch(/predicate is false .*replay with seed \d+, path [\d:]+/u);
  });

  it("should refuse a tool that replaces the code running its property in its own interpreter", async () => {
    // At load it swaps the toolbox's property runner (a frame up) for one that always says "holds".
    const source = [
      "import sys",
      "_toolbox = sys._getframe(1).f_globals",
      "if '_crucible_property' in _toolbox:",
      "    _toolbox['_crucible_property'] = lambda key, predicate, names, args: {'holds': True, 'output': None}",
      "_toolbox['__crucible_judge__'] = lambda name, args, result: ['pass', '', None]",
      "",
      "def abs_all2(xs):",
      "    return list(xs)",
      "",
    ].join("\n");
    const report = await library.add(spec("abs_all2", source, lists));
    expect(report.admitted).toBe(false);
    const failed = report.verification.checks.filter((c) => c.status !== "passed" && c.status !== "skipped");
    expect(failed.map((c) => `${c.kind}:${c.name}`)).toEqual(["property:non-negative"]);
    expect(failed[0]!.counterexample).toEqual([[-1]]);
  });

  it("should let a property call its tool and a JavaScript property judge a TypeScript tool", async () => {
    const report = await library.add(
      spec("ts_double", "function ts_double(a: number, b: number): number {\n  return a * 2 + b * 0;\n}\n", {
        language: "typescript",
        tests: [
          { name: "two", args: [2, 0], expected: 4 },
          { name: "zero", args: [0, 5], expected: 0 },
          { name: "negative", args: [-3, 1], expected: -6 },
        ],
        properties: [
          { name: "halves back", predicate: "function prop(args, output) {\n  return output / 2 === args.a && ts_double(args.a, 0) === output;\n}" },
          { name: "even", predicate: "function prop(args, output) {\n  return output % 2 === 1;\n}" },
        ],
      }),
    );
    const props = report.verification.checks.filter((c) => c.kind === "property");
    expect(props.map((c) => [c.name, c.status])).toEqual([
      ["halves back", "passed"],
      ["even", "failed"],
    ]);
    expect(props[1]!.counterexample).toEqual([0, 0]);
  });
});

describe("calling tools", () => {
  it("should validate arguments, run in the sandbox and count the use", async () => {
    const result = await library.call("add_ints", { a: 20, b: 22 });
    expect(result.status).toBe("ok");
    expect(result.value).toBe(42);
    const bad = await thrown(library.call("add_ints", { a: "x", b: 1 }));
    expect(isCrucibleError(bad, "invalid_argument")).toBe(true);
    const unknown = await thrown(library.call("no_such_tool", {}));
    expect(isCrucibleError(unknown, "not_found")).toBe(true);
    const tool = await library.get("add_ints");
    expect((await library.store.usage(tool!.hash))?.calls).toBe(1);
  });

  it("should run a chain of dependencies inside one sandbox session, each in its own namespace", async () => {
    const base = spec("helper_norm", "def _clean(s):\n    return s.strip()\n\ndef helper_norm(s):\n    return _clean(s).lower()\n", {
      inputSchema: { type: "object", properties: { s: str }, required: ["s"] },
      outputSchema: { type: "string" },
      tests: [
        { name: "strip", args: ["  Hi "], expected: "hi" },
        { name: "empty", args: [""], expected: "" },
        { name: "upper", args: ["ABC"], expected: "abc" },
      ],
    });
    const middle = spec("helper_words", "def _clean(s):\n    return s  # a helper of the same name as the dependency's: no clash\n\ndef helper_words(s):\n    return [w for w in helper_norm(s).split(' ') if _clean(w)]\n", {
      inputSchema: { type: "object", properties: { s: str }, required: ["s"] },
      outputSchema: { type: "array", items: { type: "string" } },
      dependencies: ["helper_norm"],
      tests: [
        { name: "two", args: [" Hello World "], expected: ["hello", "world"] },
        { name: "none", args: [""], expected: [] },
        { name: "one", args: ["X"], expected: ["x"] },
      ],
    });
    const top = spec("helper_count", "def helper_count(s):\n    return len(tools.helper_words(s))\n", {
      inputSchema: { type: "object", properties: { s: str }, required: ["s"] },
      tests: [
        { name: "two", args: ["a b"], expected: 2 },
        { name: "none", args: [""], expected: 0 },
        { name: "three", args: ["A b C"], expected: 3 },
      ],
    });
    const reports = await library.addMany([top, middle, base]);
    expect(reports.map((r) => [r.name, r.admitted, r.reason])).toEqual([
      ["helper_count", true, null],
      ["helper_words", true, null],
      ["helper_norm", true, null],
    ]);
    // helper_count's dependency on helper_words was found in its source (tools.helper_words).
    expect(reports[0]!.tool!.dependencies.map((d) => d.name)).toEqual(["helper_words"]);
    expect(reports[0]!.tool!.dependencies[0]!.hash).toBe(reports[1]!.hash);
    const result = await library.call("helper_count", { s: "  One two THREE four " });
    expect(result.status).toBe("ok");
    expect(result.value).toBe(4);
  });

  it("should refuse a tool whose dependency is not in the library", async () => {
    const error = await thrown(library.add(spec("needs_ghost", "def needs_ghost(a, b):\n    return ghost(a, b)\n", { dependencies: ["ghost"] })));
    expect(isCrucibleError(error, "invalid_argument")).toBe(true);
    expect((error as Error).message).toContain("ghost");
  });
});

describe("duplicates by behaviour", () => {
  it("should report two differently named tools that behave the same, and not one that differs", async () => {
    const twin = await library.add(spec("plus_ints", "def plus_ints(x, y):\n    total = x\n    total += y\n    return total\n"));
    expect(twin.admitted).toBe(true);
    expect(twin.duplicates.map((d) => d.name)).toContain("add_ints");
    expect(twin.duplicates[0]!.answered).toBeGreaterThanOrEqual(5);
    // Same signature and the same answers on its tests, but a - b whenever a is a multiple of 3.
    const different = await library.add(spec("odd_add", "def odd_add(a, b):\n    return a + b if a % 3 else a - b\n"));
    expect(different.admitted, different.reason ?? "").toBe(true);
    expect(different.duplicates.map((d) => d.name)).not.toContain("add_ints");
    expect(different.duplicates.map((d) => d.name)).not.toContain("plus_ints");
    const mul = await library.add(spec("mul_ints", "def mul_ints(a, b):\n    return a * b\n", { tests: [{ name: "small", args: [2, 3], expected: 6 }] }));
    expect(mul.admitted).toBe(true);
    expect(mul.duplicates).toEqual([]);
  });
});

describe("probing", () => {
  it("should record representative examples and the inputs a tool rejects", async () => {
    const report = await library.add({
      name: "safe_div",
      version: "1.0.0",
      language: "python",
      source: "def safe_div(a, b):\n    if b == 0:\n        raise ZeroDivisionError('b must not be zero')\n    return a // b\n",
      entryPoint: "safe_div",
      description: "integer division",
      inputSchema: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 9 }, b: { type: "integer", minimum: 0, maximum: 2 } }, required: ["a", "b"] },
      outputSchema: { type: "integer" },
      tests: [{ name: "six by two", args: [6, 2], expected: 3 }],
    });
    expect(report.admitted, report.reason ?? "").toBe(true);
    expect(report.probe).not.toBeNull();
    expect(report.probe!.examples.length).toBeGreaterThan(0);
    expect(report.tool!.examples).toEqual(report.probe!.examples);
    expect(report.probe!.rejected.some((r) => r.reason.includes("ZeroDivisionError"))).toBe(true);
    const rejects = report.verification.checks.filter((c) => c.kind === "probe" && c.name.startsWith("rejects"));
    expect(rejects.length).toBeGreaterThan(0);
    expect((rejects[0]!.counterexample as number[])[1]).toBe(0);
  });
});

describe("re-verification", () => {
  it("should flag a tool that stops passing and stop serving it", async () => {
    const base = await library.add(spec("base_add", "def base_add(a, b):\n    return a + b\n"));
    expect(base.admitted).toBe(true);
    const dependent = await library.add(spec("uses_base", "def uses_base(a, b):\n    return tools.base_add(a, b)\n"));
    expect(dependent.admitted).toBe(true);
    expect((await library.verify("uses_base")).map((r) => r.status)).toEqual(["verified"]);
    await library.remove("base_add");
    const reports = await library.verify("uses_base");
    expect(reports[0]!.previous).toBe("verified");
    expect(reports[0]!.status).toBe("flagged");
    expect(reports[0]!.record.reason).toContain("base_add");
    expect((await library.store.verifications(dependent.hash)).length).toBe(3);
    const refused = await thrown(library.call("uses_base", { a: 1, b: 2 }));
    expect(isCrucibleError(refused, "not_found")).toBe(true);
    expect((refused as Error).message).toContain("flagged");
  });

  it("should re-verify a tool recorded under another runtime before serving it", async () => {
    const tool = (await library.get("add_ints"))!;
    await library.store.addVerification(tool.hash, { ...tool.verification, runtime: { ...tool.verification.runtime, python: "3.0.0" } });
    const stale = await library.verify(undefined, { onlyStale: true });
    expect(stale.map((r) => [r.name, r.runtimeChanged, r.status])).toEqual([["add_ints", true, "verified"]]);
    expect((await library.get("add_ints"))!.verification.runtime["python"]).not.toBe("3.0.0");
    expect(await library.verify(undefined, { onlyStale: true })).toEqual([]);
  });
});

describe("seed library", () => {
  it("should admit every seed tool through the gate", async () => {
    const specs = seedSpecs();
    expect(specs.length).toBeGreaterThanOrEqual(30);
    const report = await seedLibrary(library);
    expect(report.refused.map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(report.admitted).toBe(specs.length);
    for (const r of report.reports) expect(r.verification.checks.filter((c) => c.kind === "test").length).toBeGreaterThanOrEqual(3);
    const semver = await library.call("semver_sort", { versions: ["1.10.0", "1.2.0", "1.0.0-rc.1"] });
    expect(semver.value).toEqual(["1.0.0-rc.1", "1.2.0", "1.10.0"]);
    const luhn = await library.call("luhn_valid", { number: "4111 1111 1111 1111" });
    expect(luhn.value).toBe(true);
  }, 180_000);
});
