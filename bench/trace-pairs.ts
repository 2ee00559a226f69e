// Fault localisation by differential traces on HumanEvalFix: for each task, an input separating the
// buggy and the canonical program is taken either from `crucible diff`'s results (the file
// bench/diff.ts writes) or from the task's own test (recorded by calling `check` with a recording
// wrapper around the canonical function; the first input whose outputs differ). Both programs are
// traced on it and the first divergent block is compared with the lines the bug edited (lines of
// one version not aligned with the other, see src/verify/trace/lines.ts).
// Used by bench/trace.ts (all pairs) and test/e2e/trace-humanevalfix.test.ts (a pinned sample).
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { Encoded, type Wire } from "../src/sandbox/guest/codec.mjs";
import type { Sandbox } from "../src/sandbox/sandbox.ts";
import type { CallVerdict } from "../src/sandbox/verdict.ts";
import { blockContains, divergenceTouches, firstDivergence, type DivergenceKind } from "../src/verify/trace/diverge.ts";
import { lineMap } from "../src/verify/trace/lines.ts";
import { TraceSession } from "../src/verify/trace/trace.ts";
import type { LineRange, TraceLimits, TraceReport, TraceStatus } from "../src/verify/trace/types.ts";

export const HUMANEVALFIX = new URL("../../shared/datasets/humanevalfix/humanevalpack-python.jsonl.gz", import.meta.url);

export interface FixPair {
  readonly taskId: string;
  readonly entryPoint: string;
  readonly bugType: string;
  readonly buggy: string;
  readonly fixed: string;
  readonly test: string;
  /** Non-blank lines of the buggy solution (the function body the bug is in). */
  readonly solutionLines: number;
}

/** The 164 HumanEvalFix (Python) tasks as buggy/fixed programs (prompt + solution). */
export function loadFixPairs(file: URL | string = HUMANEVALFIX): FixPair[] {
  const text = gunzipSync(readFileSync(file)).toString("utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const r = JSON.parse(line) as Record<string, string>;
      const field = (k: string) => {
        const v = r[k];
        if (typeof v !== "string") throw new Error(`HumanEvalFix row ${r["task_id"] ?? "?"} has no ${k}`);
        return v;
      };
      return {
        taskId: field("task_id"),
        entryPoint: field("entry_point"),
        bugType: field("bug_type"),
        buggy: field("prompt") + field("buggy_solution"),
        fixed: field("prompt") + field("canonical_solution"),
        test: field("test"),
        solutionLines: field("buggy_solution").split("\n").filter((l) => l.trim() !== "").length,
      };
    });
}

/** Where a pair's separating input came from: `crucible diff`'s search, or the task's test asserts. */
export type InputSource = "diff" | "tests";

/** An input `crucible diff` found on which the fixed and the buggy program differ. */
export interface FoundInput {
  /** Arguments in wire form (tagged JSON), as the file holds them. */
  readonly args: readonly Wire[];
  /** The search strategy that found it (boundary, random, mutation, feedback, seed). */
  readonly strategy: string;
}

/** bench/diff.ts's search settings: with the prompt's docstring examples as seeds, or from parameter types alone. */
export type DiffSetting = "prompt" | "types";

/** The differential-testing results of one setting on HumanEvalFix, keyed by task id. */
export interface FoundInputs {
  readonly file: string;
  readonly setting: DiffSetting;
  readonly seed: number;
  readonly budgetMs: number;
  /** Every HumanEvalFix pair searched in this setting; `null` when no difference was found. */
  readonly byTask: ReadonlyMap<string, FoundInput | null>;
}

const FOUND_FILE = z.object({
  seed: z.number(),
  budgetMs: z.number(),
  results: z.array(
    z.looseObject({
      dataset: z.string(),
      id: z.string(),
      setting: z.string(),
      status: z.string(),
      input: z.array(z.unknown()).optional(),
      strategy: z.string().optional(),
    }),
  ),
});

/**
 * Reads the found-inputs file bench/diff.ts writes (`npm run bench:diff`): for each HumanEvalFix
 * pair searched in `setting`, the difference-exposing input (`a` there is the fixed program, `b` the
 * buggy one). Resolves to `null` when the file does not exist; throws when it is not that file's shape.
 */
export function loadFoundInputs(file: string, setting: DiffSetting = "types"): FoundInputs | null {
  if (!existsSync(file)) return null;
  const parsed = FOUND_FILE.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} is not a found-inputs file from bench/diff.ts: ${parsed.error.message.slice(0, 300)}`);
  const byTask = new Map<string, FoundInput | null>();
  for (const r of parsed.data.results) {
    if (r.dataset !== "humanevalfix" || r.setting !== setting) continue;
    byTask.set(r.id, r.status === "found" && r.input ? { args: r.input as Wire[], strategy: r.strategy ?? "?" } : null);
  }
  return { file, setting, seed: parsed.data.seed, budgetMs: parsed.data.budgetMs, byTask };
}

// Runs the task's check() with the canonical function wrapped so every call's arguments are kept
// (deep-copied before the call, since some functions mutate their input).
const RECORDER = `
import copy as __crucible_copy

def __crucible_record(test_src, entry, limit):
    real = globals()[entry]
    calls = []
    def rec(*args, **kwargs):
        if len(calls) < limit and not kwargs:
            calls.append(__crucible_copy.deepcopy(list(args)))
        return real(*args, **kwargs)
    ns = dict(globals())
    exec(compile(test_src, "<test>", "exec"), ns)
    try:
        ns["check"](rec)
    except AssertionError:
        pass
    return calls
`;

/** Inputs recorded per task at most. */
const MAX_INPUTS = 300;
const CALL_TIMEOUT_MS = 3_000;

export const PAIR_TRACE_LIMITS: Partial<TraceLimits> = { maxBlocks: 10_000, maxCalls: 10_000, maxValueChars: 200, timeLimitMs: 3_000 };

export interface PairResult {
  readonly taskId: string;
  readonly bugType: string;
  readonly source: InputSource;
  /** Test inputs recorded (1 for a diff input), and the index of the first one whose outputs differ (-1: none). */
  readonly inputs: number;
  readonly separating: number;
  /** Earlier separating inputs passed over because the buggy version hung on them. */
  readonly skippedHangs: number;
  /** The separating input as Python-ish JSON (wire form), for the record. */
  readonly input: string | null;
  readonly outcome: "hit" | "miss" | "same" | "undecided" | "no_input" | "error";
  readonly kind: DivergenceKind | null;
  /** For a hit: the divergent block held an edited line, or (path) the block run next did. */
  readonly hitVia: "block" | "next" | null;
  readonly statuses: readonly [TraceStatus, TraceStatus] | null;
  readonly editedBuggy: readonly number[];
  readonly editedFixed: readonly number[];
  /** Lines of the buggy version's divergent block, and non-blank lines of its solution. */
  readonly blockLines: number;
  readonly solutionLines: number;
  /** Naive baseline: the last block the buggy run executed holds an edited line. */
  readonly lastBlockHit: boolean;
  /** The divergent blocks' line spans (buggy, fixed). */
  readonly blocks: readonly [string, string] | null;
  readonly detail: string;
  readonly ms: number;
}

function sameOutcome(x: CallVerdict | undefined, y: CallVerdict | undefined): boolean {
  if (!x || !y) return false;
  if (x.status !== y.status) return false;
  if (x.status !== "ok") return x.exception?.type === y.exception?.type;
  const wire = (v: unknown) => JSON.stringify(v instanceof Encoded ? v.wire : v);
  return wire(x.value) === wire(y.value);
}

async function recordInputs(sandbox: Sandbox, pair: FixPair, signal?: AbortSignal): Promise<Wire[][]> {
  const test = pair.test.replace(/^check\(.*\)\s*$/gmu, "");
  const session = await sandbox.session({ language: "python", code: `${pair.fixed}\n${RECORDER}`, ...(signal ? { signal } : {}) });
  try {
    const v = await session.call("__crucible_record", [test, pair.entryPoint, MAX_INPUTS], { timeoutMs: 20_000, raw: true, ...(signal ? { signal } : {}) });
    if (v.status !== "ok" || !(v.value instanceof Encoded) || !Array.isArray(v.value.wire)) {
      throw new Error(`recording the test inputs failed: ${v.status} ${v.exception?.type ?? ""} ${v.exception?.message ?? v.reason ?? ""}`);
    }
    return v.value.wire.filter((a): a is Wire[] => Array.isArray(a));
  } finally {
    await session.close();
  }
}

async function outputs(sandbox: Sandbox, code: string, entry: string, inputs: readonly Wire[][], signal?: AbortSignal): Promise<CallVerdict[]> {
  const session = await sandbox.session({ language: "python", code, ...(signal ? { signal } : {}) });
  try {
    const argsList = inputs.map((args) => args.map((a) => new Encoded(a)));
    return await session.callMany(entry, argsList, { timeoutMs: CALL_TIMEOUT_MS, raw: true, ...(signal ? { signal } : {}) });
  } finally {
    await session.close();
  }
}

/**
 * The first input on which the buggy version's outcome differs from `expected` and the buggy
 * version finishes (returns or raises): a run killed by its timeout leaves no trace to compare.
 * When every separating input hangs, the first of them (`hung`). -1 when no input separates.
 * Batches stop at the first call that does not return, so a hang costs one timeout per batch.
 */
async function firstSeparating(
  sandbox: Sandbox,
  code: string,
  entry: string,
  inputs: readonly Wire[][],
  expected: readonly CallVerdict[],
  signal?: AbortSignal,
): Promise<{ index: number; skippedHangs: number }> {
  const session = await sandbox.session({ language: "python", code, ...(signal ? { signal } : {}) });
  try {
    const argsList = inputs.map((args) => args.map((a) => new Encoded(a)));
    const hung: number[] = [];
    for (let start = 0; start < argsList.length; ) {
      const got = await session.callMany(entry, argsList.slice(start), { timeoutMs: CALL_TIMEOUT_MS, raw: true, stopOnFailure: true, ...(signal ? { signal } : {}) });
      for (const [i, v] of got.entries()) {
        if (sameOutcome(v, expected[start + i])) continue;
        if (v.status !== "timeout") return { index: start + i, skippedHangs: hung.length };
        hung.push(start + i);
      }
      if (got.length === 0 || hung.length >= 3) break;
      start += got.length;
    }
    return { index: hung[0] ?? -1, skippedHangs: 0 };
  } finally {
    await session.close();
  }
}

async function traceOn(sandbox: Sandbox, code: string, entry: string, args: readonly Wire[], signal?: AbortSignal) {
  const session = await TraceSession.open(sandbox, code, signal ? { signal } : {});
  try {
    return await session.trace(
      entry,
      args.map((a) => new Encoded(a)),
      { limits: PAIR_TRACE_LIMITS, ...(signal ? { signal } : {}) },
    );
  } finally {
    await session.close();
  }
}

function spansOf(r: TraceReport, fn: string, block: number): readonly LineRange[] {
  return r.functions.find((f) => f.qualname === fn)?.blocks.find((b) => b.id === block)?.lines ?? [];
}

const spansText = (spans: readonly (readonly [number, number])[]) => spans.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(",");

/** The separating input of one pair, from the test asserts unless `found` says otherwise. */
interface Separating {
  readonly inputs: number;
  readonly separating: number;
  readonly skippedHangs: number;
  readonly args: readonly Wire[] | null;
}

async function separatingInput(sandbox: Sandbox, pair: FixPair, found: FoundInput | null | undefined, signal?: AbortSignal): Promise<Separating> {
  // A diff input was confirmed to separate the two versions by the search itself; it is traced
  // as found, even when the buggy version hangs on it (the trace then ends at its time cap).
  if (found !== undefined) return found === null ? { inputs: 0, separating: -1, skippedHangs: 0, args: null } : { inputs: 1, separating: 0, skippedHangs: 0, args: found.args };
  const inputs = await recordInputs(sandbox, pair, signal);
  const expected = await outputs(sandbox, pair.fixed, pair.entryPoint, inputs, signal);
  const { index, skippedHangs } = await firstSeparating(sandbox, pair.buggy, pair.entryPoint, inputs, expected, signal);
  return { inputs: inputs.length, separating: index, skippedHangs, args: index < 0 ? null : inputs[index]! };
}

export interface LocaliseOptions {
  /**
   * The input `crucible diff` found for this pair; `null` when it found none (the pair is then
   * `no_input`). When absent, the first separating input of the task's test asserts is used.
   */
  readonly found?: FoundInput | null;
  readonly signal?: AbortSignal;
}

/** Measures one pair: separating input, traces, first divergence, and whether it holds an edited line. */
export async function localisePair(sandbox: Sandbox, pair: FixPair, options: LocaliseOptions = {}): Promise<PairResult> {
  const { found, signal } = options;
  const started = performance.now();
  const map = lineMap(pair.buggy, pair.fixed);
  const base = {
    taskId: pair.taskId,
    bugType: pair.bugType,
    source: found === undefined ? ("tests" as const) : ("diff" as const),
    editedBuggy: [...map.editedA].sort((x, y) => x - y),
    editedFixed: [...map.editedB].sort((x, y) => x - y),
  };
  const done = (rest: Omit<PairResult, keyof typeof base | "ms">): PairResult => ({ ...base, ...rest, ms: performance.now() - started });
  try {
    const { inputs, separating, skippedHangs, args } = await separatingInput(sandbox, pair, found, signal);
    const none = { kind: null, hitVia: null, statuses: null, blocks: null, blockLines: 0, solutionLines: pair.solutionLines, lastBlockHit: false };
    if (args === null) {
      const detail = found === undefined ? "no test input separates the two versions" : "crucible diff found no difference";
      return done({ inputs, separating, skippedHangs, input: null, outcome: "no_input", detail, ...none });
    }
    const input = JSON.stringify(args);
    const [a, b] = await Promise.all([traceOn(sandbox, pair.buggy, pair.entryPoint, args, signal), traceOn(sandbox, pair.fixed, pair.entryPoint, args, signal)]);
    const d = firstDivergence(a, b);
    const statuses = [a.status, b.status] as const;
    if (d.result !== "diverged") {
      return done({ inputs, separating, skippedHangs, input, outcome: d.result, kind: null, hitVia: null, blockLines: 0, solutionLines: pair.solutionLines, lastBlockHit: false, statuses, blocks: null, detail: d.result === "undecided" ? d.reason : "" });
    }
    const v = d.divergence;
    const hit = divergenceTouches(v, map.editedA, map.editedB);
    const last = a.blocks.at(-1);
    const lastBlockHit = last !== undefined && blockContains({ ...last, spans: spansOf(a, last.function, last.block) }, map.editedA);
    return done({
      inputs,
      separating,
      skippedHangs,
      input,
      outcome: hit === null ? "miss" : "hit",
      hitVia: hit,
      kind: v.kind,
      statuses,
      blockLines: v.a ? new Set(v.a.spans.flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, k) => s + k))).size : 0,
      solutionLines: pair.solutionLines,
      lastBlockHit,
      blocks: [v.a ? spansText(v.a.spans) : "-", v.b ? spansText(v.b.spans) : "-"],
      detail: v.variables.map((x) => `${x.name}: ${x.a ?? "-"} vs ${x.b ?? "-"}`).join("; ").slice(0, 300),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    return done({ inputs: 0, separating: -1, skippedHangs: 0, input: null, outcome: "error", kind: null, hitVia: null, blockLines: 0, solutionLines: pair.solutionLines, lastBlockHit: false, statuses: null, blocks: null, detail: String((error as Error).message ?? error) });
  }
}

export interface LocalisePairsOptions {
  readonly concurrency: number;
  /**
   * `crucible diff`'s inputs by task id: each pair is traced on its own, and a pair absent from
   * the map or mapped to `null` is `no_input`. When absent, the test asserts' inputs are used.
   */
  readonly found?: ReadonlyMap<string, FoundInput | null>;
  readonly onResult?: (r: PairResult, done: number) => void;
  readonly signal?: AbortSignal;
}

/** Runs `localisePair` over pairs with `concurrency` at once, in order of the results. */
export async function localisePairs(sandbox: Sandbox, pairs: readonly FixPair[], options: LocalisePairsOptions): Promise<PairResult[]> {
  const { concurrency, found, onResult, signal } = options;
  const results: PairResult[] = new Array<PairResult>(pairs.length);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < pairs.length) {
      const i = next++;
      const pair = pairs[i]!;
      results[i] = await localisePair(sandbox, pair, { ...(found ? { found: found.get(pair.taskId) ?? null } : {}), ...(signal ? { signal } : {}) });
      finished++;
      onResult?.(results[i], finished);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}
