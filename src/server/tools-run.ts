import { z } from "zod";
import { Encoded, type Wire } from "../sandbox/guest/codec.mjs";
import type { Limits } from "../sandbox/policy.ts";
import { LANGUAGES, type Language, type Sandbox } from "../sandbox/sandbox.ts";
import { zodTool, type ToolContext, type ToolEntry } from "./registry.ts";
import type { SessionTable } from "./sessions.ts";
import { VerdictView, viewVerdict } from "./verdict-view.ts";

/** What the run tools need from the server. */
export interface RunToolsDeps {
  readonly sandbox: Sandbox;
  /** Each text field of a result (stdout, stderr, a traceback, a value's JSON) is cut past this. */
  readonly maxOutputChars: number;
}

export interface RunClient {
  readonly sessions: SessionTable;
}

const Language = z.enum(LANGUAGES as [Language, ...Language[]]).describe("python, javascript or typescript (types are stripped)");

/**
 * The limits a client may set on its runs: each at most what the server's sandbox allows, so a
 * client can ask for less, never for more.
 */
export function limitsInput(ceiling: Limits) {
  const upTo = (max: number, min: number, unit: string) => z.number().int().min(min).max(max).describe(`${unit}, at most ${max}`);
  return z
    .strictObject({
      wallTimeMs: upTo(ceiling.wallTimeMs, 1, "wall time in ms"),
      cpuTimeMs: upTo(ceiling.cpuTimeMs, 1, "CPU time in ms"),
      memoryBytes: upTo(ceiling.memoryBytes, 16 * 1024 * 1024, "memory in bytes"),
      maxOutputBytes: upTo(ceiling.maxOutputBytes, 0, "bytes kept of stdout and of stderr each"),
    })
    .partial()
    .describe("limits for this run, each no higher than the server's");
}

/** Arguments in Crucible's tagged JSON: plain JSON, plus `{"$t": "tuple", "v": [...]}` and the like. */
const WireArgs = z.array(z.unknown()).max(10_000).describe('arguments as JSON; tuples, sets, bytes and big ints in tagged form, e.g. {"$t": "tuple", "v": [1, 2]}');

const SessionId = z.string().min(1).max(64).describe("the id session_open returned");

const withSignal = (signal: AbortSignal) => ({ signal });

/** run_code and the session tools: open, exec, call, close. */
export function runTools(deps: RunToolsDeps): ToolEntry<RunClient>[] {
  const { sandbox, maxOutputChars } = deps;
  const Limits = limitsInput(sandbox.limits);
  const timeoutMs = z.number().int().min(1).max(sandbox.limits.wallTimeMs).describe(`wall time for this step in ms, at most ${sandbox.limits.wallTimeMs}`);
  const Opened = z.strictObject({ sessionId: z.string(), loaded: VerdictView });
  const Closed = z.strictObject({ sessionId: z.string(), closed: z.boolean() });

  const runCode = zodTool({
    name: "run_code",
    title: "Run code in the sandbox",
    description:
      "Runs one Python, JavaScript or TypeScript program in an isolated sandbox (no network, no host files, limits enforced from outside) and returns its verdict: status (ok, error, timeout, memory, output_limit, disk_limit, killed, sandbox_error), exit code, times, memory, and its stdout/stderr as data.",
    input: z.strictObject({
      language: Language,
      code: z.string().describe("the whole program"),
      stdin: z.string().optional().describe("standard input for the program"),
      argv: z.array(z.string()).max(1024).optional().describe("arguments for the program"),
      limits: Limits.optional(),
    }),
    output: VerdictView,
    annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: false },
    async run(args, { signal }) {
      const verdict = await sandbox.run({
        language: args.language,
        code: args.code,
        ...(args.stdin === undefined ? {} : { stdin: args.stdin }),
        ...(args.argv === undefined ? {} : { argv: args.argv }),
        ...(args.limits === undefined ? {} : { limits: definedOnly(args.limits) }),
        signal,
      });
      return viewVerdict(verdict, maxOutputChars);
    },
  });

  const open = zodTool({
    name: "session_open",
    title: "Open a sandbox session",
    description:
      "Loads code once into a sandboxed interpreter that keeps its state between steps; then session_exec runs more code in it and session_call calls its functions. Returns the session id and how loading went. Sessions close after a while unused and when the client disconnects.",
    input: z.strictObject({ language: Language, code: z.string().describe("code to load; its top-level functions are what session_call reaches"), limits: Limits.optional() }),
    output: Opened,
    async run(args, { signal, client }: ToolContext<RunClient>) {
      const { id, session } = await client.sessions.open({
        language: args.language,
        code: args.code,
        ...(args.limits === undefined ? {} : { limits: definedOnly(args.limits) }),
        signal,
      });
      return { sessionId: id, loaded: viewVerdict(session.loaded, maxOutputChars) };
    },
  });

  const exec = zodTool({
    name: "session_exec",
    title: "Run more code in a session",
    description: "Executes code in an open session's namespace (variables and functions persist between steps) and returns the step's verdict.",
    input: z.strictObject({ sessionId: SessionId, code: z.string(), timeoutMs: timeoutMs.optional() }),
    output: VerdictView,
    async run(args, { signal, client }: ToolContext<RunClient>) {
      const verdict = await client.sessions.use(args.sessionId, (s) =>
        s.exec(args.code, { ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }), ...withSignal(signal) }),
      );
      return viewVerdict(verdict, maxOutputChars);
    },
  });

  const call = zodTool({
    name: "session_call",
    title: "Call a function in a session",
    description:
      "Calls a top-level function of an open session with JSON arguments and returns its verdict, with the returned value in `value`. A call that hangs or crashes the interpreter is killed and the session reloads its code.",
    input: z.strictObject({
      sessionId: SessionId,
      entry: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,254}$/u).describe("the function's name"),
      args: WireArgs.optional(),
      kwargs: z.record(z.string(), z.unknown()).optional().describe("Python keyword arguments"),
      timeoutMs: timeoutMs.optional(),
    }),
    output: VerdictView,
    async run(args, { signal, client }: ToolContext<RunClient>) {
      const verdict = await client.sessions.use(args.sessionId, (s) =>
        s.call(
          args.entry,
          (args.args ?? []).map((a) => new Encoded(a as Wire)),
          {
            raw: true,
            ...(args.kwargs === undefined ? {} : { kwargs: Object.fromEntries(Object.entries(args.kwargs).map(([k, v]) => [k, new Encoded(v as Wire)])) }),
            ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
            ...withSignal(signal),
          },
        ),
      );
      return viewVerdict(verdict, maxOutputChars);
    },
  });

  const close = zodTool({
    name: "session_close",
    title: "Close a session",
    description: "Closes an open session and ends its interpreter. `closed` is false when there was no such session (already closed or expired).",
    input: z.strictObject({ sessionId: SessionId }),
    output: Closed,
    annotations: { idempotentHint: true },
    async run(args, { client }: ToolContext<RunClient>) {
      return { sessionId: args.sessionId, closed: await client.sessions.close(args.sessionId) };
    },
  });

  return [runCode, open, exec, call, close];
}

/** The object without its `undefined` members (optional fields as zod parses them). */
function definedOnly<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
