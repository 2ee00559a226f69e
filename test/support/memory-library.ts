import type { Sandbox } from "../../src/sandbox/sandbox.ts";
import type { LibraryCallResult, LibraryPort, LibraryToolInfo } from "../../src/server/library-port.ts";
import { plainJson } from "../../src/server/tools-library.ts";

/** A tool of the in-memory library: its info plus Python source whose `entryPoint` is called. */
export interface MemoryTool extends LibraryToolInfo {
  readonly source: string;
  readonly entryPoint: string;
}

/**
 * A `LibraryPort` over a list in memory that runs each call in a real sandbox session: for tests
 * and benchmarks of the server that should not depend on the library's storage. `set` replaces the
 * tools and fires the change listeners, as admitting or removing a tool does.
 */
export class MemoryLibrary implements LibraryPort {
  private tools: MemoryTool[];
  private readonly listeners = new Set<() => void>();
  private readonly sandbox: Sandbox;
  calls = 0;

  constructor(sandbox: Sandbox, tools: readonly MemoryTool[]) {
    this.sandbox = sandbox;
    this.tools = [...tools];
  }

  set(tools: readonly MemoryTool[]): void {
    this.tools = [...tools];
    for (const listener of this.listeners) listener();
  }

  list(): Promise<readonly LibraryToolInfo[]> {
    return Promise.resolve(this.tools);
  }

  search(query: string, options: { limit: number }): Promise<readonly LibraryToolInfo[]> {
    const words = query.toLowerCase().split(/\W+/u).filter(Boolean);
    return Promise.resolve(this.tools.filter((t) => words.some((w) => `${t.name} ${t.description}`.toLowerCase().includes(w))).slice(0, options.limit));
  }

  get(name: string): Promise<LibraryToolInfo | null> {
    return Promise.resolve(this.tools.find((t) => t.name === name) ?? null);
  }

  async call(name: string, args: Readonly<Record<string, unknown>>, options: { signal?: AbortSignal }): Promise<LibraryCallResult> {
    const tool = this.tools.find((t) => t.name === name);
    if (!tool) throw new Error(`no tool ${name}`);
    this.calls++;
    const session = await this.sandbox.session({ language: "python", code: tool.source, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const v = await session.call(tool.entryPoint, [], { kwargs: args, ...(options.signal ? { signal: options.signal } : {}) });
      return {
        status: v.status,
        ...(v.status === "ok" ? { value: plainJson(v.value) } : { error: v.exception ? `${v.exception.type}: ${v.exception.message}` : (v.reason ?? v.status) }),
        ...(v.exception ? { exception: { type: v.exception.type, message: v.exception.message, traceback: v.exception.traceback } } : {}),
        stdout: v.stdout,
        stderr: v.stderr,
        wallMs: v.wallMs,
      };
    } finally {
      await session.close();
    }
  }

  onChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A Python tool for `MemoryLibrary`, verified, with a placeholder hash. */
export function memoryTool(name: string, source: string, schemas: { input: Record<string, unknown>; output: Record<string, unknown> }, description = `the ${name} tool`): MemoryTool {
  return {
    name,
    version: "1.0.0",
    description,
    language: "python",
    inputSchema: { type: "object", ...schemas.input },
    outputSchema: schemas.output,
    hash: "0".repeat(64),
    status: "verified",
    source,
    entryPoint: name,
  };
}
