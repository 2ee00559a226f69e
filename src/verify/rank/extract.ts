// Generated tests as CodeT reads them, and the inputs they call the entry point with. Done in the
// sandbox: it compiles and parses model output.
import { CrucibleError, throwIfAborted } from "../../errors.ts";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";
import { openRankHelper } from "./execute.ts";

/** CodeT's default: the first 5 tests of each generated completion are used. */
export const CODET_TEST_LIMIT = 5;

/** What `extractTests` finds in generated test completions. */
export interface ExtractedTests {
  /** Per completion, its tests (`assert …`) as CodeT cuts and checks them, the first `limit` of each. */
  readonly perCompletion: readonly (readonly string[])[];
  /** Distinct literal argument lists of the calls to the entry point in those tests, in wire form. */
  readonly inputs: readonly Encoded[];
}

/**
 * CodeT's test extraction (microsoft/CodeT `postprocess.py`). Each completion is the text after
 * `assert `; it is split at `assert `, parts that name the entry point are cut at CodeT's stop
 * sequences and kept when they compile inside a `try` block; `limit` (CodeT: 5) keeps the first
 * of each completion (0 keeps all). Also returns the literal argument lists of the calls to the
 * entry point in the kept tests (ast `literal_eval` of each argument; calls with keywords or
 * computed arguments are skipped). One result per task, in order, from one session.
 *
 * @throws CrucibleError `sandbox_unavailable` when the helper fails; `aborted`.
 */
export async function extractTests(
  sandbox: Sandbox,
  tasks: readonly { readonly completions: readonly string[]; readonly entryPoint: string }[],
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<ExtractedTests[]> {
  return withHelper(sandbox, options.signal, async (session) => {
    const out: ExtractedTests[] = [];
    for (const task of tasks) {
      const wire = await helperCall(session, "rank_extract", [[...task.completions], task.entryPoint, options.limit ?? CODET_TEST_LIMIT], options.signal);
      const shape = wire as { tests?: Wire; inputs?: Wire } | null;
      if (!shape || !Array.isArray(shape.tests) || !Array.isArray(shape.inputs)) throw new CrucibleError("protocol", "the ranking helper answered extraction with an unexpected shape");
      out.push({
        perCompletion: shape.tests.map((cases) => (Array.isArray(cases) ? cases.map(String) : [])),
        inputs: shape.inputs.map((args) => new Encoded(args)),
      });
    }
    return out;
  });
}

/**
 * The distinct literal argument lists of the calls to `entryPoint` in each task's tests (assert
 * statements), in wire form, as `extractTests` finds them.
 *
 * @throws CrucibleError `sandbox_unavailable` when the helper fails; `aborted`.
 */
export async function testInputs(
  sandbox: Sandbox,
  tasks: readonly { readonly tests: readonly string[]; readonly entryPoint: string }[],
  options: { signal?: AbortSignal } = {},
): Promise<Encoded[][]> {
  return withHelper(sandbox, options.signal, async (session) => {
    const out: Encoded[][] = [];
    for (const task of tasks) {
      const wire = await helperCall(session, "rank_inputs", [[...task.tests], task.entryPoint], options.signal);
      if (!Array.isArray(wire)) throw new CrucibleError("protocol", "the ranking helper answered with an unexpected shape");
      out.push(wire.map((args) => new Encoded(args)));
    }
    return out;
  });
}

async function withHelper<T>(sandbox: Sandbox, signal: AbortSignal | undefined, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await openRankHelper(sandbox, signal);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

async function helperCall(session: Session, entry: string, args: unknown[], signal: AbortSignal | undefined): Promise<Wire> {
  throwIfAborted(signal, "reading generated tests");
  const verdict = await session.call(entry, args, { timeoutMs: 120_000, raw: true, ...(signal ? { signal } : {}) });
  if (verdict.status !== "ok" || !(verdict.value instanceof Encoded)) {
    throw new CrucibleError("sandbox_unavailable", `reading generated tests failed: ${verdict.status} ${verdict.reason ?? ""} ${verdict.exception?.message ?? ""}`);
  }
  return verdict.value.wire;
}
