import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "crucible-rank-cli-"));

function file(name: string, rows: readonly unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n"));
  return path;
}

function crucible(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const candidates = file("candidates.jsonl", [
  { task_id: "t1", solution: "def add(a, b):\n    return a - b\n" },
  { task_id: "t1", solution: "def add(a, b):\n    return a + b\n" },
  { task_id: "t1", solution: "def add(a, b):\n    return b + a\n" },
  { task_id: "t1", solution: "def add(a, b)\n    return a\n" },
]);
const tests = file("tests.jsonl", [
  { task_id: "t1", test: "assert add(1, 2) == 3" },
  // CodeT's form: the text after `assert `, several tests in one completion.
  { task_id: "t1", completion: "add(2, 2) == 4\nassert add(0, 5) == 5\n" },
  { task_id: "t1", test: "assert add(3, 1) == 2" },
]);

describe("crucible rank", () => {
  it("should pick from the group that agrees with most tests and report every group as JSON", async () => {
    for (const method of ["codet", "crucible", "mbr", "alphacode"]) {
      const r = await crucible(["rank", "--candidates", candidates, "--tests", tests, "--entry-point", "add", "--method", method, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { tasks: { task_id: string; picked: number; groups: { samples: number[] }[]; tests: number }[] };
      expect(out.tasks[0]).toMatchObject({ task_id: "t1", picked: 1, tests: 4 });
      expect(out.tasks[0]!.groups[0]!.samples).toStrictEqual([1, 2]);
    }
  });

  it("should say what is missing, with exit code 2", async () => {
    const r = await crucible(["rank", "--candidates", candidates, "--tests", tests]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--entry-point");
  });
});
