import type { CallToolResult, Tool, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { isCrucibleError } from "../errors.ts";
import { checkInputShape, DEFAULT_INPUT_BOUNDS, type InputBounds } from "./guard.ts";
import { escapeText } from "./text.ts";

/** A JSON Schema object as MCP carries it (`type: "object"` at the top). */
export type ObjectSchema = { readonly type: "object" } & Readonly<Record<string, unknown>>;

/** What a tool's handler gets besides its arguments. */
export interface ToolContext<State = unknown> {
  /** Fires when the client cancels the request or disconnects; handlers pass it to the sandbox. */
  readonly signal: AbortSignal;
  /** The calling MCP connection's own state (its sandbox sessions, the library tools it loaded). */
  readonly client: State;
}

/**
 * One MCP tool: its definition as `tools/list` shows it, a strict input check, an output check and
 * the handler. Handlers return structured content (an object) or throw a `CrucibleError`; they
 * never build protocol messages.
 */
export interface ToolEntry<State = unknown> {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly inputSchema: ObjectSchema;
  readonly outputSchema?: ObjectSchema;
  readonly annotations?: ToolAnnotations;
  readonly meta?: Readonly<Record<string, unknown>>;
  /** The arguments as the handler wants them, or the reason they are refused. */
  parseInput(args: unknown): { ok: true; value: unknown } | { ok: false; message: string };
  /** `null` when the structured result matches the output schema, else why it does not. */
  checkOutput(structured: Record<string, unknown>): string | null;
  run(args: unknown, context: ToolContext<State>): Promise<ToolResult>;
}

/**
 * A handler's result: `structured` goes out as structured content (and, serialized, as the text
 * block); `isError` marks a result that reports a failure of the tool itself (a library tool that
 * raised), not of the call.
 */
export interface ToolResult {
  readonly structured: Record<string, unknown>;
  readonly isError?: boolean;
}

/** Defines a tool whose input and output are zod object schemas (every built-in tool). */
export function zodTool<In extends z.ZodObject, Out extends z.ZodObject, State>(spec: {
  name: string;
  title?: string;
  description: string;
  input: In;
  output: Out;
  annotations?: ToolAnnotations;
  run: (args: z.output<In>, context: ToolContext<State>) => Promise<z.input<Out>>;
}): ToolEntry<State> {
  return {
    name: spec.name,
    ...(spec.title === undefined ? {} : { title: spec.title }),
    description: spec.description,
    inputSchema: jsonSchemaOf(spec.input, "input"),
    outputSchema: jsonSchemaOf(spec.output, "output"),
    ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
    parseInput(args) {
      const parsed = spec.input.safeParse(args ?? {});
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: zodIssues(parsed.error) };
    },
    checkOutput(structured) {
      const parsed = spec.output.safeParse(structured);
      return parsed.success ? null : zodIssues(parsed.error);
    },
    async run(args, context) {
      return { structured: (await spec.run(args as z.output<In>, context)) };
    },
  };
}

function jsonSchemaOf(schema: z.ZodObject, io: "input" | "output"): ObjectSchema {
  const json = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>;
  delete json["$schema"];
  return { ...json, type: "object" };
}

/** zod's issues as one line: `path: message; path: message`. */
export function zodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length === 0 ? "(root)" : i.path.map(String).join(".")}: ${i.message}`)
    .join("; ");
}

/** The definition `tools/list` shows for `entry`. */
export function toolDefinition(entry: ToolEntry<never>): Tool {
  return {
    name: entry.name,
    ...(entry.title === undefined ? {} : { title: entry.title }),
    description: entry.description,
    inputSchema: entry.inputSchema,
    ...(entry.outputSchema === undefined ? {} : { outputSchema: entry.outputSchema }),
    ...(entry.annotations === undefined ? {} : { annotations: entry.annotations }),
    ...(entry.meta === undefined ? {} : { _meta: { ...entry.meta } }),
  };
}

/** A tool error: a result with `isError`, whose one text block says what went wrong and what to do. */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: escapeText(message) }], isError: true };
}

/**
 * Runs one tool call from start to end and always answers with a result, never a thrown error:
 * arguments are checked structurally (bounds, plain JSON) and then against the input schema before
 * the handler runs; the handler's structured content is checked against the output schema before
 * it leaves; `CrucibleError`s become `isError` results naming their code (`busy` says to retry).
 * The text block is the structured content serialized, escaped, so guest output is only ever data
 * inside a field.
 */
export async function callTool<State>(
  entry: ToolEntry<State>,
  args: unknown,
  context: ToolContext<State>,
  bounds: InputBounds = DEFAULT_INPUT_BOUNDS,
  log?: (message: string) => void,
): Promise<CallToolResult> {
  const shape = checkInputShape(args ?? {}, bounds);
  if (shape !== null) return errorResult(`invalid arguments for ${entry.name}: ${shape}; nothing was run`);
  const input = entry.parseInput(args ?? {});
  if (!input.ok) return errorResult(`invalid arguments for ${entry.name}: ${input.message}; nothing was run`);
  let result: ToolResult;
  try {
    result = await entry.run(input.value, context);
  } catch (error) {
    if (!isCrucibleError(error)) log?.(`${entry.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return errorResult(describeFailure(entry.name, error));
  }
  if (!result.isError) {
    const mismatch = entry.checkOutput(result.structured);
    if (mismatch !== null) {
      return errorResult(`${entry.name} produced a result that does not match its output schema (${mismatch}); the result was withheld`);
    }
  }
  return {
    content: [{ type: "text", text: escapeText(JSON.stringify(result.structured)) }],
    structuredContent: result.structured,
    ...(result.isError ? { isError: true } : {}),
  };
}

function describeFailure(tool: string, error: unknown): string {
  if (isCrucibleError(error)) {
    if (error.code === "busy") return `busy, retry later: ${error.message}`;
    return `${tool} failed [${error.code}]: ${error.message}`;
  }
  // An unexpected error is a bug of ours; its message may hold host paths, so only its kind goes out.
  const kind = error instanceof Error ? error.name : typeof error;
  return `${tool} failed with an internal error (${kind}); the server log has the details`;
}
