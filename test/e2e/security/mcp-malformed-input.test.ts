// SECURITY.md, "Malformed input", through the MCP tools: lone surrogates, NUL bytes, oversized code
// (refused before anything spawns), code and arguments starting with "-", attempts to set
// interpreter variables, unknown languages and hostile names get clean, specific errors, and the
// server keeps serving (an open session survives all of it).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { CrucibleMcpServer } from "../../../src/server/index.ts";

let sandbox: Sandbox;
let counted: Sandbox;
let spawned = 0;
let mcp: CrucibleMcpServer;
let client: Client;
let sessionId: string;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2, limits: { maxCodeBytes: 64 * 1024 } });
  counted = { ...sandbox, host: sandbox.host, limits: sandbox.limits, poolSize: sandbox.poolSize, run: (r) => (spawned++, sandbox.run(r)), session: (r) => (spawned++, sandbox.session(r)), warm: (l) => sandbox.warm(l), stats: () => sandbox.stats(), close: () => sandbox.close() };
  mcp = new CrucibleMcpServer({ sandbox: counted });
  const [c, s] = InMemoryTransport.createLinkedPair();
  await mcp.connect(s);
  client = new Client({ name: "malformed", version: "1" });
  await client.connect(c);
  const opened = (await client.callTool({ name: "session_open", arguments: { language: "python", code: "state = {'n': 0}\ndef bump():\n    state['n'] += 1\n    return state['n']" } })) as CallToolResult;
  sessionId = (opened.structuredContent as { sessionId: string }).sessionId;
});
afterAll(async () => {
  await client.close();
  await mcp.close();
  await sandbox.close();
});

const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;

describe("malformed input through MCP", () => {
  it("should refuse lone surrogates, NUL bytes, oversized code and unknown languages with specific errors", async () => {
    const before = spawned;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ language: "python", code: "print('\ud800')" }, /lone surrogate/u],
      [{ language: "python", code: "print(1)", stdin: "a\udc00b" }, /lone surrogate/u],
      [{ language: "python", code: "print(1)", argv: ["\ud83d"] }, /lone surrogate/u],
      [{ language: "python", code: "print(1)\0" }, /NUL byte/u],
      [{ language: "python", code: "print(1)", argv: ["a\0b"] }, /NUL/u],
      [{ language: "python", code: `# ${"x".repeat(70 * 1024)}\nprint(1)` }, /over the 65536-byte limit/u],
      [{ language: "python", code: "print(1)", stdin: "y".repeat(70 * 1024) }, /over the 65536-byte limit/u],
      [{ language: "cobol", code: "DISPLAY 'HI'" }, /language.*python.*javascript.*typescript|Invalid option/su],
      [{ language: "Python", code: "print(1)" }, /language/u],
    ];
    for (const [args, message] of cases) {
      const r = await call("run_code", args);
      expect(r.isError, JSON.stringify(args).slice(0, 80)).toBe(true);
      expect(text(r)).toMatch(message);
    }
    // Surrogates and languages stop at the server's checks; NUL bytes and sizes reach the sandbox's
    // own checks, which refuse them before spawning anything (the sandbox's security tests cover that).
    expect(spawned - before).toBe(4);
  });

  it("should treat code and arguments starting with '-' as data, never as interpreter flags", async () => {
    const py = await call("run_code", { language: "python", code: "-1\nimport sys\nprint(sys.argv[1:])", argv: ["-c", "import os; os.system('id')", "--version", "-m", "http.server"] });
    expect(py.structuredContent).toMatchObject({ status: "ok", stdout: "['-c', \"import os; os.system('id')\", '--version', '-m', 'http.server']\n" });
    const js = await call("run_code", { language: "javascript", code: "-1;\nconsole.log(JSON.stringify(process.argv.slice(2)))", argv: ["--require", "/etc/passwd", "-e", "1"] });
    expect(js.structuredContent).toMatchObject({ status: "ok", stdout: '["--require","/etc/passwd","-e","1"]\n' });
  });

  it("should not let arguments set NODE_OPTIONS, PYTHONPATH, PYTHONSTARTUP or LD_PRELOAD", async () => {
    const vars = ["NODE_OPTIONS", "PYTHONPATH", "PYTHONSTARTUP", "LD_PRELOAD", "PYTHONINSPECT"];
    const refused = await call("run_code", { language: "python", code: "print(1)", env: Object.fromEntries(vars.map((v) => [v, "/tmp/evil"])) });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/env/u);
    const r = await call("run_code", {
      language: "python",
      code: `import os\nprint(sorted(k for k in os.environ if k in ${JSON.stringify(vars)}))`,
      argv: vars.map((v) => `${v}=/tmp/evil`),
      stdin: vars.map((v) => `export ${v}=/tmp/evil`).join("\n"),
    });
    expect(r.structuredContent).toMatchObject({ status: "ok", stdout: "[]\n" });
  });

  it("should refuse hostile function names and session ids", async () => {
    for (const entry of ["../../etc/passwd", "__import__('os').system('id')", "-rf", "a b", "f\u202e", ""]) {
      const r = await call("session_call", { sessionId, entry });
      expect(r.isError, entry).toBe(true);
      expect(text(r)).toMatch(/invalid arguments/u);
    }
    for (const id of ["../other", "x".repeat(10_000), "\u0000"]) {
      expect((await call("session_call", { sessionId: id, entry: "bump" })).isError).toBe(true);
    }
    const r = await call("run_tests", { code: "def f(): pass", entryPoint: "-rf", cases: [{ args: [], expected: null }] });
    expect(r.isError).toBe(true);
  });

  it("should have kept serving: the session opened first still holds its state", async () => {
    expect((await call("session_call", { sessionId, entry: "bump" })).structuredContent).toMatchObject({ status: "ok", value: 1 });
    expect((await call("session_call", { sessionId, entry: "bump" })).structuredContent).toMatchObject({ status: "ok", value: 2 });
  });
});
