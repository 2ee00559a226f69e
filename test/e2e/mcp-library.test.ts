// The tool library served over MCP through the real library facade (SQLite, the admission gate):
// a verified tool is its own MCP tool, admitting another sends tools/list_changed, and
// `crucible serve --db` serves a stored library to the official Inspector CLI.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLibrary, type Library } from "../../src/library/library.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";
import { CrucibleMcpServer } from "../../src/server/index.ts";
import { libraryPort } from "../../src/server/library-port.ts";
import { inspector, serveCommand } from "../support/mcp-serve.ts";

const spec = (name: string, body: string, description: string, f: (a: number, b: number) => number) => ({
  name,
  version: "1.0.0",
  language: "python",
  entryPoint: name,
  source: `def ${name}(a: int, b: int) -> int:\n    """${description}"""\n    return ${body}\n`,
  description,
  inputSchema: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] },
  outputSchema: { type: "integer" },
  examples: [{ args: [2, 3], output: f(2, 3) }],
  tests: [{ name: "small", args: [4, 5], expected: f(4, 5) }],
});

let dir: string;
let sandbox: Sandbox;
let library: Library;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "crucible-mcp-library-"));
  sandbox = createSandbox({ poolSize: 2 });
  library = await openLibrary({ url: join(dir, "library.db"), sandbox });
  const report = await library.add(spec("add_ints", "a + b", "Adds two integers.", (a, b) => a + b));
  expect(report.admitted, report.reason ?? "").toBe(true);
});
afterAll(async () => {
  await library.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the library over MCP", () => {
  it("should serve each verified tool as its own tool and announce newly admitted ones", async () => {
    const mcp = new CrucibleMcpServer({ sandbox, library: libraryPort(library) });
    const [c, s] = InMemoryTransport.createLinkedPair();
    await mcp.connect(s);
    const client = new Client({ name: "library", version: "1" });
    await client.connect(c);
    const tool = (await client.listTools()).tools.find((t) => t.name === "add_ints");
    expect(tool?.outputSchema).toMatchObject({ properties: { result: { type: "integer" } } });
    expect(tool?._meta?.["crucible/hash"]).toMatch(/^[0-9a-f]{64}$/u);
    const r = (await client.callTool({ name: "add_ints", arguments: { a: 20, b: 22 } })) as CallToolResult;
    expect(r.structuredContent).toEqual({ result: 42 });
    const found = (await client.callTool({ name: "search_tools", arguments: { query: "add integers" } })) as CallToolResult;
    expect((found.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain("add_ints");

    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    expect((await library.add(spec("mul_ints", "a * b", "Multiplies two integers.", (a, b) => a * b))).admitted).toBe(true);
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("mul_ints");
    expect(((await client.callTool({ name: "mul_ints", arguments: { a: 6, b: 7 } })) as CallToolResult).structuredContent).toEqual({ result: 42 });
    await client.close();
    await mcp.close();
  });

  it("should serve a stored library from `crucible serve --db` to the official Inspector CLI", async () => {
    const { command, args } = serveCommand(["--db", join(dir, "library.db"), "--no-seed"]);
    const listed = await inspector([command, ...args, "--method", "tools/list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((listed.json as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual(expect.arrayContaining(["run_code", "add_ints"]));
    const called = await inspector([command, ...args, "--method", "tools/call", "--tool-name", "add_ints", "--tool-arg", "a=40", "b=2"]);
    expect(called.code, called.stderr).toBe(0);
    expect((called.json as CallToolResult).structuredContent).toEqual({ result: 42 });
  });
});
