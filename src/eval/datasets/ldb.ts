import { dataRows, Fields, readDataText } from "./files.ts";
import type { Task } from "./types.ts";

/** One first-attempt program of a real model, as released with LDB (FloridSleeves/LLMDebugger, `input_data/<benchmark>/seed/`). */
export interface LdbSeed {
  /** The problem: `test` is human-eval style (MBPP tests already end with `check(...)`). */
  readonly task: Task;
  /** The model's program, made whole: in a body-only file (reflexion) the prompt is put in front. */
  readonly solution: string;
  /** The released verdict of the official tests on `solution`. */
  readonly isSolved: boolean;
  /** The visible tests LDB debugs against (none in the reflexion file). */
  readonly givenTests: readonly string[];
  /**
   * The program LDB's `PyExecutor.evaluate` ran for `isSolved`, character for character:
   * `solution + "\n\n" + test + "\n\ncheck(" + entry_point + ")\n    "`. LDB ran it with `exec` in
   * its own module's globals, where `typing.List` (and after earlier runs everything from
   * `typing`) was already imported, with a 10 s limit.
   */
  readonly checkProgram: string;
  /** The 1-based line of the file it came from. */
  readonly line: number;
}

function definesEntryPoint(code: string, entryPoint: string): boolean {
  return code.includes(`def ${entryPoint}(`);
}

/**
 * The seeds of an LDB seed file (`.jsonl` or `.jsonl.gz`). A file is body-only (the reflexion seeds)
 * when most of its solutions do not define their entry point; then each solution that does not is
 * put after its prompt (LDB's own `prepare_function_from_seed` test: "def entry_point(" occurs in
 * it). Other files' solutions are kept as they are, also the few that define no entry point (they
 * were graded, and failed, as they are).
 *
 * @param options.bodyOnly decides instead of the majority rule.
 * @throws CrucibleError `invalid_argument` naming the file and line of a malformed record;
 * `aborted` when `signal` fires.
 */
export async function loadLdbSeeds(path: string, options: { bodyOnly?: boolean; signal?: AbortSignal } = {}): Promise<LdbSeed[]> {
  const file = await readDataText(path, options.signal === undefined ? {} : { signal: options.signal });
  return parseLdbSeeds(file, options.bodyOnly === undefined ? {} : { bodyOnly: options.bodyOnly });
}

/** `loadLdbSeeds` on text already read. */
export function parseLdbSeeds(file: { readonly path: string; readonly text: string }, options: { bodyOnly?: boolean } = {}): LdbSeed[] {
  const records = dataRows(file).map((row) => {
    const f = new Fields(row, file.path);
    return {
      line: row.line,
      id: f.string("task_id"),
      prompt: f.string("prompt"),
      entryPoint: f.string("entry_point"),
      test: f.string("test"),
      canonical: f.string("canonical_solution"),
      solution: f.string("solution"),
      isSolved: f.boolean("is_solved"),
      givenTests: f.has("given_tests") ? f.stringList("given_tests") : [],
    };
  });
  const bare = records.filter((r) => !definesEntryPoint(r.solution, r.entryPoint)).length;
  const bodyOnly = options.bodyOnly ?? bare * 2 > records.length;
  return records.map((r) => {
    const solution = bodyOnly && !definesEntryPoint(r.solution, r.entryPoint) ? r.prompt + r.solution : r.solution;
    // MBPP rows carry a whole canonical program; HumanEval rows a body.
    const reference = /^def\s/m.test(r.canonical) && definesEntryPoint(r.canonical, r.entryPoint) ? r.canonical : r.prompt + r.canonical;
    return {
      task: { id: r.id, prompt: r.prompt, entryPoint: r.entryPoint, reference, test: r.test },
      solution,
      isSolved: r.isSolved,
      givenTests: r.givenTests,
      checkProgram: `${solution}\n\n${r.test}\n\ncheck(${r.entryPoint})\n    `,
      line: r.line,
    };
  });
}
