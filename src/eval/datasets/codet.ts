import { join } from "node:path";
import { dataRows, Fields, readDataText, rowError, type Row } from "./files.ts";
import type { Task } from "./types.ts";

/** The CodeT pool's files, as microsoft/CodeT ships them in `CodeT/data/`. */
export const CODET_FILES = Object.freeze({
  codePrompts: "HumanEval_for_code_generation.jsonl",
  testPrompts: "HumanEval_for_test_case_generation.jsonl",
  codeSamples: "code_solutions.jsonl.gz",
  testSamples: "generated_tests.jsonl.gz",
});

/** One HumanEval problem of the CodeT pool with everything generated for it. */
export interface CodeTTask {
  /**
   * The problem as CodeT prompted for code: `prompt` is HumanEval's without the docstring
   * examples; `test` is the official human-eval test; `reference` is prompt + canonical solution.
   */
  readonly task: Task;
  /** The raw completions (100 from CodeGen-Mono-16B); cut each with `cutAtStops(s, CODET_STOPS)` before use. */
  readonly samples: readonly string[];
  /** The prompt CodeT used to generate tests: the stub, a comment, and a trailing `assert `. */
  readonly testPrompt: string;
  /** The raw test completions (the text after `assert `), 100 per task. */
  readonly generatedTests: readonly string[];
}

/**
 * The CodeT pool from a directory holding `CODET_FILES`. Completions are keyed upstream by the
 * exact prompt text; each prompt must match exactly one problem and each problem must get both
 * kinds of completions.
 *
 * @throws CrucibleError `invalid_argument` naming the file and line of a malformed record, a
 * prompt that matches no problem or a problem left without completions; `aborted` when `signal`
 * fires.
 */
export async function loadCodeTPool(dir: string, options: { signal?: AbortSignal } = {}): Promise<CodeTTask[]> {
  const read = async (name: string) => {
    const file = await readDataText(join(dir, name), options);
    return { path: file.path, rows: dataRows(file) };
  };
  const [code, tests, codeSamples, testSamples] = await Promise.all([
    read(CODET_FILES.codePrompts),
    read(CODET_FILES.testPrompts),
    read(CODET_FILES.codeSamples),
    read(CODET_FILES.testSamples),
  ]);
  const testPromptById = new Map<string, string>();
  for (const row of tests.rows) {
    const f = new Fields(row, tests.path);
    testPromptById.set(f.string("task_id"), f.string("prompt"));
  }
  const samplesByPrompt = byPrompt(codeSamples.rows, codeSamples.path);
  const testsByPrompt = byPrompt(testSamples.rows, testSamples.path);
  const out = code.rows.map((row) => {
    const f = new Fields(row, code.path);
    const id = f.string("task_id");
    const prompt = f.string("prompt");
    const testPrompt = testPromptById.get(id);
    if (testPrompt === undefined) throw f.error(`${id} has no test-generation prompt in ${tests.path}`);
    const samples = samplesByPrompt.get(prompt);
    if (samples === undefined) throw f.error(`no record of ${codeSamples.path} has ${id}'s prompt`);
    const generatedTests = testsByPrompt.get(testPrompt);
    if (generatedTests === undefined) throw f.error(`no record of ${testSamples.path} has ${id}'s test prompt`);
    samples.used = true;
    generatedTests.used = true;
    return {
      task: { id, prompt, entryPoint: f.string("entry_point"), reference: prompt + f.string("canonical_solution"), test: f.string("test") },
      samples: samples.samples,
      testPrompt,
      generatedTests: generatedTests.samples,
    };
  });
  for (const [path, index] of [
    [codeSamples.path, samplesByPrompt],
    [testSamples.path, testsByPrompt],
  ] as const) {
    for (const entry of index.values()) if (!entry.used) throw rowError(path, entry.line, "its prompt matches no problem of the pool");
  }
  return out;
}

interface Completions {
  readonly samples: readonly string[];
  readonly line: number;
  used: boolean;
}

function byPrompt(rows: readonly Row[], path: string): Map<string, Completions> {
  const index = new Map<string, Completions>();
  for (const row of rows) {
    const f = new Fields(row, path);
    const prompt = f.string("prompt");
    if (index.has(prompt)) throw f.error("its prompt appears twice");
    index.set(prompt, { samples: f.stringList("samples"), line: row.line, used: false });
  }
  return index;
}
