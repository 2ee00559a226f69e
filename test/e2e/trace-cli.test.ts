import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "crucible-trace-cli-"));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function crucible(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const FIXED = "def total(xs):\n    t = 0\n    for x in xs:\n        if x > 1:\n            t += x\n    return t\n";
const BUGGY = FIXED.replace("x > 1", "x >= 1");

describe("crucible trace", () => {
  it("should print the blocks with their code and the variables after each", async () => {
    const r = await crucible(["trace", file("fixed.py", FIXED), "--entry", "total", "--args", "[[1, 2]]"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^total: returned 2 · 8 steps · 8 blocks · 1 call/u);
    expect(r.stdout).toContain("[BLOCK-0] total, lines 2-2\n>    2 |     t = 0\n      # xs = [1, 2] | t = 0");
    expect(r.stdout).toContain("      # returned 2");
  });

  it("should report the first divergence against a second version and exit 1", async () => {
    const r = await crucible(["trace", file("buggy.py", BUGGY), "--against", file("fixed2.py", FIXED), "--entry", "total", "--args", "[[1, 2]]", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { divergence: { result: string; divergence: { kind: string; a: { lines: number[] } } }; a: { value: unknown } };
    expect(out.divergence.result).toBe("diverged");
    expect(out.divergence.divergence.kind).toBe("path");
    expect(out.divergence.divergence.a.lines).toEqual([4, 4]);
    expect(out.a.value).toBe(3);
  });

  it("should exit 0 when the two versions behave alike on the input", async () => {
    const r = await crucible(["trace", file("b2.py", BUGGY), "--against", file("f3.py", FIXED), "--entry", "total", "--args", "[[5]]"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no divergence: both runs took the same path/u);
  });

  it("should list the values seen with --values", async () => {
    const r = await crucible(["trace", file("f4.py", FIXED), "--entry", "total", "--args", "[[1, 2]]", "--values"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("total  t = 2\n");
  });

  it("should refuse bad arguments with exit 2 and say what to pass", async () => {
    const r = await crucible(["trace", file("f5.py", FIXED), "--entry", "total", "--args", "{\"a\": 1}"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--args must be a JSON array/u);
    const js = await crucible(["trace", file("x.js", "1"), "--entry", "f"]);
    expect(js.code).toBe(2);
    expect(js.stderr).toMatch(/Python only/u);
  });
});
