import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "crucible-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function crucible(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const buggy = file("buggy.py", "def dedupe(xs: list[int]) -> list[int]:\n    return sorted(set(xs))\n");
const prop = file("prop.py", "def prop(xs, result):\n    return len(result) == len(set(xs)) and set(result) == set(xs) and [x for x in dict.fromkeys(xs)] == result\n");

describe("crucible check", () => {
  it("should print the shrunk counterexample and a replay command, exit 1, and replay it exactly", async () => {
    const r = await crucible("check", buggy, "--entry", "dedupe", "--property", prop, "--seed", "5");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout, r.stderr).toMatch(/✗ dedupe: failed after \d+ runs? and \d+ shrinks? \(seed 5\)/u);
    expect(r.stdout).toMatch(/counterexample: dedupe\(\[1, 0\]\)|counterexample: dedupe\(\[0, -1\]\)/u);
    const path = /--path '([^']+)'/u.exec(r.stdout)?.[1];
    expect(path).toBeDefined();
    const again = await crucible("check", buggy, "--entry", "dedupe", "--property", prop, "--seed", "5", "--path", path!, "--json");
    expect(again.code).toBe(1);
    const report = JSON.parse(again.stdout) as { status: string; numRuns: number; counterexample: { repr: string } };
    expect(report.status).toBe("failed");
    expect(report.numRuns).toBe(1);
    expect(r.stdout).toContain(`counterexample: ${report.counterexample.repr}`);
  });

  it("should run a stateful check when the entry is a class and the reference a model", async () => {
    const model = file("model.py", "class Counter:\n    def __init__(self):\n        self.n = 0\n    def add(self, k: int) -> int:\n        self.n += k\n        return self.n\n");
    const wrong = file("wrong.py", "class Counter:\n    def __init__(self):\n        self.n = 0\n    def add(self, k: int) -> int:\n        self.n = k if k > 5 else self.n + k\n        return self.n\n");
    const r = await crucible("check", wrong, "--entry", "Counter", "--reference", model, "--seed", "1", "--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { oracle: string; counterexample: { repr: string } };
    expect(report.oracle).toBe("model");
    expect(report.counterexample.repr).toMatch(/^add\(6\)$|^add\(-?\d+\)\nadd\(6\)$/u);
  });

  it("should exit 2 with a reason when it cannot check, and 0 when the property holds", async () => {
    const bad = await crucible("check", buggy, "--entry", "dedupe");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--property <file> or --reference <file>/u);
    const ok = file("ok.py", "def dedupe(xs: list[int]) -> list[int]:\n    return list(dict.fromkeys(xs))\n");
    const good = await crucible("check", ok, "--entry", "dedupe", "--property", prop, "--runs", "30");
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/✓ dedupe: 30 inputs passed \(seed -?\d+\)/u);
  });
});
