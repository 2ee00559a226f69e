import { dataRows, Fields, readDataText } from "./files.ts";

/** The file of HumanEvalFix (Python) under the shared datasets folder (bigcode-project/octopack). */
export const HUMANEVALFIX_FILE = "humanevalfix/humanevalpack-python.jsonl.gz";

/**
 * One HumanEvalFix task: a HumanEval problem whose canonical solution a person changed to plant a
 * bug. Both programs are whole (prompt + body), ready to load and call.
 */
export interface HumanEvalFixTask {
  /** `Python/0` … `Python/163`. */
  readonly id: string;
  readonly entryPoint: string;
  /** The HumanEval prompt: signature and docstring with its examples (what a user of the function has). */
  readonly prompt: string;
  /** prompt + canonical solution. */
  readonly fixed: string;
  /** prompt + the human-injected buggy solution. */
  readonly buggy: string;
  /** `missing logic`, `excess logic`, `value misuse`, `operator misuse`, `variable misuse`, `function misuse`. */
  readonly bugType: string;
  /** `incorrect output`, `infinite loop` or `stackoverflow`. */
  readonly failureSymptoms: string;
  /** The hidden tests (`def check(candidate): …`). */
  readonly test: string;
  /** The tests made of the docstring's examples. */
  readonly exampleTest: string;
  readonly line: number;
}

/**
 * Loads HumanEvalFix (`humanevalpack-python.jsonl[.gz]`).
 * @throws CrucibleError `invalid_argument` naming the file and line of a malformed record;
 * `aborted` when `signal` fires.
 */
export async function loadHumanEvalFix(path: string, options: { signal?: AbortSignal } = {}): Promise<HumanEvalFixTask[]> {
  return parseHumanEvalFix(await readDataText(path, options.signal === undefined ? {} : { signal: options.signal }));
}

/** `loadHumanEvalFix` on text already read. */
export function parseHumanEvalFix(file: { readonly path: string; readonly text: string }): HumanEvalFixTask[] {
  return dataRows(file).map((row) => {
    const f = new Fields(row, file.path);
    const prompt = f.string("prompt");
    return {
      id: f.string("task_id"),
      entryPoint: f.string("entry_point"),
      prompt,
      fixed: prompt + f.string("canonical_solution"),
      buggy: prompt + f.string("buggy_solution"),
      bugType: f.string("bug_type"),
      failureSymptoms: f.string("failure_symptoms"),
      test: f.string("test"),
      exampleTest: f.optionalString("example_test") ?? "",
      line: row.line,
    };
  });
}
