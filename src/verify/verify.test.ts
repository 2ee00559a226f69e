import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Wire } from "../sandbox/guest/codec.mjs";
import { createSandbox, type Sandbox } from "../sandbox/index.ts";
import { checkIO, checkProgram, Comparator, runReference, timeLimits, type IOCheck } from "./index.ts";

const DATA = fileURLToPath(new URL("../../../shared/datasets/", import.meta.url));

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

describe("checkProgram (human-eval)", () => {
  it("should reproduce pass@1 = 0.5 on human-eval's own sanity fixture", async () => {
    const problem = JSON.parse(readFileSync(`${DATA}humaneval/example_problem.jsonl`, "utf8")) as Record<string, string>;
    const samples = readFileSync(`${DATA}humaneval/example_samples.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { completion: string });
    const reports = await Promise.all(
      samples.map((s) => checkProgram(sandbox, { code: `${problem["prompt"]}${s.completion}\n${problem["test"]}\ncheck(${problem["entry_point"]})` })),
    );
    expect(reports.map((r) => r.result)).toEqual([
      expect.stringMatching(/^failed: /),
      "timed out",
      expect.stringMatching(/^failed: /),
      "passed",
      "passed",
      "passed",
    ]);
  });

  it("should word a failed assertion as human-eval does", async () => {
    const r = await checkProgram(sandbox, { code: "def f():\n    return 2\nassert f() == 1, 'f should be 1'" });
    expect([r.status, r.passed, r.result]).toEqual(["failed", false, "failed: f should be 1"]);
    expect(r.exception?.type).toBe("AssertionError");
  });
});

const SQUARE = "def square(x):\n    return x * x\n";

function io(partial: Partial<IOCheck> & Pick<IOCheck, "code" | "inputs" | "expected">): IOCheck {
  return { entryPoint: "f", timeLimitsMs: partial.inputs.map(() => 2000), atol: 0, ...partial };
}

describe("checkIO (EvalPlus)", () => {
  it("should pass a correct solution against its reference's outputs", async () => {
    const inputs: Wire[][] = [[1], [2], [{ $t: "float", v: "1.5" }], [{ $t: "int", v: "0x100000000000000000" }]];
    const ref = await runReference(sandbox, { code: SQUARE, entryPoint: "square", inputs });
    expect(ref.outputs.slice(0, 3)).toEqual([1, 4, 2.25]);
    expect(ref.timesMs).toHaveLength(4);
    const report = await checkIO(sandbox, comparator, { code: "def square(x):\n    return x ** 2\n", entryPoint: "square", inputs, expected: ref.outputs, timeLimitsMs: timeLimits(ref.timesMs), atol: 0 });
    expect(report.status).toBe("passed");
    expect(report.passVector).toEqual([true, true, true, true]);
  });

  it("should name the first wrong output, with input, expected and actual", async () => {
    const report = await checkIO(sandbox, comparator, io({ code: "def f(x):\n    return x + (x == 3)\n", inputs: [[1], [2], [3], [4]], expected: [1, 2, 3, 4] }));
    expect(report.status).toBe("failed");
    expect(report.failure).toMatchObject({ index: 2, kind: "mismatch", input: [3], expected: 3, actual: 4 });
    expect(report.passVector).toEqual([true, true, false, null]);
  });

  describe("big outputs travel as digests", () => {
    // A reference whose outputs (a list of n floats) pass 1 MiB of wire for n = 200,000.
    const reference = "def f(n):\n    return [i / 2 for i in range(n)]\n";
    const inputs: Wire[][] = [[3], [200_000]];
    const expectedOf = async (indices: readonly number[]) =>
      (await runReference(sandbox, { code: reference, entryPoint: "f", inputs: indices.map((i) => inputs[i]!) })).outputs;

    it("should keep a big reference output as a digest and pass an identical output by it", async () => {
      const ref = await runReference(sandbox, { code: reference, entryPoint: "f", inputs, digestOverBytes: 1024 * 1024 });
      expect(ref.outputs[0]).toEqual([{ $t: "float", v: "0.0" }, 0.5, { $t: "float", v: "1.0" }]);
      expect(ref.outputs[1]).toMatchObject({ $t: "digest", v: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown } });
      const same = await checkIO(sandbox, comparator, io({ code: reference, inputs, expected: ref.outputs }));
      expect(same.passVector).toEqual([true, true]);
    });

    it("should compare the whole values when digests differ: ints equal to the floats pass, a wrong item fails", async () => {
      const ref = await runReference(sandbox, { code: reference, entryPoint: "f", inputs, digestOverBytes: 1024 * 1024 });
      // 1 == 1.0 in Python, as EvalPlus compares: the digests differ, the values do not.
      const ints = "def f(n):\n    return [i // 2 if i % 2 == 0 else i / 2 for i in range(n)]\n";
      expect((await checkIO(sandbox, comparator, io({ code: ints, inputs, expected: ref.outputs, expectedOf }))).passVector).toEqual([true, true]);
      const wrong = "def f(n):\n    r = [i / 2 for i in range(n)]\n    r[-1] += 1\n    return r\n";
      const report = await checkIO(sandbox, comparator, io({ code: wrong, inputs, expected: ref.outputs, expectedOf }));
      expect(report.passVector).toEqual([false, null]);
      const late = await checkIO(sandbox, comparator, io({ code: wrong, inputs: inputs.slice(1), expected: ref.outputs.slice(1), expectedOf: (ix) => expectedOf(ix.map((i) => i + 1)) }));
      expect(late.failure).toMatchObject({ index: 0, kind: "mismatch" });
      // The report carries the whole expected output, not its digest.
      expect(Array.isArray(late.failure?.expected)).toBe(true);
    });

    it("should fail, saying why, a differing output whose expected value is only known by its digest", async () => {
      const ref = await runReference(sandbox, { code: reference, entryPoint: "f", inputs: inputs.slice(1), digestOverBytes: 1024 * 1024 });
      const ints = "def f(n):\n    return [i // 2 if i % 2 == 0 else i / 2 for i in range(n)]\n";
      const report = await checkIO(sandbox, comparator, io({ code: ints, inputs: inputs.slice(1), expected: ref.outputs }));
      expect(report.failure).toMatchObject({ index: 0, kind: "mismatch", reason: "the expected output is known only by its digest" });
    });
  });

  it("should grade every test when failFast is off", async () => {
    const report = await checkIO(sandbox, comparator, io({ code: "def f(x):\n    return 1 / x if x != 2 else 0\n", inputs: [[1], [0], [2], [4]], expected: [1, 0, 0.5, 0.25], failFast: false }));
    expect(report.passVector).toEqual([true, false, false, true]);
    expect(report.failure).toMatchObject({ index: 1, kind: "exception" });
    expect(report.failure?.exception?.type).toBe("ZeroDivisionError");
  });

  it("should fail a test that passes its time limit, and go on with the next when asked", async () => {
    const code = "def f(x):\n    while x == 2:\n        pass\n    return x\n";
    const report = await checkIO(sandbox, comparator, io({ code, inputs: [[1], [2], [3]], expected: [1, 2, 3], timeLimitsMs: [500, 500, 500], failFast: false }));
    expect(report.passVector).toEqual([true, false, true]);
    expect(report.failure?.kind).toBe("timeout");
  });

  it("should report a program that hangs while loading as timed out, and one that raises as failed", async () => {
    const hang = await checkIO(sandbox, comparator, io({ code: "while True:\n    pass\n", inputs: [[1]], expected: [1], loadTimeoutMs: 500 }));
    expect([hang.status, hang.failure?.kind]).toEqual(["timeout", "load"]);
    const raise = await checkIO(sandbox, comparator, io({ code: "import nonexistent_module\n", inputs: [[1]], expected: [1] }));
    expect([raise.status, raise.failure?.exception?.type]).toEqual(["failed", "ModuleNotFoundError"]);
  });

  it("should accept float outputs within 1e-6 and keep that tolerance for later inputs, as EvalPlus does", async () => {
    const code = "def f(x):\n    return [v + 1e-9 for v in x] if isinstance(x, list) else x + 1e-9\n";
    // The float output of the first input turns the tolerance on; the int list of the second is then
    // compared with it too.
    const report = await checkIO(sandbox, comparator, io({ code, inputs: [[{ $t: "float", v: "1.0" }], [[3]]], expected: [{ $t: "float", v: "1.0" }, [3]] }));
    expect(report.status).toBe("passed");
    const exact = await checkIO(sandbox, comparator, io({ code, inputs: [[[3]]], expected: [[3]] }));
    expect(exact.status).toBe("failed");
  });

  it("should refuse a close float of the wrong type in the tolerance path", async () => {
    const report = await checkIO(sandbox, comparator, io({ code: "def f(x):\n    return [x + 1e-9]\n", inputs: [[0.5]], expected: [{ $t: "tuple", v: [0.5] }], atol: 1e-6 }));
    expect(report.status).toBe("failed");
  });

  it("should grade find_zero by the polynomial's value, and fail it under evalplus-0.2.0", async () => {
    const code = "def find_zero(xs):\n    return 2.0000001\n";
    const inputs: Wire[][] = [[[-4, 0, 1]]];
    const check = { code, entryPoint: "find_zero", inputs, expected: [2], timeLimitsMs: [2000], atol: 1e-4, oracle: "find_zero" as const };
    expect((await checkIO(sandbox, comparator, check)).status).toBe("passed");
    expect((await checkIO(sandbox, comparator, { ...check, compat: "evalplus-0.2.0" })).status).toBe("failed");
  });

  it("should compare set_eq outputs as sets and not_none outputs by presence", async () => {
    const sets = await checkIO(sandbox, comparator, io({ code: "def f(a):\n    return [3, 1, 2]\n", inputs: [[0]], expected: [{ $t: "tuple", v: [1, 2, 3] }], oracle: "set_eq" }));
    expect(sets.status).toBe("passed");
    const some = await checkIO(sandbox, comparator, io({ code: "import re\ndef f(s):\n    return re.search('a', s)\n", inputs: [["cat"], ["dog"]], expected: [true, false], oracle: "not_none" }));
    expect(some.status).toBe("passed");
  });

  it("should not let a candidate fake equality with an object whose __eq__ always says yes", async () => {
    const code = "class Yes:\n    def __eq__(self, other):\n        return True\n\ndef f(x):\n    return Yes()\n";
    const report = await checkIO(sandbox, comparator, io({ code, inputs: [[1]], expected: [1] }));
    expect(report.status).toBe("failed");
  });

  it("should not let a candidate reach the comparison by patching builtins in its own interpreter", async () => {
    const code = "import builtins\nbuiltins.set = lambda *a: 1\nbuiltins.abs = lambda *a: 0\ndef f(x):\n    return x + 1\n";
    const report = await checkIO(sandbox, comparator, io({ code, inputs: [[1]], expected: [1], oracle: "set_eq" }));
    expect(report.status).toBe("failed");
  });
});
