import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadHumanEvalFix, loadQuixBugs, type HumanEvalFixTask, type QuixBugsPair } from "../../src/eval/index.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";
import { Comparator, findDifference, parameterTypes, randomInputs, readExamples, type DiffRequest } from "../../src/verify/index.ts";

let sandbox: Sandbox;
let comparator: Comparator;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2 });
  comparator = await Comparator.open(sandbox);
});
afterAll(async () => {
  await comparator.close();
  await sandbox.close();
});

const py = (code: string, entryPoint = "f") => ({ language: "python" as const, code, entryPoint });
const diff = (request: DiffRequest) => findDifference(sandbox, request, { comparator });

describe("findDifference", () => {
  it("should find a wrong output from a seed's mutants, confirm it, and replay it from the seed", async () => {
    const a = py("def f(xs, k):\n    return sorted(xs)[:k]\n");
    const b = py("def f(xs, k):\n    return sorted(xs)[:k] if len(xs) < 5 else sorted(xs)[: k - 1]\n");
    const request: DiffRequest = { a, b, seeds: [[[3, 1, 2], 2]], budgetMs: 8000, seed: 42 };
    const first = await diff(request);
    expect(first.status).toBe("found");
    if (first.status !== "found") return;
    expect(first.input[0]).toBeInstanceOf(Array);
    expect((first.input[0] as unknown[]).length).toBeGreaterThanOrEqual(5);
    expect(first.a.kind).toBe("value");
    expect(first.b.kind).toBe("value");
    expect(first.seed).toBe(42);
    const again = await diff(request);
    expect(again.status === "found" && again.input).toEqual(first.input);
  });

  it("should report exceptions by type and a hang as a timeout", async () => {
    const a = py("def f(n):\n    return 10 // n if n else 0\n");
    const b = py("def f(n):\n    return 10 // n\n");
    const raised = await diff({ a, b, seeds: [[5]], budgetMs: 5000 });
    expect(raised).toMatchObject({ status: "found", input: [0], a: { kind: "value", value: 0 }, b: { kind: "exception", type: "ZeroDivisionError" } });

    const hang = py("def f(n):\n    while n == 3:\n        pass\n    return n\n");
    const found = await diff({ a: py("def f(n):\n    return n\n"), b: hang, seeds: [[1]], budgetMs: 8000, callTimeoutMs: 200, confirmTimeoutMs: 600 });
    expect(found).toMatchObject({ status: "found", input: [3], b: { kind: "timeout" } });
  });

  it("should not report programs that only look different: equal under float tolerance, or nondeterministic", async () => {
    const a = py("def f(x: float) -> float:\n    return x * 0.1 + x * 0.2\n");
    const b = py("def f(x: float) -> float:\n    return x * 0.3\n");
    // Finite inputs of moderate size: past 1e10 the two sums' rounding differs by more than the 1e-6
    // tolerance, a real difference; which inputs a time-boxed search reaches varies with the machine.
    const same = await diff({ a, b, seeds: [[1.5]], random: randomInputs([{ type: "number", minimum: -1e6, maximum: 1e6 }]), budgetMs: 1500 });
    expect(same.status).toBe("not_found");

    const noisy = py("import random\ndef f(x):\n    return x + random.random()\n");
    const flaky = await diff({ a: noisy, b: noisy, seeds: [[1]], budgetMs: 1500 });
    expect(flaky).toMatchObject({ status: "not_found" });
    expect(flaky.status === "not_found" && flaky.unconfirmed).toBeGreaterThan(0);
  });

  it("should compare a Python and a TypeScript implementation of one function", async () => {
    const a = py("def f(xs: list[int]) -> int:\n    return sum(x for x in xs if x % 2 == 0)\n");
    const b = { language: "typescript" as const, code: "function f(xs: number[]): number {\n  return xs.filter((x) => x % 2 === 1).reduce((s, x) => s + x, 0);\n}\n", entryPoint: "f" };
    const types = await parameterTypes(sandbox, a, []);
    expect(types).not.toBeNull();
    const found = await diff({ a, b, ...(types ? { random: randomInputs(types) } : {}), budgetMs: 8000 });
    expect(found.status).toBe("found");
    const same = { language: "typescript" as const, code: "function f(xs: number[]): number {\n  return xs.filter((x) => x % 2 === 0).reduce((s, x) => s + x, 0);\n}\n", entryPoint: "f" };
    const none = await diff({ a, b: same, seeds: [[[1, 2, 3, 4]]], ...(types ? { random: randomInputs(types) } : {}), budgetMs: 1500 });
    expect(none.status).toBe("not_found");
  });

  it("should say which program did not load", async () => {
    const report = await diff({ a: py("def f(x):\n    return x\n"), b: py("def f(x):\n    return x +\n"), seeds: [[1]] });
    expect(report.status).toBe("error");
    expect(report.status === "error" && report.failures.map((f) => f.which)).toEqual(["b"]);
    const missing = await diff({ a: py("def f(x):\n    return x\n"), b: py("def g(x):\n    return x\n"), seeds: [[1]] });
    expect(missing.status === "error" && missing.failures[0]?.reason).toMatch(/no function named f/u);
  });

  it("should read docstring examples and test-call arguments without running the code", async () => {
    const code = 'def f(xs, k):\n    """\n    >>> f([1, 2.0], 3)\n    For xs = [4], k = 5 the output should be 9\n    """\n    raise SystemExit(1)\n';
    const ex = await readExamples(sandbox, code, "f", "def check(candidate):\n    assert candidate([7], 8) == 1\n    assert candidate(list(range(3)), 1) == 2\n");
    expect(ex.params).toEqual(["xs", "k"]);
    expect(ex.doc).toEqual([
      [[1, { $t: "float", v: "2.0" }], 3],
      [[4], 5],
    ]);
    expect(ex.test).toEqual([[[7], 8]]);
  });
});

// A pinned sample of the benchmark (bench/diff.ts): types only, no input values from the tests.
describe("benchmark sample", () => {
  let hef: HumanEvalFixTask[];
  let quix: QuixBugsPair[];
  beforeAll(async () => {
    hef = await loadHumanEvalFix("../shared/datasets/humanevalfix/humanevalpack-python.jsonl.gz");
    quix = await loadQuixBugs("../shared/datasets/quixbugs/quixbugs-python.jsonl.gz");
  });

  it("should load all 164 HumanEvalFix tasks and the 31 QuixBugs programs with JSON tests", () => {
    expect(hef).toHaveLength(164);
    expect(quix).toHaveLength(41);
    expect(quix.filter((p) => p.testCases.length > 0)).toHaveLength(31);
  });

  it.each(["Python/0", "Python/38", "Python/64", "Python/83", "Python/129"])("should find the bug of HumanEvalFix %s from types alone", async (id) => {
    const t = hef.find((x) => x.id === id)!;
    const ex = await readExamples(sandbox, t.fixed, t.entryPoint, t.test);
    const types = await parameterTypes(sandbox, { code: t.fixed, entryPoint: t.entryPoint }, ex.test.length > 0 ? ex.test : ex.doc);
    const report = await diff({ a: py(t.fixed, t.entryPoint), b: py(t.buggy, t.entryPoint), ...(types ? { random: randomInputs(types) } : {}) });
    expect(report.status).toBe("found");
    expect(report.elapsedMs).toBeLessThan(12_000);
  });

  it.each(["flatten", "hanoi", "lis", "powerset"])("should find the bug of QuixBugs %s from types alone", async (name) => {
    const p = quix.find((x) => x.name === name)!;
    const types = await parameterTypes(
      sandbox,
      { code: p.fixed, entryPoint: p.entryPoint },
      p.testCases.map((c) => c.args),
    );
    const report = await diff({ a: py(p.fixed, p.entryPoint), b: py(p.buggy, p.entryPoint), ...(types ? { random: randomInputs(types) } : {}) });
    expect(report.status).toBe("found");
  });
});

describe("crucible diff", () => {
  it("should print the difference and exit 1, or print JSON with --json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crucible-diff-"));
    writeFileSync(join(dir, "a.py"), 'def inc(x: int) -> int:\n    """\n    >>> inc(1)\n    2\n    """\n    return x + 1\n');
    writeFileSync(join(dir, "b.ts"), "function inc(x: number): number {\n  return x > 5 ? x : x + 1;\n}\n");
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ["src/cli/main.ts", "diff", join(dir, "a.py"), join(dir, "b.ts"), "--entry", "inc", ...args]).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    const text = await cli([]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/difference found/u);
    expect(text.stdout).toMatch(/input\s+inc\(/u);
    const json = await cli(["--json", "--seed", "3"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "found", seed: 3 });
  });
});
