import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "./load.ts";
import { humanEvalProgram, sampleCode } from "./programs.ts";
import { loadSamples, parseSamples } from "./samples.ts";
import { caught } from "../../../test/support/caught.ts";

const DATA = fileURLToPath(new URL("../../../../shared/datasets/", import.meta.url));


describe("loadSamples", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crucible-samples-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should read human-eval's example samples in order, numbering them within their task", async () => {
    const samples = await loadSamples(DATA + "humaneval/example_samples.jsonl");
    expect(samples.map((s) => [s.taskId, s.completionId, s.line])).toStrictEqual([
      ["test/0", 0, 1],
      ["test/0", 1, 2],
      ["test/0", 2, 3],
      ["test/0", 3, 4],
      ["test/0", 4, 5],
      ["test/0", 5, 6],
    ]);
    expect(samples[3]?.completion).toBe("    return 1");
    expect(samples[5]?.completion).toBe("\treturn 1");
  });

  it("should make human-eval's programs from the example problem and samples", async () => {
    const [problem, samples] = await Promise.all([loadDataset(DATA + "humaneval/example_problem.jsonl"), loadSamples(DATA + "humaneval/example_samples.jsonl")]);
    const task = problem.tasks[0];
    if (task === undefined) throw new Error("no task");
    const programs = samples.map((s) => humanEvalProgram(task, s.completion ?? ""));
    expect(programs[4]).toBe("def return1():\n  return 1\ndef check(candidate):\n    assert candidate() == 1\ncheck(return1)");
  });

  it("should read EvalPlus solution files (MapCoder's ChatGPT samples, one per task)", async () => {
    const samples = await loadSamples(DATA + "mapcoder-evalplus/ChatGPT-CoT-Python3-0-1.jsonl");
    expect(samples).toHaveLength(164);
    expect(new Set(samples.map((s) => s.taskId)).size).toBe(164);
    expect(samples.every((s) => s.completionId === 0 && s.solution !== undefined && s.completion === undefined)).toBe(true);
    const hePlus = await loadDataset(DATA + "humanevalplus/HumanEvalPlus-Mini.jsonl.gz");
    const t0 = hePlus.tasks[0];
    if (t0 === undefined || samples[0] === undefined) throw new Error("no task");
    expect(sampleCode(t0, samples[0])).toBe(samples[0].solution);
  });

  it("should read gzip, skip blank lines, and number samples per task across interleaved tasks", async () => {
    const path = join(dir, "mixed.jsonl.gz");
    const lines = [
      { task_id: "HumanEval/1", completion: "a" },
      { task_id: "HumanEval/0", solution: "def f(): pass" },
      { task_id: "HumanEval/1", completion: "b", extra: 1 },
    ].map((x) => JSON.stringify(x));
    await writeFile(path, gzipSync(`${lines[0]}\n\n${lines[1]}\n${lines[2]}\n`));
    const samples = await loadSamples(path);
    expect(samples).toStrictEqual([
      { taskId: "HumanEval/1", completionId: 0, line: 1, completion: "a" },
      { taskId: "HumanEval/0", completionId: 0, line: 3, solution: "def f(): pass" },
      { taskId: "HumanEval/1", completionId: 1, line: 4, completion: "b" },
    ]);
  });

  it("should read CodeEval-Pro's records: numeric ids and a list of completions per task", () => {
    const samples = parseSamples({ path: "results.jsonl", text: '{"task_id": 7, "completion": ["x", "y"]}\n{"task_id": 8, "completion": "z"}\n' });
    expect(samples).toStrictEqual([
      { taskId: "7", completionId: 0, line: 1, completion: "x" },
      { taskId: "7", completionId: 1, line: 1, completion: "y" },
      { taskId: "8", completionId: 0, line: 2, completion: "z" },
    ]);
  });

  it("should name the file and line of a sample without code or task id", () => {
    expect(caught(() => parseSamples({ path: "s.jsonl", text: '{"task_id": "HumanEval/0", "completion": "x"}\n{"task_id": "HumanEval/0"}\n' })).message).toBe(
      's.jsonl line 2: a sample needs a "completion" or a "solution" string',
    );
    expect(caught(() => parseSamples({ path: "s.jsonl", text: '{"completion": "x"}' })).message).toBe('s.jsonl line 1: missing field "task_id"');
    expect(caught(() => parseSamples({ path: "s.jsonl", text: '{"task_id": "a", "completion": 3}' })).message).toBe('s.jsonl line 1: field "completion" must be a string');
    expect(caught(() => parseSamples({ path: "s.jsonl", text: "[1, 2]\n" })).message).toBe("s.jsonl line 1: expected a JSON object");
  });
});

describe("parseSamples on unusual records", () => {
  it("should read a record whose extra keys JavaScript would reorder", () => {
    const text = '{"task_id": "HumanEval/3", "completion": "    return 0\\n", "7": "x", "$t": "y"}';
    expect(parseSamples({ path: "s.jsonl", text })).toStrictEqual([{ taskId: "HumanEval/3", completionId: 0, line: 1, completion: "    return 0\n" }]);
  });
});
