// A sandbox session that hosts library tools: the tool, the closure of the tools it calls, and
// the trusted toolbox (guest/toolbox.py or .cjs) that loads each in a namespace of its own and calls
// them by hash. Everything a tool runs — its dependencies included — runs inside the sandbox.
import { readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { CrucibleError } from "../errors.ts";
import { Encoded, type Wire } from "../sandbox/guest/codec.mjs";
import type { Sandbox, Session } from "../sandbox/sandbox.ts";
import type { Limits } from "../sandbox/policy.ts";
import type { CallVerdict } from "../sandbox/verdict.ts";
import type { Tool, ToolLanguage, ToolSpec } from "./tool.ts";

const TOOLBOX_PY = readFileSync(new URL("./guest/toolbox.py", import.meta.url), "utf8");
const TOOLBOX_JS = readFileSync(new URL("./guest/toolbox.cjs", import.meta.url), "utf8");

/** Limits a tool runs under unless the caller says otherwise: a call is a short, small computation. */
export const TOOL_LIMITS: Readonly<Partial<Limits>> = Object.freeze({
  wallTimeMs: 5_000,
  cpuTimeMs: 60_000,
  memoryBytes: 256 * 1024 * 1024,
});

/** One tool as a session loads it: its key (hash) and the keys of the tools it calls, by name. */
export interface LoadedTool {
  readonly key: string;
  readonly name: string;
  readonly language: ToolLanguage;
  readonly source: string;
  readonly entryPoint: string;
  /** Dependency name → key, exactly as recorded at admission. */
  readonly deps: Readonly<Record<string, string>>;
}

/** The session form of a stored tool. */
export function loadedTool(tool: Tool | (ToolSpec & { readonly hash: string })): LoadedTool {
  const deps: Record<string, string> = {};
  for (const d of tool.dependencies) Object.defineProperty(deps, d.name, { value: d.hash, enumerable: true });
  return { key: tool.hash, name: tool.name, language: tool.language, source: tool.source, entryPoint: tool.entryPoint, deps };
}

/** TypeScript is stripped here, per tool, so a tool that does not compile fails alone. */
function guestSource(tool: LoadedTool): string {
  if (tool.language !== "typescript") return tool.source;
  try {
    return stripTypeScriptTypes(tool.source, { mode: "transform" });
  } catch (cause) {
    return `throw new SyntaxError(${JSON.stringify(`tool ${tool.name} does not compile: ${(cause as Error).message}`)});`;
  }
}

/**
 * The code of a toolbox session: the toolbox, then one install line with every tool in order
 * (dependencies before the tools that call them). The bundle is a JSON text written as a string
 * literal, which both Python and JavaScript read the same way.
 */
export function toolboxCode(language: ToolLanguage, tools: readonly LoadedTool[]): string {
  const bundle = JSON.stringify(JSON.stringify(tools.map((t) => ({ key: t.key, name: t.name, source: guestSource(t), entry: t.entryPoint, deps: t.deps }))));
  return language === "python" ? `${TOOLBOX_PY}\n_crucible_install(${bundle})\n` : `${TOOLBOX_JS}\n__crucible_install(${bundle});\n`;
}

/** Orders tools so that each comes after the tools it depends on (keys not in the list are ignored). */
export function dependencyOrder(tools: readonly LoadedTool[]): LoadedTool[] {
  const byKey = new Map(tools.map((t) => [t.key, t]));
  const out: LoadedTool[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (t: LoadedTool, path: readonly string[]): void => {
    const s = state.get(t.key);
    if (s === "done") return;
    if (s === "visiting") throw new CrucibleError("invalid_argument", `tools depend on each other in a cycle: ${[...path, t.name].join(" → ")}`);
    state.set(t.key, "visiting");
    for (const dep of Object.values(t.deps)) {
      const d = byKey.get(dep);
      if (d) visit(d, [...path, t.name]);
    }
    state.set(t.key, "done");
    out.push(t);
  };
  for (const t of tools) visit(t, []);
  return out;
}

/**
 * An open sandbox session holding a set of tools of one language. Calls are by key; argument
 * values may be host values or `Encoded` wire.
 */
export class ToolboxSession {
  readonly language: ToolLanguage;
  readonly limits: Partial<Limits>;
  private readonly session: Session;

  private constructor(language: ToolLanguage, session: Session, limits: Partial<Limits>) {
    this.language = language;
    this.session = session;
    this.limits = limits;
  }

  /**
   * Opens a session with `tools` loaded (in dependency order). A tool that fails to load does not
   * fail the session: `loadError(key)` says why. Throws `invalid_argument` when the tools are not
   * all of `language`, and `sandbox_unavailable` when the toolbox itself does not load.
   */
  static async open(sandbox: Sandbox, language: ToolLanguage, tools: readonly LoadedTool[], options: { limits?: Partial<Limits>; signal?: AbortSignal } = {}): Promise<ToolboxSession> {
    const other = tools.find((t) => t.language !== language);
    if (other) {
      throw new CrucibleError("invalid_argument", `tool ${other.name} is ${other.language}, but this session runs ${language}: a tool can call only tools of its own language`);
    }
    const limits = { ...TOOL_LIMITS, ...options.limits };
    const session = await sandbox.session({
      language: language === "python" ? "python" : "javascript",
      code: toolboxCode(language, dependencyOrder(tools)),
      limits,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (session.loaded.status !== "ok") {
      await session.close();
      const why = session.loaded.exception ? `${session.loaded.exception.type}: ${session.loaded.exception.message}` : (session.loaded.reason ?? session.loaded.status);
      throw new CrucibleError("sandbox_unavailable", `the tool session did not start (${session.loaded.status}): ${why}`, { details: { status: session.loaded.status } });
    }
    return new ToolboxSession(language, session, limits);
  }

  private entry(name: "loaded" | "call" | "runtime"): string {
    return this.language === "python" ? `_crucible_${name}` : `__crucible_${name}`;
  }

  /** Null when the tool loaded, else the guest's exception (type: message) or the verdict's reason. */
  async loadError(key: string, signal?: AbortSignal): Promise<string | null> {
    const v = await this.session.call(this.entry("loaded"), [key], { ...(signal ? { signal } : {}) });
    if (v.status === "ok") return null;
    return v.exception ? `${v.exception.type}: ${v.exception.message}` : `${v.status}${v.reason ? `: ${v.reason}` : ""}`;
  }

  /** Calls a tool with positional arguments. */
  call(key: string, args: readonly unknown[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CallVerdict> {
    return this.session.call(this.entry("call"), [key, [...args]], options);
  }

  /**
   * Calls a tool once per argument list, in as few round trips as the backend allows (`raw` keeps
   * outputs as `Encoded` wire; `stopOnFailure` as in `Session.callMany`).
   */
  callMany(key: string, argsList: readonly (readonly unknown[])[], options: { timeoutMs?: number; raw?: boolean; stopOnFailure?: boolean; signal?: AbortSignal } = {}): Promise<CallVerdict[]> {
    return this.session.callMany(
      this.entry("call"),
      argsList.map((args) => [key, [...args]]),
      options,
    );
  }

  /** Runtime versions inside the guest (`python` or `node`). */
  async runtime(signal?: AbortSignal): Promise<Record<string, string>> {
    const v = await this.session.call(this.entry("runtime"), [], { ...(signal ? { signal } : {}) });
    if (v.status !== "ok" || v.value === null || typeof v.value !== "object") return {};
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v.value as Record<string, unknown>)) if (typeof x === "string") out[k] = x;
    return out;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** Wire values (as stored in examples and tests) for a call, sent as they are. */
export function wireArgs(args: readonly Wire[]): Encoded[] {
  return args.map((a) => new Encoded(a));
}
