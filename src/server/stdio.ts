import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { findProtoKey } from "./guard.ts";

export interface StdioOptions {
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
  /** Longest message line accepted; a longer one is dropped and answered with an error (default 16 MiB). */
  readonly maxLineBytes?: number;
}

/**
 * MCP over stdio: newline-delimited JSON-RPC on stdin and stdout. Unlike the SDK's stdio transport,
 * a line that is not JSON gets JSON-RPC's standard Parse error (-32700), one that is not a JSON-RPC
 * message an Invalid Request (-32600), and an oversized line is dropped with an error instead of
 * closing the connection, and a message with a `__proto__` key anywhere gets Invalid params
 * before the SDK's parsing could turn the key into a prototype: a hostile or broken client gets answers, never a dead server. Only this
 * transport writes to stdout; guest output never reaches it.
 */
export class LineStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private readonly input: NodeJS.ReadableStream;
  private readonly output: NodeJS.WritableStream;
  private readonly maxLineBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private discarding = false;
  private closed = false;

  constructor(options: StdioOptions = {}) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
  }

  start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("end", this.onEnd);
    this.input.on("error", this.onInputError);
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const text = `${JSON.stringify(message)}\n`;
    if (!this.output.write(text)) await new Promise<void>((resolve) => this.output.once("drain", resolve));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.off("error", this.onInputError);
    this.chunks = [];
    this.onclose?.();
    return Promise.resolve();
  }

  private readonly onEnd = (): void => {
    void this.close();
  };

  private readonly onInputError = (error: Error): void => {
    this.onerror?.(error);
  };

  private readonly onData = (data: Buffer | string): void => {
    let chunk = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10)) {
      const head = chunk.subarray(0, nl);
      chunk = chunk.subarray(nl + 1);
      if (this.discarding) {
        this.discarding = false;
        this.chunks = [];
        this.buffered = 0;
        continue;
      }
      const line = this.chunks.length === 0 ? head : Buffer.concat([...this.chunks, head]);
      this.chunks = [];
      this.buffered = 0;
      if (line.length > this.maxLineBytes) this.tooLarge();
      else this.handleLine(line);
    }
    if (chunk.length === 0 || this.discarding) return;
    this.buffered += chunk.length;
    if (this.buffered > this.maxLineBytes) {
      this.chunks = [];
      this.buffered = 0;
      this.discarding = true;
      this.tooLarge();
      return;
    }
    this.chunks.push(Buffer.from(chunk));
  };

  private tooLarge(): void {
    this.reply(null, ErrorCode.InvalidRequest, `Invalid Request: message larger than ${this.maxLineBytes} bytes; it was dropped`);
  }

  private handleLine(line: Buffer): void {
    let text: string;
    try {
      text = UTF8.decode(line).replace(/\r$/u, "");
    } catch {
      return this.reply(null, ErrorCode.ParseError, "Parse error: the line is not valid UTF-8");
    }
    if (text.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.reply(null, ErrorCode.ParseError, "Parse error: the line is not valid JSON");
    }
    const proto = findProtoKey(parsed);
    if (proto !== null) return this.reply(idOf(parsed), ErrorCode.InvalidParams, `Invalid params: a "__proto__" key (in ${proto.slice(0, 200)}) is refused`);
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (!message.success) {
      const id = idOf(parsed);
      return this.reply(id, ErrorCode.InvalidRequest, Array.isArray(parsed) ? "Invalid Request: batches are not supported" : "Invalid Request: not a JSON-RPC 2.0 message");
    }
    this.onmessage?.(message.data);
  }

  private reply(id: RequestId | null, code: number, message: string): void {
    // JSON-RPC answers an unidentifiable request with id null; the SDK's types have no room for it.
    this.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage).catch((error: unknown) => this.onerror?.(error as Error));
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function idOf(value: unknown): RequestId | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>)["id"];
  return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : null;
}
