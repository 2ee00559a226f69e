// The batched search must report exactly what a call-by-call search reports (same seed, path,
// counts, counterexamples), with the search phase in a few round trips. In memory: the candidate
// and the oracle are host functions behind the same interfaces the sandbox sessions implement.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode, Encoded, GuestException, type Wire } from "../../sandbox/guest/codec.mjs";
import type { CallVerdict } from "../../sandbox/verdict.ts";
import type { Candidate } from "./candidate.ts";
import type { Oracle } from "./oracle.ts";
import { searchProperty, type SearchOptions } from "./search.ts";

const VERDICT = { reason: null, exitCode: 0, signal: null, wallMs: 0, cpuMs: 0, peakMemoryBytes: 0, stdout: "", stderr: "", stdoutTruncated: false, stderrTruncated: false } as const;

/** A host function as a candidate, counting its round trips. */
function hostCandidate(fn: (...args: never[]) => unknown): Candidate & { batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    callMany: (argsList, options) => {
      batches.push(argsList.length);
      const out: CallVerdict[] = [];
      for (const args of argsList) {
        try {
          const value = fn(...(args.map((a) => decode(a)) as never[]));
          out.push({ ...VERDICT, status: "ok", value: new Encoded(encode(value)) });
        } catch (e) {
          out.push({ ...VERDICT, status: "error", exception: new GuestException("ValueError", (e as Error).message) });
          if (options.stopOnFailure) break;
        }
      }
      return Promise.resolve(out);
    },
  };
}

/** A host predicate (and optional pre) as an oracle. */
function hostOracle(prop: (args: unknown[], out: unknown) => boolean, pre?: (args: unknown[]) => boolean): Oracle {
  const args = (w: readonly Wire[]): unknown[] => w.map((a) => decode(a));
  return {
    kind: "property",
    acceptsMany: (argsList) => Promise.resolve(argsList.map((a) => (pre ? pre(args(a)) : true))),
    judgeMany: (cases) =>
      Promise.resolve(cases.map((c) => (prop(args(c.args), decode(c.output)) ? { kind: "pass" as const } : { kind: "fail" as const, failure: { kind: "false" as const, message: "prop returned False", output: c.output } }))),
    close: () => Promise.resolve(),
  };
}

const ints = fc.tuple(fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 10 }), fc.integer({ min: 0, max: 20 })) as fc.Arbitrary<unknown[]>;
const options = (seed: number, more: Partial<SearchOptions> = {}): SearchOptions => ({ entryPoint: "f", oracle: "property", numRuns: 100, seed, timeoutMs: 1000, ...more });
const comparable = (r: object): object => ({ ...r, ms: 0 });

describe("searchProperty", () => {
  it("should report what the call-by-call search reports, searching in one round trip", async () => {
    // Wrong when the list sums past 60 (drops the last element).
    const f = (xs: number[]): number => (xs.reduce((a, b) => a + b, 0) > 60 ? xs.slice(0, -1) : xs).reduce((a, b) => a + b, 0);
    const prop = ([xs]: unknown[], out: unknown): boolean => out === (xs as number[]).reduce((a, b) => a + b, 0);
    for (const seed of [1, 2, 3, 42, 1234]) {
      const one = hostCandidate(f);
      const many = hostCandidate(f);
      const slow = await searchProperty(one, hostOracle(prop), ints, options(seed, { batchSize: 1 }));
      const shrinks: number[] = [];
      const fast = await searchProperty(many, hostOracle(prop), ints, options(seed, { onProgress: (_, phase) => phase === "shrink" && shrinks.push(1) }));
      expect(fast.status).toBe("failed");
      expect(comparable(fast)).toEqual(comparable(slow));
      expect(one.batches.every((n) => n === 1)).toBe(true);
      // One batch for the search; then one call per new shrink candidate, and the final re-run.
      expect(many.batches[0]).toBeGreaterThan(1);
      expect(many.batches.length).toBe(1 + shrinks.length + 1);
      if (fast.status !== "failed") continue;
      const replayed = await searchProperty(hostCandidate(f), hostOracle(prop), ints, options(seed, { path: fast.path }));
      expect(replayed.status === "failed" && replayed.counterexample).toEqual(fast.counterexample);
    }
  });

  it("should discard like the call-by-call search when pre() or raising rejects inputs", async () => {
    const f = (xs: number[], k: number): number => {
      if (k % 3 === 0) throw new Error("k must not be a multiple of 3");
      return Math.max(0, ...xs) + k;
    };
    const prop = ([xs, k]: unknown[], out: unknown): boolean => (out as number) >= Math.max(0, ...(xs as number[])) + (k as number);
    const pre = ([xs]: unknown[]): boolean => (xs as number[]).length % 2 === 0;
    for (const seed of [5, 6, 7]) {
      const one = hostCandidate(f);
      const many = hostCandidate(f);
      const slow = await searchProperty(one, hostOracle(prop, pre), ints, options(seed, { batchSize: 1, raises: "discard" }));
      const fast = await searchProperty(many, hostOracle(prop, pre), ints, options(seed, { raises: "discard" }));
      expect(fast.status).toBe("passed");
      expect(comparable(fast)).toEqual(comparable(slow));
      expect(fast.status === "passed" && fast.numDiscarded).toBeGreaterThan(50);
      expect(many.batches.length).toBeLessThanOrEqual(6);
    }
  });

  it("should give up, as fast-check does, when too many inputs are discarded", async () => {
    const f = (): number => {
      throw new Error("refuses everything");
    };
    const many = hostCandidate(f);
    const r = await searchProperty(many, hostOracle(() => true), ints, options(9, { raises: "discard", maxSkipsPerRun: 1 }));
    expect(r).toMatchObject({ status: "error", phase: "inputs", numRuns: 0, numDiscarded: 101 });
    expect(many.batches.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(101);
  });
});
