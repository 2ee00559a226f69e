import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";
import { CrucibleError } from "../errors.ts";
import { Complex, FrozenSet, GuestException, Opaque, Tuple } from "../sandbox/guest/codec.mjs";
import type { LibraryCallResult, LibraryPort, LibraryToolInfo } from "./library-port.ts";
import { zodTool, type ObjectSchema, type ToolEntry } from "./registry.ts";
import { hasHiddenText, safeText } from "./text.ts";
import { ExceptionView, viewException } from "./verdict-view.ts";

/** A failed library call as a result shows it: guest text escaped and capped. */
const FailureView = z.strictObject({
  status: z.string(),
  error: z.string(),
  exception: ExceptionView.optional(),
  stdout: z.string(),
  stderr: z.string(),
  wallMs: z.number(),
});

function viewFailure(r: LibraryCallResult, maxChars: number): z.infer<typeof FailureView> {
  return {
    status: r.status,
    error: safeText(r.error ?? r.status, maxChars).text,
    ...(r.exception ? { exception: viewException(new GuestException(r.exception.type, r.exception.message, r.exception.traceback), maxChars) } : {}),
    stdout: safeText(r.stdout, maxChars).text,
    stderr: safeText(r.stderr, maxChars).text,
    wallMs: r.wallMs,
  };
}

/** An MCP tool name a client can type and read: ASCII only, so no confusable can pass for another. */
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/u;
const MAX_DESCRIPTION_CHARS = 4000;
const MAX_SCHEMA_CHARS = 64 * 1024;

/** The per-client state the library tools use. */
export interface LibraryClient {
  /** Library tools this client loaded with load_tool (search-and-load mode). */
  readonly loaded: Set<string>;
  /** Tells this client its tool list changed. */
  toolsChanged(): void;
}

/**
 * Why `tool` must not be offered as an MCP tool, or `null` when it may be. The library's gate
 * already refuses hidden or imperative text at admission; this is the server's own last check on
 * what it puts in front of a model: a plain ASCII name that no built-in tool has, a verified
 * status, and a description and schemas free of control, bidi and invisible characters.
 */
export function unexposableReason(tool: LibraryToolInfo, reserved: ReadonlySet<string>): string | null {
  if (!NAME.test(tool.name)) return "its name is not a plain ASCII tool name";
  if (reserved.has(tool.name)) return "its name is a built-in tool's";
  if (tool.status !== "verified") return "it is not verified";
  if (tool.description.length > MAX_DESCRIPTION_CHARS) return "its description is too long";
  if (hasHiddenText(tool.description)) return "its description holds hidden or control characters";
  const schemas = JSON.stringify([tool.inputSchema, tool.outputSchema]);
  if (schemas.length > MAX_SCHEMA_CHARS) return "its schemas are too large";
  if (hasHiddenText(schemas)) return "its schemas hold hidden or control characters";
  if (tool.inputSchema["type"] !== "object") return "its input schema is not an object schema";
  return null;
}

/** One Ajv for every library schema: draft 2020-12, Crucible's `x-python` hints allowed, no logging. */
function newAjv(): Ajv2020 {
  return new Ajv2020({ strict: false, allErrors: false, logger: false, validateFormats: false });
}

/**
 * A verified library tool as its own MCP tool: its input schema (closed to extra properties), an
 * output schema wrapping the return value's as `{ result }`, and a handler that calls the library.
 * A call whose tool raised or ran out of limits is a result with `isError` and the failure as data.
 */
export function libraryToolEntry(tool: LibraryToolInfo, library: LibraryPort, maxOutputChars: number): ToolEntry<unknown> {
  const ajv = newAjv();
  const inputSchema: ObjectSchema = { additionalProperties: false, ...tool.inputSchema, type: "object" };
  const outputSchema: ObjectSchema = { type: "object", properties: { result: tool.outputSchema }, required: ["result"], additionalProperties: false };
  let validateInput: ValidateFunction;
  let validateOutput: ValidateFunction;
  try {
    validateInput = ajv.compile(inputSchema);
    validateOutput = ajv.compile(outputSchema);
  } catch (cause) {
    throw new CrucibleError("invalid_argument", `the tool ${tool.name} has a schema that does not compile`, { cause });
  }
  return {
    name: tool.name,
    title: tool.name,
    description: tool.description,
    inputSchema,
    outputSchema,
    annotations: { readOnlyHint: true, openWorldHint: false },
    meta: { "crucible/version": tool.version, "crucible/hash": tool.hash, "crucible/language": tool.language },
    parseInput(args) {
      return validateInput(args) ? { ok: true, value: args } : { ok: false, message: ajv.errorsText(validateInput.errors, { dataVar: "arguments" }) };
    },
    checkOutput(structured) {
      return validateOutput(structured) ? null : ajv.errorsText(validateOutput.errors, { dataVar: "output" });
    },
    async run(args, { signal }) {
      const outcome = await library.call(tool.name, args as Record<string, unknown>, { signal });
      if (outcome.status === "ok") return { structured: { result: plainJson(outcome.value) } };
      return { structured: { tool: tool.name, failure: viewFailure(outcome, maxOutputChars) }, isError: true };
    },
  };
}

/**
 * A decoded guest value as plain JSON, for results that must match a JSON Schema: tuples, sets and
 * frozensets become arrays, bytes base64 text, big ints numbers when exact (decimal text
 * otherwise), maps with non-string keys arrays of pairs, non-finite floats `null`, complex numbers
 * `[real, imag]`, values with no JSON form their repr.
 */
export function plainJson(value: unknown, depth = 0): unknown {
  if (depth > 200) throw new CrucibleError("invalid_argument", "the value is nested too deeply");
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => plainJson(v, depth + 1));
  if (value instanceof Tuple) return value.items.map((v) => plainJson(v, depth + 1));
  if (value instanceof Set || value instanceof FrozenSet) return [...(value as Set<unknown>)].map((v) => plainJson(v, depth + 1));
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Complex) return [value.real, value.imag];
  if (value instanceof Opaque) return value.repr;
  if (value instanceof GuestException) return { type: value.type, message: value.message };
  if (value instanceof Map) {
    const entries = [...(value as Map<unknown, unknown>).entries()];
    if (entries.every(([k]) => typeof k === "string" && k !== "__proto__")) {
      return Object.fromEntries(entries.map(([k, v]) => [k, plainJson(v, depth + 1)]));
    }
    return entries.map(([k, v]) => [plainJson(k, depth + 1), plainJson(v, depth + 1)]);
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plainJson(v, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return null; // a function or a symbol: nothing JSON can say
}

const ToolSummary = z.strictObject({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  hash: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  outputSchema: z.record(z.string(), z.unknown()),
});

function summary(tool: LibraryToolInfo): z.infer<typeof ToolSummary> {
  return { name: tool.name, version: tool.version, description: tool.description, hash: tool.hash, inputSchema: { ...tool.inputSchema }, outputSchema: { ...tool.outputSchema } };
}

export interface LibraryToolsDeps {
  readonly library: LibraryPort;
  /** Built-in tool names: a library tool may not take one. */
  readonly reserved: ReadonlySet<string>;
  readonly maxOutputChars: number;
  /** The entry for a library tool that may be offered, or `null` (cached by the server). */
  entryFor(name: string, signal: AbortSignal): Promise<ToolEntry<unknown> | null>;
}

/**
 * search_tools, load_tool and call_tool: the way into a library too large to list, and a way to
 * call a library tool for clients that do not follow `tools/list_changed`.
 */
export function libraryMetaTools(deps: LibraryToolsDeps): ToolEntry<LibraryClient>[] {
  const { library, reserved } = deps;
  const ToolName = z.string().regex(NAME).describe("a library tool's name");
  const find = async (name: string, signal: AbortSignal): Promise<ToolEntry<unknown>> => {
    const entry = await deps.entryFor(name, signal);
    if (!entry) throw new CrucibleError("invalid_argument", `there is no verified library tool named ${JSON.stringify(name)}; search_tools lists what exists`);
    return entry;
  };
  return [
    zodTool({
      name: "search_tools",
      title: "Search the tool library",
      description: "Searches the library of verified tools by what they do (full text over names, descriptions and the tasks they solved). Returns the best matches with their schemas; load_tool makes one callable as its own tool.",
      input: z.strictObject({ query: z.string().min(1).max(1000), limit: z.number().int().min(1).max(50).optional() }),
      output: z.strictObject({ tools: z.array(ToolSummary) }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      async run(args, { signal }) {
        const found = await library.search(args.query, { limit: args.limit ?? 10, signal });
        return { tools: found.filter((t) => unexposableReason(t, reserved) === null).map(summary) };
      },
    }),
    zodTool({
      name: "load_tool",
      title: "Load a library tool",
      description: "Adds a verified library tool to this client's tool list (the server then sends tools/list_changed) and returns its definition.",
      input: z.strictObject({ name: ToolName }),
      output: z.strictObject({ loaded: z.boolean(), tool: ToolSummary }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      async run(args, { signal, client }) {
        await find(args.name, signal);
        const tool = await library.get(args.name, { signal });
        if (!tool) throw new CrucibleError("invalid_argument", `the library tool ${JSON.stringify(args.name)} is gone`);
        const fresh = !client.loaded.has(args.name);
        client.loaded.add(args.name);
        if (fresh) client.toolsChanged();
        return { loaded: true, tool: summary(tool) };
      },
    }),
    zodTool({
      name: "call_tool",
      title: "Call a library tool",
      description: "Calls a verified library tool by name with its arguments (an object, as its input schema says). The same as calling the tool itself, for clients that have not loaded it.",
      input: z.strictObject({ name: ToolName, arguments: z.record(z.string(), z.unknown()).optional() }),
      output: z.strictObject({ tool: z.string(), isError: z.boolean(), result: z.unknown().optional(), failure: FailureView.optional() }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      async run(args, context) {
        const entry = await find(args.name, context.signal);
        const input = entry.parseInput(args.arguments ?? {});
        if (!input.ok) throw new CrucibleError("invalid_argument", `invalid arguments for ${args.name}: ${input.message}; nothing was run`);
        const result = await entry.run(input.value, context);
        if (result.isError) return { tool: args.name, isError: true, failure: result.structured["failure"] as z.infer<typeof FailureView> };
        const mismatch = entry.checkOutput(result.structured);
        if (mismatch !== null) throw new CrucibleError("protocol", `${args.name} produced a result that does not match its output schema (${mismatch}); the result was withheld`);
        return { tool: args.name, isError: false, result: result.structured["result"] };
      },
    }),
  ];
}
