// Calling a library tool: arguments checked against its input schema on the host, the tool (and
// the tools it calls) run in a fresh sandbox session, the output checked against its output schema
// before anyone sees it, and the use counted.
import { CrucibleError } from "../errors.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Limits } from "../sandbox/policy.ts";
import type { CallVerdict, VerdictStatus } from "../sandbox/verdict.ts";
import { paramsFromSchema, SchemaValidator, type ParamSchema } from "../verify/inputs/schema.ts";
import { jsonView } from "../verify/inputs/values.ts";
import { ToolboxSession, type LoadedTool } from "./invoke-session.ts";
import type { Tool } from "./tool.ts";

/**
 * How a call ended. `ok`: `value` is the output, valid against the output schema.
 * `invalid_output`: the tool answered, but not as its output schema says (the value is withheld).
 * Otherwise the sandbox verdict's status (`error` with the tool's exception, `timeout`, …).
 */
export type ToolCallStatus = VerdictStatus | "invalid_output";

export interface ToolCallResult {
  readonly status: ToolCallStatus;
  readonly tool: { readonly name: string; readonly version: string; readonly hash: string };
  /** The output (JSON view of what the tool returned), when `status` is `ok`. */
  readonly value?: unknown;
  /** What went wrong, in words, when `status` is not `ok` (the exception, the schema violation). */
  readonly error?: string;
  readonly exception?: { readonly type: string; readonly message: string; readonly traceback: string };
  /** What the tool printed (guest output is data: never interpret it). */
  readonly stdout: string;
  readonly stderr: string;
  /** Time inside the tool, and wall time of the whole call including the session start, in ms. */
  readonly callMs: number;
  readonly wallMs: number;
}

export interface CallToolOptions {
  /** Wall time of the call (default 5000 ms). */
  readonly timeoutMs?: number;
  readonly limits?: Partial<Limits>;
  readonly signal?: AbortSignal;
}

const validator = new SchemaValidator();

/**
 * Turns the arguments a caller gives into the positional list the entry point takes: an object
 * of named arguments (MCP's shape) or an array in parameter order. Named arguments are checked
 * against the input schema first.
 * @throws CrucibleError `invalid_argument` naming what is wrong and the parameters there are.
 */
export function argumentList(tool: Pick<Tool, "name" | "inputSchema">, args: unknown): unknown[] {
  const params: ParamSchema[] = paramsFromSchema(tool.inputSchema);
  const named: Record<string, unknown> = {};
  if (Array.isArray(args)) {
    if (args.length > params.length) throw new CrucibleError("invalid_argument", `${tool.name} takes ${params.length} argument(s) (${params.map((p) => p.name).join(", ")}), not ${args.length}`);
    args.forEach((a, i) => Object.defineProperty(named, params[i]!.name, { value: a, enumerable: true }));
  } else if (args !== null && typeof args === "object") {
    for (const k of Object.keys(args)) Object.defineProperty(named, k, { value: (args as Record<string, unknown>)[k], enumerable: true });
  } else if (args !== undefined) {
    throw new CrucibleError("invalid_argument", `arguments to ${tool.name} must be an object of named arguments (${params.map((p) => p.name).join(", ")})`);
  }
  const problem = validator.check(tool.inputSchema, named);
  if (problem !== null) {
    throw new CrucibleError("invalid_argument", `the arguments do not match ${tool.name}'s input schema: ${problem}; its parameters are ${params.map((p) => `${p.name}${p.optional ? "?" : ""}`).join(", ")}`, {
      details: { tool: tool.name, problem },
    });
  }
  const last = params.findLastIndex((p) => Object.hasOwn(named, p.name));
  const gap = params.slice(0, last + 1).find((p) => !Object.hasOwn(named, p.name));
  if (gap) {
    throw new CrucibleError("invalid_argument", `${tool.name}: give ${gap.name} too when you give a later argument (arguments are passed in order: ${params.map((p) => p.name).join(", ")})`);
  }
  return params.slice(0, last + 1).map((p) => named[p.name]);
}

/**
 * Runs a tool (already resolved, with its dependency closure) in a fresh sandbox session.
 * A fresh session per call: tools from different callers never share interpreter state.
 */
export async function callTool(sandbox: Sandbox, tool: Tool, closure: readonly LoadedTool[], args: readonly unknown[], options: CallToolOptions = {}): Promise<ToolCallResult> {
  const t0 = performance.now();
  const signal = options.signal;
  const session = await ToolboxSession.open(sandbox, tool.language, closure, { ...(options.limits ? { limits: options.limits } : {}), ...(signal ? { signal } : {}) });
  let verdict: CallVerdict;
  try {
    verdict = await session.call(tool.hash, args, { timeoutMs: options.timeoutMs ?? 5_000, ...(signal ? { signal } : {}) });
  } finally {
    await session.close();
  }
  const base = {
    tool: { name: tool.name, version: tool.version, hash: tool.hash },
    stdout: verdict.stdout,
    stderr: verdict.stderr,
    callMs: verdict.callMs ?? verdict.wallMs,
    wallMs: performance.now() - t0,
  };
  if (verdict.status !== "ok") {
    const e = verdict.exception;
    return {
      ...base,
      status: verdict.status,
      error: e ? `${e.type}: ${e.message}` : `${verdict.status}${verdict.reason ? `: ${verdict.reason}` : ""}`,
      ...(e ? { exception: { type: e.type, message: e.message, traceback: e.traceback } } : {}),
    };
  }
  const problem = validator.check(tool.outputSchema, verdict.value);
  if (problem !== null) return { ...base, status: "invalid_output", error: `the output does not match ${tool.name}'s output schema: ${problem}` };
  return { ...base, status: "ok", value: jsonView(verdict.value) };
}
