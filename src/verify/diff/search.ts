import { CrucibleError, isCrucibleError } from "../../errors.ts";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { Comparator } from "../comparator.ts";
import { ValueFeedback } from "./feedback.ts";
import { outcomeOf, portable, sameShape, type Outcome } from "./outcome.ts";
import { InputPool, type Candidate } from "./pool.ts";
import { Rng } from "./rng.ts";
import { Side } from "./side.ts";
import {
  DEFAULT_DIFF_BUDGET_MS,
  DEFAULT_DIFF_CALL_TIMEOUT_MS,
  DEFAULT_DIFF_CONFIRM_TIMEOUT_MS,
  type DiffFound,
  type DiffReport,
  type DiffRequest,
} from "./types.ts";

const BATCH = 64;
const FIRST_BATCH = 4;
/** Calls are made one at a time outside Python, so batches there are smaller. */
const BATCH_NOT_PYTHON = 16;
const MAX_LOAD_MS = 10_000;
/** Differences in one batch that get a confirmation run before the search moves on. */
const CONFIRM_PER_BATCH = 3;

/**
 * Searches for an input on which two programs differ: in their output (EvalPlus's comparison,
 * float tolerance included), in the type of the exception they raise, or in one of them running
 * out of time. Inputs come from the seeds, boundary values, random values from the parameters'
 * types, and mutation of inputs steered by Mokav's value feedback (see `InputPool`,
 * `ValueFeedback`). A difference counts only when running the input again on both programs gives
 * the same outcomes, so nondeterminism and flaky timing are not reported.
 *
 * Both programs are loaded in sessions of their own; they may be in different languages (Python
 * against TypeScript), in which case outputs are compared as both languages can express them
 * (`portable`) and exceptions by having been raised at all.
 *
 * Resolves to `found` (the input, both outcomes, how it was made, time and calls), `not_found`
 * (budget used) or `error` (a program did not load); never rejects for what the programs do.
 * @throws CrucibleError `aborted` when `options.signal` fires.
 */
export async function findDifference(
  sandbox: Sandbox,
  request: DiffRequest,
  options: { comparator?: Comparator; signal?: AbortSignal } = {},
): Promise<DiffReport> {
  const started = performance.now();
  const seed = request.seed ?? 1;
  const budgetMs = request.budgetMs ?? DEFAULT_DIFF_BUDGET_MS;
  const deadline = started + budgetMs;
  const user = options.signal;
  // The budget is a hard stop: a batch still running when it is spent is cancelled.
  const stop = AbortSignal.any([...(user ? [user] : []), AbortSignal.timeout(budgetMs + DEFAULT_DIFF_CONFIRM_TIMEOUT_MS)]);
  const elapsed = () => performance.now() - started;

  const loadMs = Math.min(MAX_LOAD_MS, Math.max(1_000, budgetMs));
  const opened = await Promise.all([Side.open(sandbox, request.a, loadMs, stop), Side.open(sandbox, request.b, loadMs, stop)]);
  const [a, b] = opened;
  if (!(a instanceof Side) || !(b instanceof Side)) {
    await Promise.all(opened.map(async (s) => (s instanceof Side ? s.close() : undefined)));
    const failures = (["a", "b"] as const).flatMap((which, i) => {
      const s = opened[i]!;
      return s instanceof Side ? [] : [{ which, reason: s.failed }];
    });
    return { status: "error", seed, elapsedMs: elapsed(), failures };
  }
  let comparator = options.comparator ?? null;
  const ownComparator = comparator === null;
  // The comparator may be shared between searches: only the caller's signal may cancel its calls.
  const compare = async () => (comparator ??= await Comparator.open(sandbox, user));
  const search = new Search(a, b, request, seed, stop, user, compare);
  try {
    return await search.run(deadline, started, budgetMs);
  } catch (error) {
    if (user?.aborted) throw new CrucibleError("aborted", "the difference search was cancelled", { cause: error });
    if (stop.aborted && isCrucibleError(error)) return search.notFound("budget", started, budgetMs);
    throw error;
  } finally {
    await Promise.allSettled([a.close(), b.close(), ownComparator ? comparator?.close() : undefined]);
  }
}

class Search {
  private readonly a: Side;
  private readonly b: Side;
  private readonly request: DiffRequest;
  private readonly seed: number;
  private readonly signal: AbortSignal;
  private readonly userSignal: AbortSignal | undefined;
  private readonly comparator: () => Promise<Comparator>;
  private readonly crossLanguage: boolean;
  private readonly pool: InputPool;
  private readonly feedback = new ValueFeedback();
  private readonly useFeedback: boolean;
  private unconfirmed = 0;
  /** Distinct inputs run on both programs. */
  private ran = 0;

  constructor(a: Side, b: Side, request: DiffRequest, seed: number, signal: AbortSignal, userSignal: AbortSignal | undefined, comparator: () => Promise<Comparator>) {
    this.userSignal = userSignal;
    this.a = a;
    this.b = b;
    this.request = request;
    this.seed = seed;
    this.signal = signal;
    this.comparator = comparator;
    this.crossLanguage = a.program.language !== b.program.language;
    this.useFeedback = (request.feedback ?? true) && (a.profiled || b.profiled);
    this.pool = new InputPool(new Rng(seed), request.seeds ?? [], request.random, request.maxInputChars ?? 4000);
  }

  async run(deadline: number, started: number, budgetMs: number): Promise<DiffReport> {
    const timeoutMs = this.request.callTimeoutMs ?? DEFAULT_DIFF_CALL_TIMEOUT_MS;
    const python = this.a.program.language === "python" && this.b.program.language === "python";
    const largest = python ? BATCH : BATCH_NOT_PYTHON;
    // Batches start small and double while no call times out: a program that hangs on most inputs
    // costs a time limit per input, and a batch only answers when all its calls have ended.
    let size = FIRST_BATCH;
    const notFound = (reason: "budget" | "exhausted") => this.notFound(reason, started, budgetMs);
    while (performance.now() < deadline) {
      const batch = this.pool.next(size);
      if (batch.length === 0) return notFound("exhausted");
      const inputs = batch.map((c) => c.args);
      const run = { timeoutMs, profile: this.useFeedback, signal: this.signal };
      const [ra, rb] = await Promise.all([this.a.run(inputs, run), this.b.run(inputs, run)]);
      const n = Math.min(ra.verdicts.length, rb.verdicts.length);
      this.ran += n;
      const oa = ra.verdicts.slice(0, n).map((v) => this.normal(outcomeOf(v)));
      const ob = rb.verdicts.slice(0, n).map((v) => this.normal(outcomeOf(v)));
      const hung = oa.some((o) => o.kind === "timeout") || ob.some((o) => o.kind === "timeout");
      size = hung ? FIRST_BATCH : Math.min(largest, size * 2);

      for (const i of await this.differences(oa, ob, inputs.slice(0, n))) {
        const found = await this.confirm(batch[i]!, oa[i]!, ob[i]!, deadline);
        if (found) return { ...found, elapsedMs: performance.now() - started };
        this.unconfirmed++;
      }
      if (this.useFeedback) {
        const [pa, pb] = await Promise.all([this.a.takeProfiles(this.signal), this.b.takeProfiles(this.signal)]);
        for (let i = 0; i < n; i++) this.pool.reward(batch[i]!, this.feedback.observe(pa.get(ra.ids[i]!), pb.get(rb.ids[i]!)));
      }
    }
    return notFound("budget");
  }

  notFound(reason: "budget" | "exhausted", started: number, budgetMs: number): DiffReport {
    return {
      status: "not_found",
      seed: this.seed,
      elapsedMs: performance.now() - started,
      budgetMs,
      inputsTried: this.ran,
      calls: Math.max(this.a.calls, this.b.calls),
      reason,
      unconfirmed: this.unconfirmed,
    };
  }

  /** Across languages, values are compared as both can express them. */
  private normal(o: Outcome): Outcome {
    return this.crossLanguage && o.kind === "value" ? { ...o, value: portable(o.value) } : o;
  }

  /** Indices (in order, at most CONFIRM_PER_BATCH) where the two programs' outcomes differ. */
  private async differences(oa: readonly Outcome[], ob: readonly Outcome[], inputs: readonly (readonly Wire[])[]): Promise<number[]> {
    const out: number[] = [];
    const toCompare: number[] = [];
    for (let i = 0; i < oa.length; i++) {
      const shape = sameShape(oa[i]!, ob[i]!, this.crossLanguage);
      if (shape === "differ") out.push(i);
      else if (shape === "compare") toCompare.push(i);
    }
    // The comparator reports the first mismatch of a list; ask again past it for the next ones.
    let rest = toCompare;
    while (rest.length > 0 && out.length < CONFIRM_PER_BATCH) {
      const index = await this.mismatch(
        rest.map((i) => oa[i]!),
        rest.map((i) => ob[i]!),
        rest.map((i) => inputs[i]!),
      );
      if (index < 0) break;
      out.push(rest[index]!);
      rest = rest.slice(index + 1);
    }
    return out.sort((x, y) => x - y).slice(0, CONFIRM_PER_BATCH);
  }

  /** Index of the first pair of returned values that the comparator finds unequal, or -1. */
  private async mismatch(expected: readonly Outcome[], actual: readonly Outcome[], inputs: readonly (readonly Wire[])[]): Promise<number> {
    const value = (o: Outcome): Wire => (o.kind === "value" ? o.value : null);
    const comparator = await this.comparator();
    const { index } = await comparator.firstMismatch(actual.map(value), expected.map(value), inputs, this.request.atol ?? 0, this.request.oracle, undefined, this.userSignal);
    return index;
  }

  private async same(x: Outcome, y: Outcome, input: readonly Wire[]): Promise<boolean> {
    const shape = sameShape(x, y, this.crossLanguage);
    if (shape !== "compare") return shape === "same";
    return (await this.mismatch([x], [y], [input])) < 0;
  }

  /**
   * Runs the input again on both programs, with a longer time limit: the difference stands when
   * each program does again what it did the first time and the two still differ.
   */
  private async confirm(candidate: Candidate, oa: Outcome, ob: Outcome, deadline: number): Promise<Omit<DiffFound, "elapsedMs"> | null> {
    const confirmMs = this.request.confirmTimeoutMs ?? DEFAULT_DIFF_CONFIRM_TIMEOUT_MS;
    const callMs = this.request.callTimeoutMs ?? DEFAULT_DIFF_CALL_TIMEOUT_MS;
    const timeoutMs = Math.round(Math.max(2 * callMs, Math.min(confirmMs, deadline - performance.now())));
    const run = { timeoutMs, profile: false, signal: this.signal };
    const [ra, rb] = await Promise.all([this.a.run([candidate.args], run), this.b.run([candidate.args], run)]);
    const va = ra.verdicts[0];
    const vb = rb.verdicts[0];
    if (!va || !vb) return null;
    const a2 = this.normal(outcomeOf(va));
    const b2 = this.normal(outcomeOf(vb));
    // A call that timed out the first time may finish with the longer limit: then it was slow, not different.
    const again = (await this.same(oa, a2, candidate.args)) && (await this.same(ob, b2, candidate.args));
    if (!again || (await this.same(a2, b2, candidate.args))) return null;
    return {
      status: "found",
      input: candidate.args,
      a: a2,
      b: b2,
      strategy: candidate.strategy,
      seed: this.seed,
      inputsTried: this.ran,
      calls: Math.max(this.a.calls, this.b.calls),
    };
  }
}
