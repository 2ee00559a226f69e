// The MCP server's cost: how much a tool call through MCP adds above the tool's own run time
// (p50/p95, over the in-memory transport and Streamable HTTP on loopback, for run_code on a trivial
// program and a trivial library tool), and a concurrent soak (default 60 s) over HTTP with its error
// count and the server's memory sampled every second. `npm run bench:mcp` writes the
// <!-- bench:mcp --> section of docs/benchmarks.md (run with --expose-gc, so memory samples are live
// memory); `--soak-s 10` shortens the soak, `--calls 100` the overhead pairs, `--no-write` prints only.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { openLibrary } from "../src/library/library.ts";
import { createSandbox } from "../src/sandbox/sandbox.ts";
import { CrucibleMcpServer } from "../src/server/crucible-server.ts";
import { serveHttp } from "../src/server/http.ts";
import { libraryPort } from "../src/server/library-port.ts";
import { benchHost } from "./baselines.ts";
import { describeMachine, machineFacts } from "./machine.ts";
import { foreignShareOf, percentiles, startMeter } from "./measure.ts";
import { DISTURBED_SHARE, ms, table, writeSection } from "./report.ts";

const DOC = new URL("../docs/benchmarks.md", import.meta.url).pathname;
const MARKERS = { start: "<!-- bench:mcp:start -->", end: "<!-- bench:mcp:end -->" };
const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const SOAK_S = flag("--soak-s", 60);
const CALLS = flag("--calls", 400);
const WRITE = !argv.includes("--no-write");
const log = (m: string) => process.stderr.write(`bench:mcp: ${m}\n`);

const TRIVIAL = { language: "python" as const, code: "print(1)" };
const ADD_SPEC = {
  name: "add_ints",
  version: "1.0.0",
  language: "python",
  entryPoint: "add_ints",
  source: 'def add_ints(a: int, b: int) -> int:\n    """Adds two integers."""\n    return a + b\n',
  description: "Adds two integers.",
  inputSchema: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] },
  outputSchema: { type: "integer" },
  examples: [{ args: [1, 2], output: 3 }],
  tests: [
    { name: "small", args: [2, 3], expected: 5 },
    { name: "negative", args: [-2, 3], expected: 1 },
  ],
};

const host = benchHost();
const facts = await machineFacts(host, 20, log);
const sandbox = createSandbox();
await sandbox.warm(["python"]);
// A SQLite file, as `crucible serve` uses: an in-memory database would count its own rows (usage
// statistics grow with every call) as the server's memory.
const dbDir = mkdtempSync(join(tmpdir(), "crucible-bench-mcp-"));
const library = await openLibrary({ url: join(dbDir, "library.db"), sandbox });
const admitted = await library.add(ADD_SPEC);
if (!admitted.admitted) throw new Error(`the bench's library tool was refused: ${admitted.reason}`);
const mcp = new CrucibleMcpServer({ sandbox, library: libraryPort(library), log });

async function inMemoryClient(): Promise<Client> {
  const [c, s] = InMemoryTransport.createLinkedPair();
  await mcp.connect(s);
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(c);
  return client;
}

const http = await serveHttp(mcp, { port: 0 });
async function httpClient(): Promise<Client> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  return client;
}

interface Row {
  readonly transport: string;
  readonly tool: string;
  readonly directP50: number;
  readonly mcpP50: number;
  readonly overheadP50: number;
  readonly overheadP95: number;
  readonly disturbed: boolean;
}

/**
 * Pairs each MCP call with the same operation made directly right before it (sandbox.run for
 * run_code, library.call for the library tool): overhead = MCP round trip − direct time, per pair.
 */
async function overhead(transport: string, client: Client, tool: "run_code" | "add_ints"): Promise<Row> {
  const direct: number[] = [];
  const viaMcp: number[] = [];
  const diffs: number[] = [];
  const callDirect = () => (tool === "run_code" ? sandbox.run(TRIVIAL) : library.call("add_ints", { a: 2, b: 3 }));
  const callMcp = () => client.callTool({ name: tool, arguments: tool === "run_code" ? TRIVIAL : { a: 2, b: 3 } }) as Promise<CallToolResult>;
  for (let i = 0; i < 20; i++) {
    await callDirect();
    await callMcp();
  }
  const meter = startMeter();
  for (let i = 0; i < CALLS; i++) {
    let t = performance.now();
    await callDirect();
    const d = performance.now() - t;
    t = performance.now();
    const r = await callMcp();
    const m = performance.now() - t;
    if (r.isError) throw new Error(`${tool} failed over ${transport}: ${JSON.stringify(r.content)}`);
    direct.push(d);
    viaMcp.push(m);
    diffs.push(m - d);
  }
  const reading = meter();
  const o = percentiles(diffs);
  return {
    transport,
    tool,
    directP50: percentiles(direct).p50,
    mcpP50: percentiles(viaMcp).p50,
    overheadP50: o.p50,
    overheadP95: o.p95,
    disturbed: foreignShareOf(reading) > DISTURBED_SHARE,
  };
}

const rows: Row[] = [];
const mem = await inMemoryClient();
const web = await httpClient();
for (const tool of ["run_code", "add_ints"] as const) {
  log(`overhead of ${tool} (${CALLS} paired calls per transport)`);
  rows.push(await overhead("in-memory", mem, tool));
  rows.push(await overhead("HTTP (loopback)", web, tool));
}

/** The soak: `concurrency` HTTP clients call run_code and the library tool in a loop for SOAK_S. */
async function soak(concurrency: number): Promise<{ calls: number; errors: number; rssMiB: number[]; heapMiB: number[]; seconds: number }> {
  const clients = await Promise.all(Array.from({ length: concurrency }, () => httpClient()));
  const rssMiB: number[] = [];
  const heapMiB: number[] = [];
  let calls = 0;
  let errors = 0;
  const end = performance.now() + SOAK_S * 1000;
  // With --expose-gc (as `npm run bench:mcp` runs it) each sample follows a full collection, so the
  // heap figure is live memory, not garbage not yet collected.
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    rssMiB.push(m.rss / 2 ** 20);
    heapMiB.push(m.heapUsed / 2 ** 20);
  }, 1000);
  await Promise.all(
    clients.map(async (client, i) => {
      for (let n = 0; performance.now() < end; n++) {
        const library_ = (n + i) % 2 === 0;
        try {
          const r = (await client.callTool({ name: library_ ? "add_ints" : "run_code", arguments: library_ ? { a: n, b: i } : { language: "python", code: `print(${n} * ${i})` } })) as CallToolResult;
          if (r.isError) errors++;
        } catch {
          errors++;
        }
        calls++;
      }
    }),
  );
  clearInterval(sampler);
  await Promise.all(clients.map((c) => c.close()));
  return { calls, errors, rssMiB, heapMiB, seconds: SOAK_S };
}

const concurrency = 4 * availableParallelism();
log(`soak: ${concurrency} HTTP clients for ${SOAK_S} s`);
const soaked = await soak(concurrency);
const third = Math.max(1, Math.floor(soaked.rssMiB.length / 3));
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const rssFirst = avg(soaked.rssMiB.slice(0, third));
const rssLast = avg(soaked.rssMiB.slice(-third));
const heapFirst = avg(soaked.heapMiB.slice(0, third));
const heapLast = avg(soaked.heapMiB.slice(-third));

await mem.close();
await web.close();
await http.close();
await mcp.close();
await library.close();
await sandbox.close();
rmSync(dbDir, { recursive: true, force: true });

const section = [
  MARKERS.start,
  "## MCP server",
  "",
  `Measured by \`npm run bench:mcp\` (\`bench/mcp.ts\`) on ${new Date().toISOString().slice(0, 10)}. ${describeMachine(facts)}`,
  "",
  `**Call overhead** — each MCP call is paired with the same operation made directly just before it (\`sandbox.run\` for \`run_code\` on \`print(1)\`; \`library.call\` for \`add_ints\`, a verified library tool); overhead = MCP round trip − direct time, over ${CALLS} pairs. The client runs in the same process, so transport and JSON costs on both sides count. Goal: p50 ≤ 5 ms.`,
  "",
  table(
    ["transport", "tool", "direct p50 ms", "via MCP p50 ms", "overhead p50 ms", "overhead p95 ms"],
    rows.map((r) => [r.transport, `\`${r.tool}\`${r.disturbed ? " (disturbed)" : ""}`, ms(r.directP50), ms(r.mcpP50), ms(r.overheadP50), ms(r.overheadP95)]),
  ),
  "",
  `**Soak** — ${concurrency} Streamable HTTP clients on loopback calling \`run_code\` and \`add_ints\` in turn for ${soaked.seconds} s: ${soaked.calls} calls (${(soaked.calls / soaked.seconds).toFixed(0)}/s), **${soaked.errors} errors**. Server process memory, sampled each second: RSS ${rssFirst.toFixed(0)} MiB on average in the first third, ${rssLast.toFixed(0)} MiB in the last (max ${Math.max(...soaked.rssMiB).toFixed(0)} MiB); JS heap${(globalThis as { gc?: unknown }).gc ? " (live, after a full collection)" : ""} ${heapFirst.toFixed(0)} → ${heapLast.toFixed(0)} MiB. RSS every 10 s (MiB): ${soaked.rssMiB.filter((_, i) => i % 10 === 9).map((x) => x.toFixed(0)).join(", ")}; heap: ${soaked.heapMiB.filter((_, i) => i % 10 === 9).map((x) => x.toFixed(0)).join(", ")}. The client runs in the same process: its memory is counted too.`,
  MARKERS.end,
].join("\n");

process.stdout.write(`${section}\n`);
if (WRITE) writeSection(DOC, section, MARKERS);
