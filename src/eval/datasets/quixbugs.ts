import type { Wire } from "../../sandbox/guest/codec.mjs";
import { dataRows, Fields, readDataText } from "./files.ts";

/** The file of QuixBugs (Python) under the shared datasets folder (jkoppel/QuixBugs). */
export const QUIXBUGS_FILE = "quixbugs/quixbugs-python.jsonl.gz";

/** One JSON test case of a QuixBugs program: the arguments and the correct program's output. */
export interface QuixBugsCase {
  readonly args: readonly Wire[];
  readonly expected: Wire;
}

/** One QuixBugs program: a one-line bug and its fix, and the JSON test cases where there are some. */
export interface QuixBugsPair {
  readonly name: string;
  /** The function to call: QuixBugs names each program after it. */
  readonly entryPoint: string;
  readonly buggy: string;
  readonly fixed: string;
  /** Empty for the ten graph programs, whose tests build node objects in Python. */
  readonly testCases: readonly QuixBugsCase[];
  readonly line: number;
}

/**
 * Loads QuixBugs (`quixbugs-python.jsonl[.gz]`). A test case's input that is not a list is one
 * argument, as QuixBugs' own `tester.py` reads it.
 * @throws CrucibleError `invalid_argument` naming the file and line of a malformed record;
 * `aborted` when `signal` fires.
 */
export async function loadQuixBugs(path: string, options: { signal?: AbortSignal } = {}): Promise<QuixBugsPair[]> {
  return parseQuixBugs(await readDataText(path, options.signal === undefined ? {} : { signal: options.signal }));
}

/** `loadQuixBugs` on text already read. */
export function parseQuixBugs(file: { readonly path: string; readonly text: string }): QuixBugsPair[] {
  return dataRows(file).map((row) => {
    const f = new Fields(row, file.path);
    const name = f.string("name");
    const cases = f.has("json_testcases") && f.value("json_testcases") !== null ? f.list("json_testcases") : [];
    const testCases = cases.map((c, i) => {
      if (!Array.isArray(c) || c.length !== 2) throw f.error(`test case ${i} must be [input, expected]`);
      const [input, expected] = c as [Wire, Wire];
      return { args: Array.isArray(input) ? input : [input], expected };
    });
    return { name, entryPoint: name, buggy: f.string("buggy"), fixed: f.string("fixed"), testCases, line: row.line };
  });
}
