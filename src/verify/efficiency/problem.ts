import { readFileSync } from "node:fs";
import { CrucibleError } from "../../errors.ts";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";
import type { CallVerdict } from "../../sandbox/verdict.ts";
import { wireNumber } from "./probe.ts";

const GEN_HELPERS_PY = readFileSync(new URL("./guest/gen_helpers.py", import.meta.url), "utf8");
const PROBLEM_PY = readFileSync(new URL("./guest/problem.py", import.meta.url), "utf8");

/** Generating a problem's inputs may take a while (big primes, long strings): the call's cap. */
const GENERATE_TIMEOUT_MS = 120_000;
const CHECK_TIMEOUT_MS = 60_000;

/**
 * The dataset side of a leveled problem in a sandboxed interpreter of its own: the input
 * generator (dataset code) builds the tests, the reference's outputs are kept there as answers,
 * and the checker judges outputs. Measured programs never run in it.
 */
export class ProblemSession {
  private readonly session: Session;

  private constructor(session: Session) {
    this.session = session;
  }

  static async open(sandbox: Sandbox, signal?: AbortSignal): Promise<ProblemSession> {
    const session = await sandbox.session({
      language: "python",
      code: `${GEN_HELPERS_PY}\n${PROBLEM_PY}`,
      limits: { memoryBytes: 4 * 1024 ** 3, cpuTimeMs: 3_600_000, wallTimeMs: 30_000 },
      ...(signal ? { signal } : {}),
    });
    if (session.loaded.status !== "ok") {
      await session.close();
      throw new CrucibleError("sandbox_unavailable", `the problem session did not load: ${session.loaded.reason ?? session.loaded.status}`);
    }
    return new ProblemSession(session);
  }

  /**
   * Runs the generator for every level and case (ENAMEL's seeding) and returns the inputs, each
   * as its argument list in wire form.
   * @throws CrucibleError `invalid_argument` when the generator fails: the dataset is broken.
   */
  async makeTests(spec: { prompt: string; generator: string; sizes: readonly bigint[]; counts: readonly number[]; seed: number }, signal?: AbortSignal): Promise<Wire[][][]> {
    const verdict = await this.session.call("crucible_make_tests", [spec.prompt, spec.generator, [...spec.sizes], [...spec.counts], spec.seed], {
      timeoutMs: GENERATE_TIMEOUT_MS,
      raw: true,
      ...(signal ? { signal } : {}),
    });
    const wire = valueOf(verdict, "the input generator");
    if (!Array.isArray(wire) || !wire.every((level) => Array.isArray(level) && level.every(Array.isArray))) {
      throw new CrucibleError("protocol", "the problem session answered the inputs in an unexpected shape");
    }
    return wire as Wire[][][];
  }

  /** Keeps the reference's outputs (per level, per case) and loads the checker. */
  async setAnswers(prompt: string, checker: string, answers: readonly (readonly Wire[])[], signal?: AbortSignal): Promise<void> {
    const verdict = await this.session.call("crucible_set_answers", [prompt, checker, new Encoded(answers.map((level) => [...level]))], {
      timeoutMs: CHECK_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    valueOf(verdict, "the checker");
  }

  /** Index (within `outputs`) of the first output of `level`'s cases from `first` on that the checker rejects, or -1. */
  async firstRejected(level: number, first: number, outputs: readonly Wire[], signal?: AbortSignal): Promise<number> {
    const verdict = await this.session.call("crucible_check", [level, first, new Encoded([...outputs])], {
      timeoutMs: CHECK_TIMEOUT_MS,
      raw: true,
      ...(signal ? { signal } : {}),
    });
    return wireNumber(valueOf(verdict, "the checker"));
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

function valueOf(verdict: CallVerdict, what: string): Wire {
  if (verdict.status === "ok" && verdict.value instanceof Encoded) return verdict.value.wire;
  if (verdict.status === "ok") return null;
  const why = verdict.exception ? `${verdict.exception.type}: ${verdict.exception.message}` : (verdict.reason ?? verdict.status);
  throw new CrucibleError("invalid_argument", `${what} failed (${verdict.status}): ${why}`, { details: { status: verdict.status } });
}
