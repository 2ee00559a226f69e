import { throwIfAborted } from "../../errors.ts";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { ENAMEL_SETTINGS, LeveledBench, type LeveledProblem, type LeveledSettings, type ReferenceProfile, type SampleEfficiency } from "./leveled.ts";

/** One problem and the programs to score on it. */
export interface SuiteEntry {
  readonly problem: LeveledProblem;
  /** Each sample's program (without the prompt; it runs as `prompt + "\n" + code`). */
  readonly codes: readonly string[];
}

export interface ProblemEfficiency {
  readonly id: string;
  readonly reference: ReferenceProfile;
  /** The time correction every sample of this problem got (1 for instructions). */
  readonly correction: number;
  /** One per code, in order. */
  readonly samples: readonly SampleEfficiency[];
  /** Profiling the reference plus scoring the samples, ms. */
  readonly wallMs: number;
}

export interface SuiteProgress {
  readonly done: number;
  readonly total: number;
  /** Samples that passed so far. */
  readonly passed: number;
}

export interface SuiteOptions {
  readonly settings?: LeveledSettings;
  /**
   * Problems measured at once. Default 1: ENAMEL advises against measuring in parallel, since
   * programs running side by side slow each other down.
   */
  readonly concurrency?: number;
  readonly onProgress?: (progress: SuiteProgress) => void;
  /** Called as each problem finishes (for writing results as they come). */
  readonly onProblem?: (result: ProblemEfficiency) => void;
  readonly signal?: AbortSignal;
}

/**
 * Scores every entry's samples on its problem (`LeveledBench`): tests generated and the reference
 * profiled once per problem, one time correction per problem (as ENAMEL's `evaluate` does), then
 * each sample in turn. Results come back in the entries' order.
 *
 * @throws CrucibleError `invalid_argument` when a problem's generator, reference or checker fails;
 * `aborted` when `signal` fires.
 */
export async function measureSuite(sandbox: Sandbox, entries: readonly SuiteEntry[], options: SuiteOptions = {}): Promise<ProblemEfficiency[]> {
  const settings = options.settings ?? ENAMEL_SETTINGS;
  const signal = options.signal;
  const total = entries.reduce((n, e) => n + e.codes.length, 0);
  const results: ProblemEfficiency[] = new Array<ProblemEfficiency>(entries.length);
  let done = 0;
  let passed = 0;
  let next = 0;
  options.onProgress?.({ done, total, passed });
  const worker = async () => {
    while (next < entries.length) {
      const index = next++;
      const entry = entries[index]!;
      throwIfAborted(signal, "measuring efficiency");
      const started = performance.now();
      const bench = await LeveledBench.open(sandbox, entry.problem, settings, signal);
      try {
        const correction = await bench.correction(signal);
        const samples: SampleEfficiency[] = [];
        for (const code of entry.codes) {
          const result = await bench.score(code, { correction, ...(signal ? { signal } : {}) });
          samples.push(result);
          done++;
          if (result.passed) passed++;
          options.onProgress?.({ done, total, passed });
        }
        results[index] = { id: entry.problem.id, reference: bench.reference, correction, samples, wallMs: performance.now() - started };
        options.onProblem?.(results[index]);
      } finally {
        await bench.close();
      }
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, entries.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
