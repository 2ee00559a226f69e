// Every reference solution must pass its own benchmark under Crucible's grading: parsing, value
// transport, comparison and per-test time limits all have to be right for that to hold.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../../src/eval/datasets/index.ts";
import { evaluate } from "../../../src/eval/run.ts";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { DATA, freshCache, LONG } from "./shared.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

async function canonicalPassRate(path: string) {
  const dataset = await loadDataset(path);
  const samples = dataset.tasks.map((t) => ({ taskId: t.id, completionId: 0, solution: t.reference }));
  const cache = freshCache();
  const { summary, results } = await evaluate({ sandbox, dataset, samples, resultsPath: join(cache, "results.jsonl"), cacheDir: cache, ks: [1] });
  return { summary, failing: results.filter((r) => !r.passed).map((r) => `${r.task_id}: ${r.result}`) };
}

describe("every canonical solution passes", () => {
  it.each([
    ["HumanEval", "humaneval/HumanEval.jsonl.gz"],
    ["HumanEval+ v0.1.10 (all 124,253 tests)", "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz"],
    ["MBPP+ v0.2.0", "mbppplus/MbppPlus.jsonl.gz"],
    ["HumanEval Pro", "humaneval-pro/humaneval_pro.json.gz"],
    ["MBPP Pro", "humaneval-pro/mbpp_pro.json.gz"],
  ])(
    "should pass every reference solution of %s",
    async (_name, file) => {
      const { summary, failing } = await canonicalPassRate(join(DATA, file));
      // MBPP+ Mbpp/255's input 88 returns 1,663,740 tuples of 77 strings (~960 MB of wire): it is
      // compared by a digest the guest computes a few thousand items at a time, in about 25 s.
      expect(failing).toEqual([]);
      expect(summary.counts.passed).toBe(summary.dataset.tasks);
    },
    LONG,
  );
});
