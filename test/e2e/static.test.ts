import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODET_STOPS, cutAtStops, humanEvalProgram, loadCodeTPool } from "../../src/eval/index.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";
import { checkProgram } from "../../src/verify/index.ts";
import { staticCheck } from "../../src/verify/static/static.ts";

const POOL = fileURLToPath(new URL("../../../shared/datasets/codet-codegen16b/", import.meta.url));

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

describe("staticCheck", () => {
  it("should report syntax errors, undefined names and imports outside the allowlist as data", async () => {
    const [syntax, undefinedAtStart, undefinedInBranch, numpy, clean, globalAssigned] = await staticCheck(
      sandbox,
      [
        "def f(x):\n    return x +\n",
        "def f(x):\n    y = helper(x)\n    return y\n",
        "def f(x):\n    if x:\n        return helper(x)\n    return 0\n",
        "import numpy as np\ndef f(x):\n    return np.sum(x)\n",
        "from typing import List\nimport math\ndef f(xs: List[int]) -> int:\n    return sum(math.floor(x) for x in xs)\n",
        "def f(x):\n    global seen\n    seen = x\n    return seen\n",
      ],
      { entryPoint: "f" },
    );
    expect(syntax).toMatchObject({ status: "rejected", issues: [{ kind: "syntax", severity: "error", line: 2 }] });
    expect(undefinedAtStart).toMatchObject({ status: "rejected", issues: [{ kind: "undefined_name", name: "helper", severity: "error", line: 2 }] });
    // It fails only when the branch runs: reported, not rejected.
    expect(undefinedInBranch).toMatchObject({ status: "passed", issues: [{ kind: "undefined_name", name: "helper", severity: "warning" }] });
    expect(numpy).toMatchObject({ status: "rejected", issues: [{ kind: "import", name: "numpy", severity: "error" }] });
    expect(clean).toStrictEqual({ status: "passed", issues: [] });
    expect(globalAssigned).toStrictEqual({ status: "passed", issues: [] });
  });

  it("should honour a given allowlist", async () => {
    const [report] = await staticCheck(sandbox, ["import math, os\n"], { allowedModules: ["math"] });
    expect(report).toMatchObject({ status: "rejected", issues: [{ kind: "import", name: "os" }] });
  });

  it("should survive text that exhausts the parser, without rejecting on its account", async () => {
    const [nested, fine] = await staticCheck(sandbox, [`x = ${"(".repeat(200_000)}1${")".repeat(200_000)}\n`, "x = 1\n"]);
    expect(nested?.status === "unchecked" || nested?.status === "rejected").toBe(true);
    expect(fine).toStrictEqual({ status: "passed", issues: [] });
  });

  it("should never reject a CodeT-pool sample that passes the official tests (a sample of tasks)", async () => {
    const pool = (await loadCodeTPool(POOL)).slice(0, 6);
    let rejected = 0;
    for (const t of pool) {
      const completions = [...new Set(t.samples.map((s) => cutAtStops(s, CODET_STOPS)))];
      const reports = await staticCheck(
        sandbox,
        completions.map((c) => t.task.prompt + c),
        { entryPoint: t.task.entryPoint },
      );
      for (const [i, r] of reports.entries()) {
        if (r.status !== "rejected") continue;
        rejected += 1;
        const graded = await checkProgram(sandbox, { code: humanEvalProgram(t.task, completions[i]!) });
        expect(graded.passed, `${t.task.id}: ${completions[i]}`).toBe(false);
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
