import type { Library } from "../library/library.ts";
import type { Tool } from "../library/tool.ts";

/**
 * What the MCP server needs of the tool library, and nothing more: the server is written against
 * this, and `libraryPort()` adapts the library facade to it. A test can hand in any object of this
 * shape.
 */
export interface LibraryPort {
  /** The tools to offer: the latest verified version of each name. */
  list(options?: { signal?: AbortSignal }): Promise<readonly LibraryToolInfo[]>;
  /** Tools matching `query` (full text and signature), best first. */
  search(query: string, options: { limit: number; signal?: AbortSignal }): Promise<readonly LibraryToolInfo[]>;
  /** The latest verified version of `name`, or `null` when there is none. */
  get(name: string, options?: { signal?: AbortSignal }): Promise<LibraryToolInfo | null>;
  /**
   * Calls a verified tool with its arguments (an object: parameter name → JSON value, as its input
   * schema says). A tool that raised or broke a limit is a result, not an error.
   */
  call(name: string, args: Readonly<Record<string, unknown>>, options: { signal?: AbortSignal }): Promise<LibraryCallResult>;
  /** Registers `listener` for changes of the set of tools; returns the function that unregisters it. */
  onChanged(listener: () => void): () => void;
}

/** A library tool as the server shows it. */
export interface LibraryToolInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly language: string;
  /** An object schema whose properties are the parameters. */
  readonly inputSchema: Readonly<Record<string, unknown>>;
  /** The schema of the return value (any JSON Schema). */
  readonly outputSchema: Readonly<Record<string, unknown>>;
  /** sha256 of the tool's canonical spec: the definition clients see is pinned to it. */
  readonly hash: string;
  readonly status: "verified" | "flagged";
}

/** How one call of a library tool went. */
export interface LibraryCallResult {
  /** `ok`, a verdict status (`error`, `timeout`, …) or `invalid_output`. */
  readonly status: string;
  /** The returned value as plain JSON, when `status` is `ok`. */
  readonly value?: unknown;
  /** What went wrong, in words, when `status` is not `ok`. */
  readonly error?: string;
  readonly exception?: { readonly type: string; readonly message: string; readonly traceback: string };
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

function info(tool: Tool): LibraryToolInfo {
  return {
    name: tool.name,
    version: tool.version,
    description: tool.description,
    language: tool.language,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    hash: tool.hash,
    status: tool.status,
  };
}

/** Adapts the library facade (`openLibrary`) to what the server needs. */
export function libraryPort(library: Library): LibraryPort {
  const full = async (names: readonly string[], signal?: AbortSignal): Promise<LibraryToolInfo[]> => {
    const tools = await Promise.all(names.map((n) => library.get(n, undefined, signal ? { signal } : {})));
    return tools.filter((t): t is Tool => t !== null && t.status === "verified").map(info);
  };
  return {
    async list(options = {}) {
      const summaries = await library.list({ status: "verified", ...(options.signal ? { signal: options.signal } : {}) });
      return full(summaries.map((s) => s.name), options.signal);
    },
    async search(query, options) {
      const hits = await library.search(query, { limit: options.limit, ...(options.signal ? { signal: options.signal } : {}) });
      return full(hits.map((h) => h.tool.name), options.signal);
    },
    async get(name, options = {}) {
      const tool = await library.get(name, undefined, options.signal ? { signal: options.signal } : {});
      return tool && tool.status === "verified" ? info(tool) : null;
    },
    async call(name, args, options) {
      const r = await library.call(name, args, options.signal ? { signal: options.signal } : {});
      return {
        status: r.status,
        ...(r.value === undefined ? {} : { value: r.value }),
        ...(r.error === undefined ? {} : { error: r.error }),
        ...(r.exception === undefined ? {} : { exception: r.exception }),
        stdout: r.stdout,
        stderr: r.stderr,
        wallMs: r.wallMs,
      };
    },
    onChanged(listener) {
      return library.on("changed", () => listener());
    },
  };
}
