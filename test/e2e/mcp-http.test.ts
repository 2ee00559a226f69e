// `crucible serve --http` as a real child process: the SDK's Streamable HTTP client, the official
// Inspector CLI, and the official conformance suite's server scenarios (offline).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFORMANCE_CLI, inspector, startHttpServe, type HttpServe } from "../support/mcp-serve.ts";

let serve: HttpServe;
beforeAll(async () => {
  serve = await startHttpServe();
});
afterAll(async () => {
  await serve.stop();
});

/**
 * The conformance scenarios that exercise the reference "everything" server's fixtures (tools named
 * test_simple_text, prompts, resources, sampling, elicitation, logging, completion): Crucible serves
 * tools only and has none of those fixtures, so they fail by design. Every other scenario must pass,
 * and one of these passing would fail the run too (a stale baseline).
 */
const FIXTURE_SCENARIOS = [
  "logging-set-level",
  "completion-complete",
  "tools-call-simple-text",
  "tools-call-image",
  "tools-call-audio",
  "tools-call-embedded-resource",
  "tools-call-mixed-content",
  "tools-call-with-logging",
  "tools-call-error",
  "tools-call-with-progress",
  "tools-call-sampling",
  "tools-call-elicitation",
  "elicitation-sep1034-defaults",
  "elicitation-sep1330-enums",
  "json-schema-2020-12",
  "server-sse-polling",
  "resources-list",
  "resources-read-text",
  "resources-read-binary",
  "resources-templates-read",
  "resources-subscribe",
  "resources-unsubscribe",
  "prompts-list",
  "prompts-get-simple",
  "prompts-get-with-args",
  "prompts-get-embedded-resource",
  "prompts-get-with-image",
];

describe("crucible serve over Streamable HTTP", () => {
  it("should bind loopback by default and serve the SDK client", async () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/u);
    const client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("run_code");
    const r = (await client.callTool({ name: "run_code", arguments: { language: "python", code: "print('over http')" } })) as CallToolResult;
    expect(r.structuredContent).toMatchObject({ status: "ok", stdout: "over http\n" });
    await client.close();
  });

  it("should be listed and called by the official Inspector CLI", async () => {
    const listed = await inspector([serve.url, "--transport", "http", "--method", "tools/list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((listed.json as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain("session_open");
    const called = await inspector([serve.url, "--transport", "http", "--method", "tools/call", "--tool-name", "run_code", "--tool-arg", "language=javascript", "code=console.log(2**10)"]);
    expect(called.code, called.stderr).toBe(0);
    expect((called.json as CallToolResult).structuredContent).toMatchObject({ status: "ok", stdout: "1024\n" });
  });

  it("should pass the official conformance suite's server scenarios that apply to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crucible-conformance-"));
    try {
      const baseline = join(dir, "baseline.yml");
      writeFileSync(baseline, `server:\n${FIXTURE_SCENARIOS.map((s) => `  - ${s}\n`).join("")}`);
      const run = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, [CONFORMANCE_CLI, "server", "--url", serve.url, "--expected-failures", baseline, "-o", join(dir, "out")], { cwd: dir, timeout: 120_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
        );
      });
      const results = readdirSync(join(dir, "out")).map((d) => ({ scenario: d, checks: JSON.parse(readFileSync(join(dir, "out", d, "checks.json"), "utf8")) as { status: string }[] }));
      const passed = results.filter((r) => r.checks.every((c) => c.status === "SUCCESS")).map((r) => r.scenario);
      for (const scenario of ["server-initialize", "ping", "tools-list", "server-sse-multiple-streams", "dns-rebinding-protection"]) {
        expect(passed.some((p) => p.startsWith(`server-${scenario}-`)), `${scenario}\n${run.out}`).toBe(true);
      }
      expect(run.code, run.out).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
