// Static checks: cheap filters before execution. The candidate's text is parsed (never run) by
// trusted guest code inside the sandbox, because parsing hostile text can exhaust the parser.
import { readFileSync } from "node:fs";
import { CrucibleError, throwIfAborted } from "../../errors.ts";
import { Encoded } from "../../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../../sandbox/sandbox.ts";

const STATIC_PY = readFileSync(new URL("./guest/static_check.py", import.meta.url), "utf8");

export type StaticIssueKind = "syntax" | "undefined_name" | "import";

/**
 * One finding. `error`: certain to fail or forbidden by policy (a syntax error, an import outside
 * the allowlist, an undefined name where code always runs: module level outside conditional
 * blocks, or the straight-line start of the entry point's body). `warning`: an undefined name
 * elsewhere, which fails only if that code runs.
 */
export interface StaticIssue {
  readonly kind: StaticIssueKind;
  readonly severity: "error" | "warning";
  /** 1-based line, 0 when unknown. */
  readonly line: number;
  readonly message: string;
  /** The undefined name or the module imported. */
  readonly name?: string;
}

/** What the static checks found in one program: `passed` when it has no `error`; `unchecked` when the checker itself broke on it. */
export type StaticReport =
  | { readonly status: "passed" | "rejected"; readonly issues: readonly StaticIssue[] }
  | { readonly status: "unchecked"; readonly issues: readonly StaticIssue[]; readonly reason: string };

export interface StaticOptions {
  /** The function the program is called through; its body's straight-line start counts as code that always runs. */
  readonly entryPoint?: string;
  /** Per program, its entry point (instead of one `entryPoint` for all). */
  readonly entryPoints?: readonly string[];
  /** Importable top-level modules (default: Python's standard library, `sys.stdlib_module_names`). */
  readonly allowedModules?: readonly string[];
  /** Programs checked per round trip (default 64). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * Checks Python programs without running them: syntax, names neither defined nor builtin, and
 * imports outside `allowedModules`. One report per program, in order. A program on which the
 * checker session breaks (parser exhaustion) is `unchecked`, never rejected.
 *
 * @throws CrucibleError `sandbox_unavailable` when the checker cannot start; `aborted`.
 */
export async function staticCheck(sandbox: Sandbox, programs: readonly string[], options: StaticOptions = {}): Promise<StaticReport[]> {
  const { signal } = options;
  const batchSize = Math.max(1, options.batchSize ?? 64);
  let session = await open(sandbox, signal);
  if (options.entryPoints && options.entryPoints.length !== programs.length) {
    throw new CrucibleError("invalid_argument", `${options.entryPoints.length} entry points for ${programs.length} programs`);
  }
  const entryOf = (i: number) => options.entryPoints?.[i] ?? options.entryPoint ?? null;
  const check = async (from: number, to: number): Promise<StaticReport[] | null> => {
    const batch = programs.slice(from, to);
    const entries = batch.map((_, k) => entryOf(from + k));
    const verdict = await session.call("static_check", [batch, entries, options.allowedModules ? [...options.allowedModules] : null], {
      timeoutMs: 10_000 + 2_000 * batch.length,
      raw: true,
      ...(signal ? { signal } : {}),
    });
    if (verdict.status === "ok" && verdict.value instanceof Encoded) return parseReports(verdict.value.wire, batch.length);
    if (verdict.restarted !== true) {
      await session.close();
      session = await open(sandbox, signal);
    }
    return null;
  };
  try {
    const out: StaticReport[] = [];
    for (let from = 0; from < programs.length; from += batchSize) {
      throwIfAborted(signal, "static checks");
      const to = Math.min(programs.length, from + batchSize);
      const reports = await check(from, to);
      if (reports) {
        out.push(...reports);
        continue;
      }
      for (let i = from; i < to; i++) out.push((await check(i, i + 1))?.[0] ?? { status: "unchecked", issues: [], reason: "the checker broke on this program (parser exhausted)" });
    }
    return out;
  } finally {
    await session.close();
  }
}

async function open(sandbox: Sandbox, signal: AbortSignal | undefined): Promise<Session> {
  const session = await sandbox.session({ language: "python", code: STATIC_PY, limits: { memoryBytes: 512 * 1024 ** 2, wallTimeMs: 600_000 }, ...(signal ? { signal } : {}) });
  if (session.loaded.status !== "ok") {
    await session.close();
    throw new CrucibleError("sandbox_unavailable", `the static checker did not load: ${session.loaded.reason ?? session.loaded.status}`);
  }
  return session;
}

const KINDS: readonly string[] = ["syntax", "undefined_name", "import"];

function parseReports(wire: unknown, count: number): StaticReport[] {
  if (!Array.isArray(wire) || wire.length !== count) throw new CrucibleError("protocol", "the static checker answered with the wrong number of reports");
  return wire.map((list: unknown) => {
    if (!Array.isArray(list)) throw new CrucibleError("protocol", "the static checker answered a report that is not a list");
    const issues = list.map((raw: unknown): StaticIssue => {
      const r = (raw ?? {}) as Record<string, unknown>;
      const kind = String(r["kind"]);
      const severity = r["severity"] === "error" ? "error" : "warning";
      if (!KINDS.includes(kind)) throw new CrucibleError("protocol", `the static checker answered an unknown kind ${JSON.stringify(kind)}`);
      const issue = { kind: kind as StaticIssueKind, severity, line: typeof r["line"] === "number" ? r["line"] : 0, message: String(r["message"]) } as const;
      return typeof r["name"] === "string" ? { ...issue, name: r["name"] } : issue;
    });
    return { status: issues.some((i) => i.severity === "error") ? "rejected" : "passed", issues };
  });
}
