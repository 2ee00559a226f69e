// Pins a sample of `npm run bench:trace`: on the first HumanEvalFix pairs, the first block where the
// buggy and the fixed program diverge holds the line the bug edited, both on the inputs `crucible
// diff` found (copied here from its found-inputs file, "types only" setting, so the test does not
// depend on a bench having run) and on the task's test-assert inputs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixPairs, localisePairs, type FoundInput, type PairResult } from "../../bench/trace-pairs.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

describe("fault localisation by differential traces (HumanEvalFix sample)", () => {
  it("should localise on the inputs crucible diff found, and report a pair it found none for as no_input", { timeout: 60_000 }, async () => {
    // From ~/.cache/crucible/diff/found-inputs.json (bench:diff, seed 1, setting "types"), in wire form.
    const found = new Map<string, FoundInput | null>([
      ["Python/0", { args: [[-9.999999999999973, 9.999999999999966], 9.4e-323], strategy: "random" }],
      ["Python/1", { args: [")"], strategy: "boundary" }],
      ["Python/2", { args: [{ $t: "float", v: "0.0" }], strategy: "boundary" }],
      ["Python/3", null],
    ]);
    const pairs = loadFixPairs().slice(0, 4);
    const results = await localisePairs(sandbox, pairs, { concurrency: 2, found });
    const summary = results.map((r) => `${r.taskId} ${r.source} ${r.outcome} ${r.kind ?? "-"} ${r.hitVia ?? "-"}`);
    expect(summary).toEqual(["Python/0 diff hit state block", "Python/1 diff hit path block", "Python/2 diff hit state block", "Python/3 diff no_input - -"]);
    expect(results[2]!.input).toBe('[{"$t":"float","v":"0.0"}]');
    expect(results[3]!.detail).toBe("crucible diff found no difference");
  });

  it("should place the first divergence on an edited line in each of Python/0 to Python/9", { timeout: 120_000 }, async () => {
    const pairs = loadFixPairs().slice(0, 10);
    const results: PairResult[] = await localisePairs(sandbox, pairs, { concurrency: 2 });
    const summary = results.map((r) => `${r.taskId} ${r.outcome} ${r.kind ?? "-"} ${r.hitVia ?? "-"}`);
    expect(summary).toEqual([
      "Python/0 hit state block",
      "Python/1 hit path block",
      "Python/2 hit state block",
      "Python/3 hit path block",
      "Python/4 hit state block",
      "Python/5 hit state block",
      "Python/6 hit state block",
      "Python/7 hit state block",
      "Python/8 hit state block",
      "Python/9 hit state block",
    ]);
    // The separating input is the task's first test call that the bug fails (the second: threshold
    // 0.05), in Crucible's tagged JSON; the edit is one line.
    expect(results[0]).toMatchObject({ separating: 1, editedBuggy: [15], editedFixed: [15] });
    expect(results[0]!.input).toMatch(/,2\.2\],0\.05\]$/u);
  });
});
