import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrucibleError } from "../../errors.ts";
import { CODET_FILES, loadCodeTPool, type CodeTTask } from "./codet.ts";
import { humanEvalProgram } from "./programs.ts";

const POOL = fileURLToPath(new URL("../../../../shared/datasets/codet-codegen16b/", import.meta.url));

describe("loadCodeTPool", () => {
  let pool: CodeTTask[];
  beforeAll(async () => {
    pool = await loadCodeTPool(POOL);
  });

  it("should join 164 problems with their 100 code and 100 test completions", () => {
    expect(pool).toHaveLength(164);
    expect(pool.map((p) => p.task.id)).toStrictEqual(Array.from({ length: 164 }, (_, i) => `HumanEval/${i}`));
    for (const p of pool) {
      expect(p.samples).toHaveLength(100);
      expect(p.generatedTests).toHaveLength(100);
      expect(p.testPrompt.endsWith("assert ")).toBe(true);
      expect(p.testPrompt).toContain(`# check the correctness of ${p.task.entryPoint}`);
    }
  });

  it("should give the code-generation prompt (no docstring examples) and the official test", () => {
    const t0 = pool[0]?.task;
    expect(t0?.prompt).not.toContain(">>>");
    expect(t0?.test).toContain("def check(candidate):");
    expect(t0 && humanEvalProgram(t0, "    return False\n")).toMatch(/return False\n\n\n\nMETADATA[\s\S]*check\(has_close_elements\)$/);
  });

  describe("on broken pools", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "crucible-codet-"));
      await cp(POOL, dir, { recursive: true });
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("should say which completions match no problem", async () => {
      await writeFile(join(dir, CODET_FILES.testSamples), gzipSync(JSON.stringify({ prompt: "def nothing():\n", samples: [] }) + "\n"));
      const error = await loadCodeTPool(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CrucibleError);
      expect((error as CrucibleError).message).toBe(`${join(dir, CODET_FILES.codePrompts)} line 1: no record of ${join(dir, CODET_FILES.testSamples)} has HumanEval/0's test prompt`);
    });
  });
});
