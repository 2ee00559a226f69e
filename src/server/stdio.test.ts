import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { LineStdioTransport } from "./stdio.ts";

function harness(maxLineBytes?: number) {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new LineStdioTransport({ input, output, ...(maxLineBytes === undefined ? {} : { maxLineBytes }) });
  const received: JSONRPCMessage[] = [];
  const sent: string[] = [];
  transport.onmessage = (m) => received.push(m);
  output.on("data", (d: Buffer) => sent.push(...d.toString().split("\n").filter(Boolean)));
  return { input, transport, received, sent: () => sent.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
const tick = () => new Promise((r) => setImmediate(r));

describe("LineStdioTransport", () => {
  it("should deliver messages split across chunks and several in one chunk", async () => {
    const h = harness();
    await h.transport.start();
    h.input.write('{"jsonrpc":"2.0","id":1,"me');
    h.input.write('thod":"ping"}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\r\n');
    await tick();
    expect(h.received).toEqual([
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
    ]);
  });

  it("should answer bad JSON, bad UTF-8, non-messages and oversized lines, and keep reading", async () => {
    const h = harness(80);
    await h.transport.start();
    h.input.write("nope\n");
    h.input.write(Buffer.from([0xc3, 0x28, 0x0a]));
    h.input.write('{"id":7,"method":"ping"}\n');
    h.input.write(`${"x".repeat(50)}`);
    h.input.write(`${"x".repeat(50)}\n`);
    h.input.write('{"jsonrpc":"2.0","id":8,"params":{"__proto__":{}},"method":"ping"}\n');
    h.input.write('{"jsonrpc":"2.0","id":9,"method":"ping"}\n');
    await tick();
    expect(h.sent().map((m) => [m["id"], (m["error"] as { code: number }).code])).toEqual([
      [null, -32700],
      [null, -32700],
      [7, -32600],
      [null, -32600],
      [8, -32602],
    ]);
    expect(h.received).toEqual([{ jsonrpc: "2.0", id: 9, method: "ping" }]);
  });

  it("should close when its input ends", async () => {
    const h = harness();
    let closed = false;
    h.transport.onclose = () => (closed = true);
    await h.transport.start();
    h.input.end();
    await tick();
    expect(closed).toBe(true);
  });
});
