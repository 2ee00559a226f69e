import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  InitializeRequestSchema,
  isJSONRPCRequest,
  ListToolsRequestSchema,
  PingRequestSchema,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";

/** The requests served, with the SDK's schemas for them: params that fail one get Invalid Params. */
const SCHEMAS: Readonly<Record<string, { safeParse(v: unknown): { success: boolean } }>> = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  "tools/list": ListToolsRequestSchema,
  "tools/call": CallToolRequestSchema,
};

/**
 * Enforces the MCP lifecycle on a connected transport, in front of the SDK's protocol handling:
 * before `initialize` only `initialize` and `ping` are answered (anything else gets a standard
 * "Invalid Request" error); a second `initialize` on the same connection is refused the same way; a
 * served request whose params do not fit the method gets "Invalid params" (the SDK would answer
 * "Internal error").
 * Call after `server.connect(transport)`, which installs the handler this wraps.
 */
export function enforceLifecycle(transport: Transport): void {
  const inner = transport.onmessage;
  if (!inner) throw new Error("enforceLifecycle must be called after the server connected the transport");
  let initialized = false;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if (isJSONRPCRequest(message)) {
      const refuse = (text: string, code: number = ErrorCode.InvalidRequest) => {
        transport.send({ jsonrpc: "2.0", id: message.id, error: { code, message: text } }).catch(() => undefined);
      };
      if (message.method === "initialize") {
        if (initialized) return refuse("Invalid Request: this connection is already initialized");
        initialized = true;
      } else if (!initialized && message.method !== "ping") {
        return refuse(`Invalid Request: ${message.method} before initialize; send initialize first`);
      }
      const schema = Object.hasOwn(SCHEMAS, message.method) ? SCHEMAS[message.method] : undefined;
      if (schema && !schema.safeParse(message).success) {
        if (message.method === "initialize") initialized = false;
        return refuse(`Invalid params for ${message.method}`, ErrorCode.InvalidParams);
      }
    }
    inner.call(transport, message, extra);
  };
}
