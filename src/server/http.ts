import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ErrorCode, isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { CrucibleError } from "../errors.ts";
import type { CrucibleMcpServer } from "./crucible-server.ts";
import { findProtoKey } from "./guard.ts";

export interface HttpOptions {
  /** Address to bind; default 127.0.0.1. Anything but loopback needs `token`. */
  readonly host?: string;
  /** Port; default 7717 (0 picks a free one). */
  readonly port?: number;
  /** Bearer token clients must send (`Authorization: Bearer …`); required off loopback. */
  readonly token?: string;
  /** Origins allowed besides the loopback ones (http(s)://localhost, 127.0.0.1, [::1], any port). */
  readonly allowedOrigins?: readonly string[];
  /** Host header names allowed besides the loopback ones; off loopback with none given, any (the token guards). */
  readonly allowedHosts?: readonly string[];
  /** Largest request body (default 16 MiB). */
  readonly maxBodyBytes?: number;
  /** MCP sessions at once; past it, new clients get 503 busy (default 64). */
  readonly maxSessions?: number;
  /** An MCP session with no request for this long is closed (default 30 minutes). */
  readonly sessionIdleMs?: number;
  readonly log?: (message: string) => void;
}

export interface HttpHandle {
  /** The endpoint, such as http://127.0.0.1:7717/mcp. */
  readonly url: string;
  readonly port: number;
  /** MCP sessions open now. */
  sessions(): number;
  close(): Promise<void>;
}

const PATH = "/mcp";
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/gu, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/u.test(h);
}

interface Live {
  readonly transport: StreamableHTTPServerTransport;
  lastSeen: number;
}

/**
 * Serves MCP over Streamable HTTP at `/mcp` on node:http. Every request is checked before the MCP
 * layer sees it: the Host header (DNS rebinding) and the Origin header against allowlists, the
 * bearer token (compared in constant time) when one is set, and the body size. Each client gets its
 * own MCP session (and its own sandbox sessions), closed on DELETE, on idle and on shutdown.
 * @throws CrucibleError `invalid_argument` when asked to bind off loopback without a token.
 */
export async function serveHttp(mcp: CrucibleMcpServer, options: HttpOptions = {}): Promise<HttpHandle> {
  const host = options.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  if (!loopback && !options.token) {
    throw new CrucibleError("invalid_argument", `binding to ${host} exposes the server beyond this machine; give a token (--token or CRUCIBLE_MCP_TOKEN) or bind to 127.0.0.1`);
  }
  const tokenDigest = options.token ? digest(options.token) : null;
  const allowedHosts = new Set([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? [])].map((h) => h.toLowerCase()));
  const checkHost = loopback || (options.allowedHosts?.length ?? 0) > 0;
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxSessions = options.maxSessions ?? 64;
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const live = new Map<string, Live>();

  const refuse = (res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}) => {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== PATH) return refuse(res, 404, ErrorCode.InvalidRequest, `Not Found: the MCP endpoint is ${PATH}`);
    const hostHeader = req.headers.host;
    if (checkHost && (!hostHeader || !allowedHosts.has(hostnameOf(hostHeader)))) {
      return refuse(res, 403, -32000, "Forbidden: Host header not allowed");
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, allowedOrigins)) return refuse(res, 403, -32000, "Forbidden: Origin not allowed");
    if (tokenDigest && !bearerMatches(req.headers.authorization, tokenDigest)) {
      return refuse(res, 401, -32000, "Unauthorized: send Authorization: Bearer <token>", { "www-authenticate": 'Bearer realm="crucible"' });
    }

    let body: unknown;
    if (req.method === "POST") {
      const read = await readBody(req, maxBodyBytes);
      if (read === "too_large") return refuse(res, 413, ErrorCode.InvalidRequest, `Payload Too Large: at most ${maxBodyBytes} bytes`);
      try {
        body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(read));
      } catch {
        return refuse(res, 400, ErrorCode.ParseError, "Parse error: the body is not valid UTF-8 JSON");
      }
      const proto = findProtoKey(body);
      if (proto !== null) return refuse(res, 400, ErrorCode.InvalidParams, `Invalid params: a "__proto__" key (in ${proto.slice(0, 200)}) is refused`);
    }

    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const found = live.get(sessionId);
      if (!found) return refuse(res, 404, -32001, "Session not found: initialize a new session");
      found.lastSeen = Date.now();
      return found.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return refuse(res, 400, -32000, "Bad Request: no Mcp-Session-Id header; the first request of a session must be initialize");
    }
    if (live.size >= maxSessions) {
      return refuse(res, 503, -32000, `busy: ${live.size} MCP sessions are open, the most this server allows; retry later`, { "retry-after": "5" });
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        live.set(id, { transport, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) live.delete(transport.sessionId);
    };
    const server = await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
    if (transport.sessionId === undefined) await server.close();
  };

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log?.(`http: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      refuse(res, 500, ErrorCode.InternalError, "Internal error");
    });
  });
  http.requestTimeout = 0;
  http.headersTimeout = 30_000;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of live) {
      if (now - s.lastSeen > idleMs) {
        live.delete(id);
        void s.transport.close();
      }
    }
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 7717, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}${PATH}`,
    port,
    sessions: () => live.size,
    async close() {
      clearInterval(sweep);
      await Promise.allSettled([...live.values()].map((s) => s.transport.close()));
      live.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function hostnameOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** Loopback origins on any port, and the configured ones exactly. */
function originAllowed(origin: string, allowed: ReadonlySet<string>): boolean {
  if (allowed.has(origin)) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === "http:" || u.protocol === "https:") && LOOPBACK_HOSTS.includes(u.hostname.toLowerCase()) && u.origin === origin;
  } catch {
    return false;
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Compares digests in constant time, so the comparison's timing says nothing about the token. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/iu.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

/**
 * The body, or "too_large" as soon as it passes `maxBytes`. The rest of an oversized body is read
 * and dropped (so the client gets the 413 instead of a broken pipe), up to a bound past which the
 * connection is cut.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | "too_large"> {
  const drainOversized = () => {
    let dropped = 0;
    req.on("data", (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > 4 * maxBytes + 64 * 1024 * 1024) req.socket.destroy();
    });
  };
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      drainOversized();
      return resolve("too_large");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      chunks.length = 0;
      req.off("data", onData);
      drainOversized();
      resolve("too_large");
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}
