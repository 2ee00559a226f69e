import { readFileSync } from "node:fs";
import { CrucibleError } from "../../errors.ts";
import { Encoded, type Wire } from "../../sandbox/guest/codec.mjs";
import type { Sandbox } from "../../sandbox/sandbox.ts";

const EXAMPLES_PY = readFileSync(new URL("./guest/examples.py", import.meta.url), "utf8");

/** What the source says about a Python function's calls, read without running it. */
export interface SourceExamples {
  /** The entry point's positional parameters; null when the source defines no such function (or does not parse). */
  readonly params: readonly string[] | null;
  /** How many of them have no default. */
  readonly required: number;
  /** Argument lists (wire form) of the example calls in its docstring. */
  readonly doc: readonly (readonly Wire[])[];
  /** Argument lists of the literal calls to it (or to `candidate`) in the given test code. */
  readonly test: readonly (readonly Wire[])[];
}

function argLists(w: Wire): Wire[][] {
  return Array.isArray(w) ? w.filter((x): x is Wire[] => Array.isArray(x)) : [];
}

/**
 * Reads a Python function's parameters and example calls with `ast` inside the sandbox (the
 * source is untrusted, and parsing it is Python's job): the docstring's examples (`>>> f(1, 2)`,
 * `f([1]) ==> 3`, `For lst = [1, 2] the output should be …`, `Input: arr = [1], k = 2`) and, when
 * `test` is given, the literal arguments of the test's calls. Nothing in `code` or `test` runs.
 * @throws CrucibleError `sandbox_unavailable` when the reader itself fails.
 */
export async function readExamples(sandbox: Sandbox, code: string, entryPoint: string, test?: string, signal?: AbortSignal): Promise<SourceExamples> {
  const session = await sandbox.session({ language: "python", code: EXAMPLES_PY, limits: { wallTimeMs: 10_000 }, ...(signal ? { signal } : {}) });
  try {
    const v = await session.call("examples", [code, entryPoint, test ?? null], { timeoutMs: 20_000, raw: true, ...(signal ? { signal } : {}) });
    if (v.status !== "ok" || !(v.value instanceof Encoded)) {
      throw new CrucibleError("sandbox_unavailable", `reading the examples of ${entryPoint} failed: ${v.status} ${v.exception?.message ?? v.reason ?? ""}`);
    }
    const w = v.value.wire;
    if (w === null || typeof w !== "object" || Array.isArray(w)) throw new CrucibleError("protocol", "the example reader answered with something that is not a record");
    const params = w["params"];
    const required = w["required"];
    return {
      params: Array.isArray(params) ? params.filter((p): p is string => typeof p === "string") : null,
      required: typeof required === "number" ? required : 0,
      doc: argLists(w["doc"] ?? null),
      test: argLists(w["test"] ?? null),
    };
  } finally {
    await session.close();
  }
}
