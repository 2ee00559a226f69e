import { Digest, Encoded, type GuestException, type Wire } from "../sandbox/guest/codec.mjs";
import type { Limits } from "../sandbox/policy.ts";
import type { Sandbox, Session } from "../sandbox/sandbox.ts";
import type { CallVerdict } from "../sandbox/verdict.ts";
import type { Comparator, Compat, Oracle } from "./comparator.ts";

/** EvalPlus's defaults: a test may take `factor` times the reference's time, and never less than the floor. */
export const DEFAULT_TIME_FACTOR = 4;
export const DEFAULT_TIME_FLOOR_MS = 1000;
const DEFAULT_LOAD_TIMEOUT_MS = 10_000;
/** EvalPlus's memory limit per solution process. */
export const DEFAULT_MEMORY_BYTES = 4 * 1024 ** 3;
/**
 * A session's CPU limit bounds its whole life (the kernel's RLIMIT_CPU is per process), while each
 * test has its own wall-time limit: give the session an hour, so only the per-test limits decide.
 */
const SESSION_CPU_MS = 3_600_000;
const CHUNK = 64;
/**
 * Outputs whose wire text is longer travel as digests (see `Digest`): a million-element list is
 * compared by its hash instead of crossing two pipes and the host's one thread, and a reference
 * cache keeps 64 bytes for it instead of megabytes.
 */
export const DEFAULT_DIGEST_OVER_BYTES = 1024 * 1024;

export interface IOCheck {
  /** The whole solution program; its `entryPoint` is called on every input. */
  readonly code: string;
  readonly entryPoint: string;
  /** Each input is the argument list, in wire form (so 1.0 stays a float and big ints stay exact). */
  readonly inputs: readonly (readonly Wire[])[];
  /** The reference's output for each input, in wire form. */
  readonly expected: readonly Wire[];
  /** Per-test wall-time limit, one per input (see `timeLimits`). */
  readonly timeLimitsMs: readonly number[];
  readonly atol: number;
  readonly oracle?: Oracle;
  readonly compat?: Compat;
  /** Stop at the first failing test (pass@k needs no more); false grades every test. Default true. */
  readonly failFast?: boolean;
  /** Time for loading the program (module-level code). */
  readonly loadTimeoutMs?: number;
  /** Other limits for the solution's session (memory defaults to EvalPlus's 4 GiB). */
  readonly limits?: Partial<Limits>;
  /**
   * Outputs longer than this (wire text, bytes) come back as digests; default 1 MiB, none with an
   * oracle (it needs the value). Equal digests pass; otherwise the test is called again for the
   * whole output and compared as usual.
   */
  readonly digestOverBytes?: number;
  /**
   * The whole expected outputs of the given tests, for those whose `expected` is a digest wire
   * (`{"$t": "digest", …}`) and whose output's digest differs. Without it such a test fails.
   */
  readonly expectedOf?: (indices: readonly number[], signal?: AbortSignal) => Promise<readonly Wire[]>;
}

export type IOFailureKind = "load" | "exception" | "timeout" | "crash" | "mismatch";

export interface IOFailure {
  readonly index: number;
  readonly kind: IOFailureKind;
  readonly input: readonly Wire[] | null;
  readonly expected: Wire | null;
  /** The candidate's output, for a mismatch. */
  readonly actual?: Wire;
  readonly exception?: GuestException;
  readonly reason?: string;
}

export interface IOReport {
  readonly kind: "io";
  /** `timeout` only when loading the program hung (EvalPlus's "timed out"); a slow test is a failure. */
  readonly status: "passed" | "failed" | "timeout";
  readonly passed: boolean;
  readonly total: number;
  /** Per test: true passed, false failed, null not run (after a fail-fast stop). */
  readonly passVector: readonly (boolean | null)[];
  /** The first failing test, with what went wrong. */
  readonly failure?: IOFailure;
  readonly wallMs: number;
}

/** Per-test limits from the reference's own times: max(floor, factor × reference). */
export function timeLimits(referenceMs: readonly number[], options: { factor?: number; floorMs?: number } = {}): number[] {
  const factor = options.factor ?? DEFAULT_TIME_FACTOR;
  const floor = options.floorMs ?? DEFAULT_TIME_FLOOR_MS;
  return referenceMs.map((t) => Math.max(floor, Math.ceil(factor * t)));
}

/**
 * Grades a solution on input/output tests, EvalPlus style: the solution is loaded once in a
 * session, its entry point is called on each input with that test's time limit, and its outputs
 * are compared with the reference's by the comparator, in a separate interpreter. A call that
 * raises, crashes or runs out of time fails its test (the session reloads and goes on when
 * `failFast` is false).
 */
export async function checkIO(sandbox: Sandbox, comparator: Comparator, check: IOCheck, options: { signal?: AbortSignal } = {}): Promise<IOReport> {
  const started = performance.now();
  const total = check.inputs.length;
  const failFast = check.failFast ?? true;
  const vector: (boolean | null)[] = new Array<boolean | null>(total).fill(null);
  const signal = options.signal;
  const session = await sandbox.session({
    language: "python",
    code: check.code,
    limits: { memoryBytes: DEFAULT_MEMORY_BYTES, cpuTimeMs: SESSION_CPU_MS, ...check.limits, wallTimeMs: check.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS },
    ...(signal ? { signal } : {}),
  });
  const done = (status: IOReport["status"], failure?: IOFailure): IOReport => ({
    kind: "io",
    status,
    passed: status === "passed",
    total,
    passVector: vector,
    ...(failure ? { failure } : {}),
    wallMs: performance.now() - started,
  });
  try {
    if (session.loaded.status !== "ok") {
      const load = session.loaded;
      const failure: IOFailure = {
        index: -1,
        kind: "load",
        input: null,
        expected: null,
        ...(load.exception ? { exception: load.exception } : {}),
        reason: load.reason ?? load.status,
      };
      return done(load.status === "timeout" ? "timeout" : "failed", failure);
    }
    let atol = check.atol;
    let first: IOFailure | undefined;
    const digestOver = check.oracle === undefined ? (check.digestOverBytes ?? DEFAULT_DIGEST_OVER_BYTES) : undefined;
    const expectedWhole = new Map<number, Wire>();
    for (let start = 0, end = 0; start < total && (first === undefined || !failFast); start = end) {
      end = Math.min(total, start + CHUNK);
      const outputs: Wire[] = [];
      const okIndex: number[] = [];
      const verdicts = await session.callMany(
        check.entryPoint,
        check.inputs.slice(start, end).map((input) => input.map((w) => new Encoded(w))),
        {
          timeoutsMs: check.timeLimitsMs.slice(start, end).map((t) => t ?? DEFAULT_TIME_FLOOR_MS),
          stopOnFailure: failFast,
          raw: true,
          ...(digestOver === undefined ? {} : { digestOverBytes: digestOver }),
          ...(signal ? { signal } : {}),
        },
      );
      if (verdicts.length === 0) throw new Error("the session answered a batch of calls with nothing");
      // A batch may come back short with every call ok (its results grew large): go on from there.
      if (verdicts.length < end - start && verdicts.every((v) => v.status === "ok")) end = start + verdicts.length;
      for (const [k, v] of verdicts.entries()) {
        const i = start + k;
        if (v.status === "ok") {
          outputs.push((v.value as Encoded).wire);
          okIndex.push(i);
          continue;
        }
        vector[i] = false;
        first ??= callFailure(i, v, check);
        if (failFast) break;
      }
      // Outputs whose wire text is the expected one's are equal without asking the comparator (no
      // NaN and no repr inside, where equal text does not mean equal values); only the prefix up to
      // the first other output goes on to the comparator.
      let from = 0;
      while (from < outputs.length && sameWire(outputs[from]!, check.expected[okIndex[from]!]!)) {
        vector[okIndex[from]!] = true;
        from++;
      }
      if (from < outputs.length) {
        // Digests that differ say nothing of tolerance (1 == 1.0, floats within atol): fetch the
        // whole values of the rest of this batch that travelled as digests, and compare those.
        const whole = await wholeValues(session, check, okIndex.slice(from), outputs.slice(from), signal);
        if (whole.failure) {
          vector[whole.failure.index] = false;
          if (first === undefined || whole.failure.index < first.index) first = whole.failure;
        }
        outputs.splice(from, outputs.length - from, ...whole.outputs);
        okIndex.splice(from, okIndex.length - from, ...whole.indices);
        for (const [i, w] of whole.expected) expectedWhole.set(i, w);
      }
      while (from < outputs.length) {
        const idx = okIndex.slice(from);
        const { index, atol: after } = await comparator.firstMismatch(
          outputs.slice(from),
          idx.map((i) => expectedWhole.get(i) ?? check.expected[i]!),
          idx.map((i) => check.inputs[i]!),
          atol,
          check.oracle,
          check.compat,
          signal,
        );
        atol = after;
        if (index < 0) {
          for (const i of idx) vector[i] = true;
          break;
        }
        for (const i of idx.slice(0, index)) vector[i] = true;
        const bad = idx[index]!;
        vector[bad] = false;
        const mismatch: IOFailure = {
          index: bad,
          kind: "mismatch",
          input: check.inputs[bad]!,
          expected: expectedWhole.get(bad) ?? check.expected[bad]!,
          actual: outputs[from + index]!,
        };
        if (first === undefined || bad < first.index) first = mismatch;
        if (failFast) break;
        from += index + 1;
      }
      if (first !== undefined && failFast) {
        // Tests after the first failure did not count; forget any that ran past it.
        for (let i = first.index + 1; i < total; i++) vector[i] = null;
      }
    }
    return first === undefined ? done("passed") : done("failed", first);
  } finally {
    await session.close();
  }
}

function sameWire(actual: Wire, expected: Wire): boolean {
  const a = digestOf(actual);
  if (a) {
    const e = digestOf(expected);
    return e !== null && e.sha256 === a.sha256 && e.bytes === a.bytes;
  }
  const text = JSON.stringify(actual);
  return text === JSON.stringify(expected) && !text.includes('"$t":"repr"') && !text.includes('"v":"nan"');
}

interface WholeValues {
  /** Outputs and their test indices, up to the first test that failed while its value was fetched. */
  readonly outputs: Wire[];
  readonly indices: number[];
  /** Whole expected outputs of those tests whose expected output was a digest. */
  readonly expected: Map<number, Wire>;
  readonly failure?: IOFailure;
}

/**
 * Replaces digests by whole values for tests about to go to the comparator: a digest output is
 * fetched by calling the test again (without digests), a digest expected output from
 * `check.expectedOf`. Stops at the first test where that fails.
 */
async function wholeValues(
  session: Session,
  check: IOCheck,
  indices: readonly number[],
  outputs: readonly Wire[],
  signal: AbortSignal | undefined,
): Promise<WholeValues> {
  const out: WholeValues = { outputs: [], indices: [], expected: new Map() };
  const needExpected = indices.filter((i) => digestOf(check.expected[i]!) !== null);
  if (needExpected.length > 0) {
    if (!check.expectedOf) {
      const index = needExpected[0]!;
      const at = indices.indexOf(index);
      return {
        ...out,
        outputs: outputs.slice(0, at),
        indices: indices.slice(0, at),
        failure: { index, kind: "mismatch", input: check.inputs[index]!, expected: check.expected[index]!, actual: outputs[at]!, reason: "the expected output is known only by its digest" },
      };
    }
    const whole = await check.expectedOf(needExpected, signal);
    needExpected.forEach((i, k) => out.expected.set(i, whole[k]!));
  }
  for (const [k, index] of indices.entries()) {
    let output = outputs[k] as Wire;
    if (digestOf(output) !== null) {
      const v = await session.call(check.entryPoint, check.inputs[index]!.map((w) => new Encoded(w)), {
        timeoutMs: check.timeLimitsMs[index] ?? DEFAULT_TIME_FLOOR_MS,
        raw: true,
        ...(signal ? { signal } : {}),
      });
      if (v.status !== "ok") return { ...out, failure: callFailure(index, v, check) };
      output = (v.value as Encoded).wire;
    }
    out.outputs.push(output);
    out.indices.push(index);
  }
  return out;
}

/** The digest a wire value stands for, or null when it is a value. */
function digestOf(wire: Wire): Digest | null {
  if (wire === null || typeof wire !== "object" || Array.isArray(wire) || wire["$t"] !== "digest") return null;
  const v = wire["v"];
  if (v === null || typeof v !== "object" || Array.isArray(v) || typeof v["sha256"] !== "string" || typeof v["bytes"] !== "number") return null;
  return new Digest(v["sha256"], v["bytes"]);
}

function callFailure(index: number, v: CallVerdict, check: IOCheck): IOFailure {
  const kind: IOFailureKind = v.status === "timeout" ? "timeout" : v.status === "error" && v.exception ? "exception" : "crash";
  return {
    index,
    kind,
    input: check.inputs[index]!,
    expected: check.expected[index]!,
    ...(v.exception ? { exception: v.exception } : {}),
    reason: v.reason ?? v.status,
  };
}

export interface ReferenceRun {
  /** The reference's output for each input, in wire form. */
  readonly outputs: readonly Wire[];
  /** Time of each call as the supervisor measured it (the function and encoding its output), in ms. */
  readonly timesMs: readonly number[];
}

/**
 * Runs the reference solution on every input to get the expected outputs and its time per test.
 * Throws when the reference itself fails on an input: the dataset or the machine is broken, and
 * grading against it would be meaningless.
 */
export async function runReference(
  sandbox: Sandbox,
  reference: {
    code: string;
    entryPoint: string;
    inputs: readonly (readonly Wire[])[];
    timeoutMs?: number;
    limits?: Partial<Limits>;
    /** Keep outputs longer than this (wire text, bytes) as digests only; default: keep every output whole. */
    digestOverBytes?: number;
  },
  options: { signal?: AbortSignal } = {},
): Promise<ReferenceRun> {
  const signal = options.signal;
  const session = await sandbox.session({
    language: "python",
    code: reference.code,
    limits: { memoryBytes: DEFAULT_MEMORY_BYTES, cpuTimeMs: SESSION_CPU_MS, ...reference.limits, wallTimeMs: 60_000 },
    ...(signal ? { signal } : {}),
  });
  try {
    if (session.loaded.status !== "ok") {
      throw new Error(`the reference did not load: ${session.loaded.exception?.message ?? session.loaded.reason ?? session.loaded.status}`);
    }
    const outputs: Wire[] = [];
    const timesMs: number[] = [];
    for (let start = 0; start < reference.inputs.length; start = outputs.length) {
      const verdicts = await session.callMany(
        reference.entryPoint,
        reference.inputs.slice(start, start + CHUNK).map((input) => input.map((w) => new Encoded(w))),
        {
          timeoutMs: reference.timeoutMs ?? 60_000,
          stopOnFailure: true,
          raw: true,
          ...(reference.digestOverBytes === undefined ? {} : { digestOverBytes: reference.digestOverBytes }),
          ...(signal ? { signal } : {}),
        },
      );
      if (verdicts.length === 0) throw new Error("the reference's session answered a batch of calls with nothing");
      for (const [k, v] of verdicts.entries()) {
        if (v.status !== "ok") {
          const what = v.exception ? `${v.exception.type}: ${v.exception.message}` : (v.reason ?? "");
          throw new Error(`the reference failed on input ${start + k}: ${v.status} ${what}`);
        }
        outputs.push((v.value as Encoded).wire);
        // The whole call as the supervisor timed it (the function, then encoding its output), since
        // that is what a candidate's time limit is enforced on.
        timesMs.push(v.wallMs);
      }
    }
    return { outputs, timesMs };
  } finally {
    await session.close();
  }
}
