import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadLdbSeeds, parseLdbSeeds } from "./ldb.ts";

const DATA = fileURLToPath(new URL("../../../../shared/datasets/ldb-seeds/", import.meta.url));

describe("loadLdbSeeds", () => {
  it("should load every seed file with its released verdicts", async () => {
    const files = {
      "humaneval/codellama": 164,
      "humaneval/gpt-3.5-turbo-0613": 164,
      "humaneval/gpt-4-1106-preview": 164,
      "humaneval/reflexion": 164,
      "humaneval/starcoder": 164,
      "mbpp/codellama": 500,
      "mbpp/gpt-3.5-turbo-0613": 500,
      "mbpp/starcoder": 500,
    };
    for (const [name, count] of Object.entries(files)) {
      const seeds = await loadLdbSeeds(`${DATA}${name}.jsonl.gz`);
      expect(seeds, name).toHaveLength(count);
      expect(new Set(seeds.map((s) => s.task.id)).size, name).toBe(count);
      const solved = seeds.filter((s) => s.isSolved).length;
      expect(solved, name).toBeGreaterThan(0);
      expect(solved, name).toBeLessThan(count);
    }
  });

  it("should put the prompt in front of the reflexion file's bodies, so every solution defines its entry point", async () => {
    const seeds = await loadLdbSeeds(`${DATA}humaneval/reflexion.jsonl.gz`);
    for (const s of seeds) expect(s.solution).toContain(`def ${s.task.entryPoint}(`);
    const first = seeds[0];
    expect(first?.solution.startsWith(first.task.prompt + "    for i in range(len(numbers)):")).toBe(true);
    expect(first?.givenTests).toStrictEqual([]);
  });

  it("should keep other files' solutions as they are, even those that define no entry point", async () => {
    const seeds = await loadLdbSeeds(`${DATA}mbpp/gpt-3.5-turbo-0613.jsonl.gz`);
    const bare = seeds.filter((s) => !s.solution.includes(`def ${s.task.entryPoint}(`));
    expect(bare.length).toBe(15);
    expect(bare.every((s) => !s.isSolved)).toBe(true);
  });

  it("should build LDB's check program, and reference programs for HumanEval and MBPP rows", async () => {
    const [he, mbpp] = await Promise.all([loadLdbSeeds(`${DATA}humaneval/gpt-4-1106-preview.jsonl.gz`), loadLdbSeeds(`${DATA}mbpp/codellama.jsonl.gz`)]);
    const h = he[0];
    const m = mbpp[0];
    if (h === undefined || m === undefined) throw new Error("empty seed file");
    expect(h.checkProgram).toBe(`${h.solution}\n\n${h.task.test}\n\ncheck(has_close_elements)\n    `);
    expect(h.task.reference.startsWith(h.task.prompt)).toBe(true);
    expect(h.givenTests[0]).toBe("assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False");
    expect(m.task.id).toBe("MBPP/76");
    expect(m.task.reference.startsWith("def count_Squares(m,n):")).toBe(true);
    expect(m.task.test).toContain("check(count_Squares)");
  });

  it("should follow an explicit bodyOnly choice", () => {
    const row = { task_id: "X/0", prompt: "def f():\n", entry_point: "f", test: "", canonical_solution: "", solution: "    return 1", is_solved: true };
    const text = JSON.stringify(row);
    expect(parseLdbSeeds({ path: "x.jsonl", text })[0]?.solution).toBe("def f():\n    return 1");
    expect(parseLdbSeeds({ path: "x.jsonl", text }, { bodyOnly: false })[0]?.solution).toBe("    return 1");
  });
});
