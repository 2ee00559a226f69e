import { basename } from "node:path";
import { detectKind, tasksOf } from "./benchmarks.ts";
import { dataRows, readDataText, type DataText } from "./files.ts";
import type { Dataset, DatasetKind } from "./types.ts";

/** Options for reading a benchmark file. */
export interface LoadOptions {
  /** The benchmark family; detected from the records when absent. */
  readonly kind?: DatasetKind;
  /** The dataset's name; the file's base name when absent. */
  readonly name?: string;
  readonly signal?: AbortSignal;
}

/**
 * A benchmark from text already read (see `readDataText`): HumanEval, HumanEval+ (any version,
 * Mini included), MBPP+, HumanEval Pro or MBPP Pro.
 *
 * @throws CrucibleError `invalid_argument` naming the file and line of the first malformed record,
 * or when the records match no known benchmark.
 */
export function parseDataset(data: DataText, options: Omit<LoadOptions, "signal"> = {}): Dataset {
  const rows = dataRows(data);
  const kind = options.kind ?? detectKind(rows, data.path);
  return {
    name: options.name ?? basename(data.path),
    kind,
    path: data.path,
    sha256: data.sha256,
    md5: data.md5,
    tasks: tasksOf(kind, rows, data.path),
  };
}

/**
 * Reads a benchmark file: `.jsonl`, `.jsonl.gz`, `.json` or `.json.gz` (compression and layout are
 * told by content). Loading HumanEval+ v0.1.10 takes a few hundred milliseconds.
 *
 * @throws CrucibleError `invalid_argument` when the file is missing, unreadable or malformed
 * (naming the file and line); `aborted` when `signal` fires.
 */
export async function loadDataset(path: string, options: LoadOptions = {}): Promise<Dataset> {
  const data = await readDataText(path, options.signal === undefined ? {} : { signal: options.signal });
  const { signal: _signal, ...rest } = options;
  return parseDataset(data, rest);
}
