import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codetRankTask, rankingPassAtK } from "../../src/eval/datasets/codet-tests.ts";
import { CODET_STOPS, cutAtStops, humanEvalProgram, loadCodeTPool, type CodeTTask } from "../../src/eval/index.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";
import { checkProgram } from "../../src/verify/index.ts";
import { extractTests } from "../../src/verify/rank/extract.ts";
import { observe, rankObserved } from "../../src/verify/rank/rank.ts";
import { topPick } from "../../src/verify/rank/top-k.ts";

const POOL = fileURLToPath(new URL("../../../shared/datasets/codet-codegen16b/", import.meta.url));

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

describe("ranking on the CodeT pool (a sample of tasks)", () => {
  let pool: CodeTTask[];
  beforeAll(async () => {
    pool = await loadCodeTPool(POOL);
  });

  it("should extract CodeT's tests: the first 5 of each completion, cut at the stops, compiling", async () => {
    const task = pool[38]!;
    const [extracted] = await extractTests(sandbox, [{ completions: task.generatedTests, entryPoint: task.task.entryPoint }]);
    expect(extracted!.perCompletion).toHaveLength(100);
    for (const cases of extracted!.perCompletion) {
      expect(cases.length).toBeLessThanOrEqual(5);
      for (const c of cases) expect(c).toMatch(/^assert [\s\S]*decode_cyclic/);
    }
    expect(extracted!.inputs.length).toBeGreaterThan(0);
  });

  it("should pick a program that passes the official tests where few samples do (HumanEval/38: 2 of 100; HumanEval/3 for Crucible's method)", async () => {
    const tasks = [pool[38]!, pool[3]!];
    const extracted = await extractTests(
      sandbox,
      tasks.map((t) => ({ completions: t.generatedTests, entryPoint: t.task.entryPoint })),
    );
    const observed = await observe(
      sandbox,
      tasks.map((t, i) => codetRankTask(t, extracted[i]!.perCompletion)),
      { generate: 20 },
    );
    const cases: [number, "codet" | "crucible"][] = [
      [0, "codet"],
      [0, "crucible"],
      [1, "crucible"],
    ];
    for (const [i, method] of cases) {
      const pick = topPick(rankObserved(observed[i]!, method));
      expect(pick, `${tasks[i]!.task.id} ${method}`).not.toBeNull();
      const completion = observed[i]!.programs[pick!]!.slice(tasks[i]!.task.prompt.length);
      const graded = await checkProgram(sandbox, { code: humanEvalProgram(tasks[i]!.task, completion) });
      expect(graded.passed, `${tasks[i]!.task.id} ${method}: ${completion}`).toBe(true);
    }
    // Ground truth for the whole task, so pass@1 is measured the way the benchmark does it.
    const t = tasks[1]!;
    const completions = t.samples.map((s) => cutAtStops(s, CODET_STOPS));
    const distinct = [...new Set(completions)];
    const grades = new Map<string, boolean>();
    for (const c of distinct) grades.set(c, (await checkProgram(sandbox, { code: humanEvalProgram(t.task, c) })).passed);
    const correct = completions.map((c) => grades.get(c)!);
    expect(correct.filter(Boolean).length).toBeLessThan(40);
    expect(rankingPassAtK(observed[1]!, correct, "crucible", 1)).toBe(1);
  });
});

describe("isolation", () => {
  const honest = "def f(x):\n    return x * 2\n";
  const programs = [
    honest,
    "import time\ndef f(x):\n    time.sleep(60)\n", // a hang no CPU timer sees
    "import os\ndef f(x):\n    os._exit(3)\n", // the process vanishes mid-call
    "import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n", // kills the ranking helper itself
    "def f(x):\n    b = bytearray(2 * 1024 ** 3)\n    return x\n", // more memory than it may have
    "def f(x):\n    while True:\n        pass\n", // spins
    "def f(x)\n    return x\n", // does not compile
    "def f(x):\n    return x + x\n", // agrees with the honest one
  ];

  it("should let a program that hangs, crashes or kills its helper cost only its own result", async () => {
    const [observed] = await observe(sandbox, [{ programs, tests: ["assert f(2) == 4", "assert f(3) == 6"], entryPoint: "f", inputs: [[5]] }], {
      generate: 0,
      staticFilter: false,
      stallMs: 500,
    });
    const runs = observed!.runs;
    expect(runs[0]).toMatchObject({ status: "ok", marks: "11" });
    expect(runs[7]).toMatchObject({ status: "ok", marks: "11" });
    expect(runs[7]!.outputs).toStrictEqual(runs[0]!.outputs);
    expect(runs[1]).toMatchObject({ status: "ok", marks: "tt" });
    // Inputs: the tests' own arguments (2, 3), then the given 5; two timeouts and the rest is skipped.
    expect(runs[1]!.outputs).toStrictEqual(["!timeout", "!timeout", "!skipped"]);
    expect(runs[2]!.status).toBe("ok");
    expect(runs[2]!.outputs).toStrictEqual(["!crash", "!crash", "!crash"]);
    expect(runs[3]!.status).toBe("crashed");
    expect(runs[4]).toMatchObject({ status: "ok", marks: "00" });
    expect(runs[4]!.outputs).toStrictEqual(["!MemoryError", "!MemoryError", "!MemoryError"]);
    expect(runs[5]!.marks).toBe("tt");
    expect(runs[6]!.status).toBe("load_error");
    // Both agreeing programs form the top group, whatever the method.
    for (const method of ["codet", "mbr", "alphacode", "crucible"] as const) {
      expect(rankObserved(observed!, method)[0]!.members).toStrictEqual([0, 7]);
    }
  });

  it("should skip what static checks reject without running it", async () => {
    const [observed] = await observe(sandbox, [{ programs: [honest, "def f(x)\n    return x\n", "def f(x):\n    return g(x)\n"], tests: ["assert f(1) == 2"], entryPoint: "f" }], {
      generate: 0,
    });
    expect(observed!.runs.map((r) => r.status)).toStrictEqual(["ok", "rejected", "rejected"]);
    expect(observed!.static.map((r) => r.status)).toStrictEqual(["passed", "rejected", "rejected"]);
  });
});
