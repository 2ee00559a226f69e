import { CrucibleError } from "../../errors.ts";
import type { LeveledProblem } from "../../verify/efficiency/leveled.ts";
import { readDataText } from "./files.ts";
import { cacheDataset, type ResolveOptions } from "./resolve.ts";
import type { Sample } from "./samples.ts";

/**
 * ENAMEL (Qiu et al., ICLR 2025; q-rz/enamel): HumanEval's problems with expert-written efficient
 * references, leveled input generators and output checkers, as `dataset/enamel.csv` ships them
 * (columns task_id, prompt, input_generator, input_levels, reference_solution, checker,
 * entry_point). All 164 rows are loaded; ENAMEL scores 142 of them (`ENAMEL_EXCLUDED` are the 22
 * it leaves out).
 */
export interface EnamelProblem {
  /** The row's index, which seeds its generator. */
  readonly index: number;
  readonly taskId: string;
  /** HumanEval's prompt without its trailing newline. */
  readonly prompt: string;
  readonly entryPoint: string;
  readonly generator: string;
  /** Input size of each level (exact: one level of HumanEval/75 is 10^18). */
  readonly sizes: readonly bigint[];
  /** The expert reference: a function body, run as `prompt + "\n" + body`. */
  readonly referenceBody: string;
  readonly checker: string;
}

export interface EnamelDataset {
  readonly path: string;
  readonly sha256: string;
  readonly problems: readonly EnamelProblem[];
}

/** ENAMEL's seed (its `demo.py`), XORed with a problem's index to seed its generator. */
export const ENAMEL_SEED = 998244353;

/** The problems ENAMEL leaves out of its 142 (its `PROBLEMSET`). */
export const ENAMEL_EXCLUDED: readonly number[] = Object.freeze([2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156, 157, 159, 160]);

const COLUMNS = ["task_id", "prompt", "input_generator", "input_levels", "reference_solution", "checker", "entry_point"] as const;

/** `enamel` by name: the upstream CSV at the commit ../shared/datasets/enamel was taken from, pinned by content. */
const ENAMEL_SPEC = {
  name: "enamel",
  aliases: [],
  // ENAMEL's tasks are HumanEval's; the kind only matters to `loadDataset`, which never reads this file.
  kind: "humaneval",
  fileName: "enamel.csv",
  url: "https://raw.githubusercontent.com/q-rz/enamel/b97da79/dataset/enamel.csv",
  sha256: "1b77dba08bd3dedec199abce593c86a4f611c288475c318e1775bd56d1419b14",
} as const;

/**
 * ENAMEL by name (`enamel`: cached under `cacheDir`, downloaded on first use and checked against
 * its pinned sha256) or by the path of `enamel.csv` / `enamel.csv.gz`.
 *
 * @throws CrucibleError `invalid_argument` for a file that is missing, malformed or (by name) not
 * the pinned one, or a download that fails; the message says how to supply the file.
 */
export async function resolveEnamel(nameOrPath: string, options: ResolveOptions): Promise<EnamelDataset> {
  if (nameOrPath.toLowerCase() !== "enamel") return loadEnamel(nameOrPath, options.signal ? { signal: options.signal } : {});
  const path = await cacheDataset({ ...ENAMEL_SPEC, aliases: [] }, options);
  const dataset = await loadEnamel(path, options.signal ? { signal: options.signal } : {});
  if (dataset.sha256 !== ENAMEL_SPEC.sha256) {
    throw new CrucibleError("invalid_argument", `${path} does not hold ENAMEL's enamel.csv (content sha256 ${dataset.sha256}, expected ${ENAMEL_SPEC.sha256}); delete it, or pass your file with --dataset <file>`, {
      details: { reason: "checksum_mismatch", path },
    });
  }
  return dataset;
}

/** Reads `enamel.csv` (gzipped or not). Throws `invalid_argument` for a missing or malformed file. */
export async function loadEnamel(path: string, options: { signal?: AbortSignal } = {}): Promise<EnamelDataset> {
  const file = await readDataText(path, options);
  return { path, sha256: file.sha256, problems: parseEnamel(file.text, path) };
}

/** Parses the CSV text of `enamel.csv`. */
export function parseEnamel(text: string, path = "enamel.csv"): EnamelProblem[] {
  const rows = parseCsv(text, path);
  const header = rows.shift() ?? [];
  const at = COLUMNS.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new CrucibleError("invalid_argument", `${path} is not ENAMEL's CSV: no "${name}" column (it has ${header.join(", ")})`, { details: { path } });
    return i;
  });
  return rows
    .filter((row) => !(row.length === 1 && row[0] === ""))
    .map((row, index) => {
      const [taskId, prompt, generator, levels, body, checker, entryPoint] = at.map((i) => row[i] ?? "");
      const words = levels!.trim().split(/\s+/u);
      if (!words.every((w) => /^\d+$/u.test(w))) {
        throw new CrucibleError("invalid_argument", `${path} row ${index + 1} (${taskId}): input_levels must be whole numbers, got ${JSON.stringify(levels)}`, { details: { path } });
      }
      const sizes = words.map((w) => BigInt(w));
      return { index, taskId: taskId!, prompt: prompt!, entryPoint: entryPoint!, generator: generator!, sizes, referenceBody: body!, checker: checker! };
    });
}

/** The problems ENAMEL scores (142 of 164), in order. */
export function enamelSubset(dataset: EnamelDataset): EnamelProblem[] {
  return dataset.problems.filter((p) => !ENAMEL_EXCLUDED.includes(p.index));
}

/** A problem in the form the efficiency checks take, seeded as ENAMEL seeds it. */
export function enamelLeveled(p: EnamelProblem): LeveledProblem {
  return {
    id: p.taskId,
    prompt: p.prompt,
    entryPoint: p.entryPoint,
    generator: p.generator,
    sizes: p.sizes,
    reference: `${p.prompt}\n${p.referenceBody}`,
    checker: p.checker,
    seed: ENAMEL_SEED ^ p.index,
  };
}

/**
 * A sample's program for ENAMEL: an EvalPlus `solution` as it is, a human-eval `completion`
 * after the task's prompt (the scorer then runs `prompt + "\n" + program`, as ENAMEL does).
 */
export function enamelSampleCode(p: EnamelProblem, sample: Pick<Sample, "completion" | "solution">): string {
  return sample.solution ?? `${p.prompt}\n${sample.completion ?? ""}`;
}

/**
 * ENAMEL's own sample files (`samples/*.json`): a list whose i-th element lists problem i's
 * programs, or an object keyed by the index. Returns the programs by problem index; `null` when
 * the text is not in that shape (say, a JSONL samples file).
 */
export function parseEnamelSamples(text: string): Map<number, string[]> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const isCodes = (v: unknown): v is string[] => Array.isArray(v) && v.every((c) => typeof c === "string");
  const out = new Map<number, string[]>();
  if (Array.isArray(value)) {
    if (!value.every(isCodes)) return null;
    value.forEach((codes, i) => out.set(i, codes));
    return out;
  }
  if (value === null || typeof value !== "object") return null;
  for (const [key, codes] of Object.entries(value)) {
    if (!/^\d+$/u.test(key) || !isCodes(codes)) return null;
    out.set(Number(key), codes);
  }
  return out;
}

/**
 * RFC 4180 CSV as pandas reads it by default: comma-separated, fields in double quotes may hold
 * commas and newlines, `""` is a quote inside a quoted field; `\r\n` and `\n` end records.
 */
export function parseCsv(text: string, path = "csv"): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (ch === "\r" && text[i + 1] === "\n") i++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new CrucibleError("invalid_argument", `${path}: a quoted field is not closed before the end of the file`, { details: { path } });
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
