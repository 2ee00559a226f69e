import { readFileSync } from "node:fs";
import { CrucibleError } from "../errors.ts";
import { Encoded, type Wire } from "../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../sandbox/sandbox.ts";
import type { CallVerdict } from "../sandbox/verdict.ts";

const COMPARE_PY = readFileSync(new URL("./guest/compare.py", import.meta.url), "utf8");

/** Output oracles EvalPlus uses where plain equality is not the specification. */
export type Oracle = "find_zero" | "set_eq" | "not_none" | "surface_area" | "digit_distance";
/** `evalplus-0.2.0` reproduces that release's comparison quirks (see guest/compare.py). */
export type Compat = "evalplus-0.2.0";

/**
 * Compares candidate outputs with expected ones in a session of its own: trusted code
 * (guest/compare.py) in an interpreter the candidate never touches, so a candidate cannot patch
 * the comparison, and Python's own `==` decides, not an imitation of it.
 */
export class Comparator {
  private readonly sandbox: Sandbox;
  private session: Session | null = null;

  private constructor(sandbox: Sandbox) {
    this.sandbox = sandbox;
  }

  /** Starts the comparator's own session. */
  static async open(sandbox: Sandbox, signal?: AbortSignal): Promise<Comparator> {
    const comparator = new Comparator(sandbox);
    await comparator.start(signal);
    return comparator;
  }

  /**
   * Index of the first output that does not match its expected value (-1 when all match), and the
   * tolerance in force afterwards (EvalPlus keeps a tolerance once a float output turned it on).
   * A comparator session that broke (say, on outputs too large for its memory) is started again
   * once before the comparison is given up.
   */
  async firstMismatch(
    outputs: readonly Wire[],
    expected: readonly Wire[],
    inputs: readonly (readonly Wire[])[],
    atol: number,
    oracle: Oracle | undefined,
    compat: Compat | undefined,
    signal?: AbortSignal,
  ): Promise<{ index: number; atol: number }> {
    const args = [new Encoded([...outputs]), new Encoded([...expected]), new Encoded(inputs.map((a) => [...a])), atol, oracle ?? null, compat ?? null];
    let verdict: CallVerdict | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const session = this.session ?? (await this.start(signal));
      verdict = await session.call("compare", args, { timeoutMs: 120_000, ...(signal ? { signal } : {}) });
      if (verdict.status === "ok") break;
      await this.session?.close();
      this.session = null;
    }
    if (verdict?.status !== "ok" || !Array.isArray(verdict.value) || verdict.value.length !== 2) {
      throw new CrucibleError("sandbox_unavailable", `the comparator failed: ${verdict?.status} ${verdict?.reason ?? ""} ${verdict?.exception?.message ?? ""}`);
    }
    const [index, tol] = verdict.value as [unknown, unknown];
    return { index: Number(index), atol: Number(tol) };
  }

  async close(): Promise<void> {
    await this.session?.close();
    this.session = null;
  }

  private async start(signal?: AbortSignal): Promise<Session> {
    const session = await this.sandbox.session({
      language: "python",
      code: COMPARE_PY,
      limits: { wallTimeMs: 60_000, memoryBytes: 4 * 1024 ** 3 },
      ...(signal ? { signal } : {}),
    });
    if (session.loaded.status !== "ok") {
      await session.close();
      throw new CrucibleError("sandbox_unavailable", `the comparator did not load: ${session.loaded.reason ?? session.loaded.status}`);
    }
    this.session = session;
    return session;
  }
}
