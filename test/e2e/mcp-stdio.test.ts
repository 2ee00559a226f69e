// `crucible serve` as a real child process over stdio: the SDK's own client and the official
// Inspector CLI list and call its tools.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspector, PROJECT_DIR, serveCommand } from "../support/mcp-serve.ts";

let client: Client;
beforeAll(async () => {
  client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ ...serveCommand(), cwd: PROJECT_DIR, stderr: "pipe" }));
});
afterAll(async () => {
  await client.close();
});

describe("crucible serve over stdio", () => {
  it("should list its tools to the SDK client", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["run_code", "session_open", "session_call", "run_tests"]));
  });

  it("should run Python and TypeScript and return verdicts", async () => {
    const py = (await client.callTool({ name: "run_code", arguments: { language: "python", code: "print(sum(range(10)))" } })) as CallToolResult;
    expect(py.structuredContent).toMatchObject({ status: "ok", stdout: "45\n" });
    const ts = (await client.callTool({ name: "run_code", arguments: { language: "typescript", code: "const n: number = 7;\nconsole.log(n * 6);" } })) as CallToolResult;
    expect(ts.structuredContent).toMatchObject({ status: "ok", stdout: "42\n" });
  });

  it("should keep a session's state between calls", async () => {
    const opened = (await client.callTool({ name: "session_open", arguments: { language: "javascript", code: "let total = 0;\nfunction add(n) { total += n; return total; }" } })) as CallToolResult;
    const sessionId = (opened.structuredContent as { sessionId: string }).sessionId;
    await client.callTool({ name: "session_call", arguments: { sessionId, entry: "add", args: [2] } });
    const r = (await client.callTool({ name: "session_call", arguments: { sessionId, entry: "add", args: [40] } })) as CallToolResult;
    expect(r.structuredContent).toMatchObject({ status: "ok", value: 42 });
  });

  it("should be listed and called by the official Inspector CLI", async () => {
    const { command, args } = serveCommand();
    const listed = await inspector([command, ...args, "--method", "tools/list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((listed.json as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain("run_code");
    const called = await inspector([command, ...args, "--method", "tools/call", "--tool-name", "run_code", "--tool-arg", "language=python", "code=print(6*7)"]);
    expect(called.code, called.stderr).toBe(0);
    expect((called.json as CallToolResult).structuredContent).toMatchObject({ status: "ok", stdout: "42\n" });
  });
});
