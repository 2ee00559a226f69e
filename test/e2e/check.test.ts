import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";
import { checkProperty } from "../../src/verify/properties/check.ts";
import type { PropertyReport } from "../../src/verify/properties/report.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

const SORTED = `
from collections import Counter

def prop(xs, result):
    assert all(a <= b for a, b in zip(result, result[1:])), "not sorted"
    assert Counter(result) == Counter(xs), "not a permutation of the input"
`;

const BUGGY_SORT = `
def sort(xs: list[int]) -> list[int]:
    xs = list(xs)
    for i in range(len(xs) - 1):
        for j in range(len(xs) - 2 - i):  # one pair short
            if xs[j] > xs[j + 1]:
                xs[j], xs[j + 1] = xs[j + 1], xs[j]
    return xs
`;

function failed(r: PropertyReport) {
  if (r.status !== "failed") throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
  return r;
}

describe("checkProperty", () => {
  it("should catch a buggy sort with a shrunk counterexample and replay it from seed and path", async () => {
    const r = failed(await checkProperty(sandbox, { code: BUGGY_SORT, entryPoint: "sort", property: { code: SORTED }, seed: 1234 }));
    // Shrunk to two elements out of order, next to zero: [1, 0] or [0, -1].
    const [xs] = r.counterexample.args as [number[]];
    expect(xs).toHaveLength(2);
    expect(xs[0]! - xs[1]!).toBe(1);
    expect(Math.abs(xs[0]!) + Math.abs(xs[1]!)).toBe(1);
    expect(r.counterexample.repr).toBe(`sort([${xs[0]}, ${xs[1]}])`);
    expect(r.failure).toMatchObject({ kind: "assertion", message: "not sorted", output: xs });
    expect(r.flaky).toBe(false);
    expect(r.numShrinks).toBeGreaterThan(0);
    const again = failed(await checkProperty(sandbox, { code: BUGGY_SORT, entryPoint: "sort", property: { code: SORTED }, seed: r.seed, path: r.path }));
    expect(again.counterexample).toEqual(r.counterexample);
    expect(again.numRuns).toBe(1);
  });

  it("should pass a correct sort and report its seed", async () => {
    const r = await checkProperty(sandbox, { code: "def sort(xs: list[int]) -> list[int]:\n    return sorted(xs)\n", entryPoint: "sort", property: { code: SORTED }, numRuns: 60 });
    expect(r).toMatchObject({ status: "passed", numRuns: 60, numDiscarded: 0 });
    expect(r.status === "passed" && Number.isInteger(r.seed)).toBe(true);
  });

  it("should not be fooled by a candidate that tampers with builtins, Counter and AssertionError", async () => {
    const tamper = `
import builtins, collections, gc
def sort(xs: list[int]) -> list[int]:
    builtins.all = lambda *a, **k: True
    collections.Counter.__eq__ = lambda *a: True
    builtins.AssertionError = type("Nothing", (Exception,), {})
    for obj in gc.get_objects():
        if callable(obj) and getattr(obj, "__name__", "") == "prop":
            obj.__code__ = (lambda *a: True).__code__
    return list(xs)
`;
    const r = failed(await checkProperty(sandbox, { code: tamper, entryPoint: "sort", property: { code: SORTED }, seed: 7 }));
    expect((r.counterexample.args[0] as number[]).length).toBe(2);
    expect(r.failure.kind).toBe("assertion");
  });

  it("should compare with a reference implementation and report the expected output", async () => {
    const r = failed(
      await checkProperty(sandbox, {
        code: "def absolute(x: int) -> int:\n    return x if x > 1 else -x\n",
        entryPoint: "absolute",
        reference: { code: "def absolute(x):\n    return abs(x)\n" },
        seed: 3,
      }),
    );
    expect(r.oracle).toBe("reference");
    expect(r.counterexample.args).toEqual([1]);
    expect(r.failure).toMatchObject({ kind: "mismatch", output: -1, expected: 1 });
  });

  it("should report a candidate's exception and timeout as failures of their kind", async () => {
    const raising = failed(
      await checkProperty(sandbox, { code: "def first(xs: list[int]) -> int:\n    return xs[0]\n", entryPoint: "first", property: { code: "def prop(xs, r):\n    return r in xs\n" }, seed: 5 }),
    );
    expect(raising.counterexample.args).toEqual([[]]);
    expect(raising.failure).toMatchObject({ kind: "exception", exception: { type: "IndexError" } });

    const hanging = failed(
      await checkProperty(sandbox, {
        code: "def f(x: int) -> int:\n    while x < 0:\n        pass\n    return x\n",
        entryPoint: "f",
        property: { code: "def prop(x, r):\n    return r == x\n" },
        timeoutMs: 200,
        seed: 9,
      }),
    );
    expect(hanging.counterexample.args).toEqual([-1]);
    expect(hanging.failure.kind).toBe("timeout");
  });

  it("should fail an input on which the predicate hangs and go on judging after its session restarts", async () => {
    const r = failed(
      await checkProperty(sandbox, {
        code: "def f(x: int) -> int:\n    return x\n",
        entryPoint: "f",
        params: [{ name: "x", schema: { type: "integer", minimum: 0, maximum: 1000 }, optional: false }],
        property: { code: "def prop(x, r):\n    while r > 500:\n        pass\n    return True\n" },
        timeoutMs: 150,
        seed: 11,
      }),
    );
    expect(r.failure.kind).toBe("predicate_error");
    expect(r.failure.message).toMatch(/ran past 150 ms/u);
    expect(r.counterexample.args).toEqual([501]);
  });

  it("should keep floats floats (integral ones too) and honour pre() to discard inputs", async () => {
    const r = await checkProperty(sandbox, {
      code: "def half(x: float, n: int) -> float:\n    assert type(x) is float and type(n) is int\n    return x / n\n",
      entryPoint: "half",
      property: { code: "def pre(x, n):\n    return n != 0\n\ndef prop(x, n, r):\n    return type(r) is float\n" },
      inputs: { maxLength: 4 },
      numRuns: 50,
      seed: 11,
    });
    expect(r.status).toBe("passed");
  });

  it("should check a TypeScript candidate given a schema, judged by a Python predicate", async () => {
    const params = [{ name: "xs", schema: { type: "array", items: { type: "integer" } }, optional: false }];
    const ts = "function total(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0) + (xs.length > 2 ? 1 : 0);\n}\n";
    const r = failed(await checkProperty(sandbox, { code: ts, language: "typescript", entryPoint: "total", params, property: { code: "def prop(xs, r):\n    return r == sum(xs)\n" }, seed: 2 }));
    expect(r.counterexample.args).toEqual([[0, 0, 0]]);
  });

  it("should answer error, not failed, when the candidate or the property cannot load", async () => {
    const bad = await checkProperty(sandbox, { code: "def f(x: int:\n", entryPoint: "f", property: { code: "def prop(x, r):\n    return True\n" } });
    expect(bad).toMatchObject({ status: "error", phase: "load" });
    const noProp = await checkProperty(sandbox, { code: "def f(x: int):\n    return x\n", entryPoint: "f", property: { code: "def other(x, r):\n    return True\n" } });
    expect(noProp).toMatchObject({ status: "error", phase: "property" });
    const noHint = await checkProperty(sandbox, { code: "def f(x):\n    return x\n", entryPoint: "f", property: { code: "def prop(x, r):\n    return True\n" } });
    expect(noHint).toMatchObject({ status: "error", phase: "inputs" });
    expect(noHint.status === "error" && noHint.reason).toMatch(/no type hint/u);
  });
});
