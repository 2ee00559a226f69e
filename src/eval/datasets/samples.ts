import { dataRows, Fields, readDataText } from "./files.ts";

/**
 * One model output to grade, from a sample file. human-eval's format has `completion` (the text
 * after the prompt); EvalPlus's has `solution` (a whole program) or `completion`.
 */
export interface Sample {
  readonly taskId: string;
  /** Its index among the samples of the same task, in file order (human-eval's `completion_id`). */
  readonly completionId: number;
  /** The 1-based line of the file it came from. */
  readonly line: number;
  readonly completion?: string;
  readonly solution?: string;
}

/**
 * The samples of a `.jsonl` or `.jsonl.gz` file (a JSON array works too), in file order. Blank
 * lines are skipped; fields other than `task_id`, `completion` and `solution` are ignored. A
 * numeric `task_id` (CodeEval-Pro writes its ids as ints) becomes text, and a record whose
 * `completion` or `solution` is a list of strings (CodeEval-Pro's form for n > 1) gives one sample
 * per string.
 *
 * @throws CrucibleError `invalid_argument` naming the file and line of a record that is not JSON,
 * has no `task_id`, or has neither a `completion` nor a `solution` string; `aborted` when
 * `signal` fires.
 */
export async function loadSamples(path: string, options: { signal?: AbortSignal } = {}): Promise<Sample[]> {
  return parseSamples(await readDataText(path, options));
}

/** `loadSamples` on text already read. */
export function parseSamples(file: { readonly path: string; readonly text: string }): Sample[] {
  const counts = new Map<string, number>();
  const out: Sample[] = [];
  for (const row of dataRows(file)) {
    const f = new Fields(row, file.path);
    const taskId = f.id("task_id");
    const key = f.has("solution") ? "solution" : f.has("completion") ? "completion" : undefined;
    if (key === undefined) throw f.error('a sample needs a "completion" or a "solution" string');
    // CodeEval-Pro writes all of a task's samples in one record, as a list.
    const texts = Array.isArray(f.value(key)) ? f.stringList(key) : [f.string(key)];
    const completion = key === "solution" ? f.optionalString("completion") : undefined;
    for (const text of texts) {
      const completionId = counts.get(taskId) ?? 0;
      counts.set(taskId, completionId + 1);
      out.push({
        taskId,
        completionId,
        line: row.line,
        ...(key === "completion" ? { completion: text } : { solution: text }),
        ...(completion === undefined || texts.length > 1 ? {} : { completion }),
      });
    }
  }
  return out;
}
