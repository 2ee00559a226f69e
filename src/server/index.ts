// The MCP server: Node-only (spawns sandboxes, listens on stdio or HTTP). Imported as "crucible/server".
export { CrucibleMcpServer } from "./crucible-server.ts";
export type { ClientState, CrucibleServerOptions } from "./crucible-server.ts";
export { serveHttp, isLoopback } from "./http.ts";
export type { HttpHandle, HttpOptions } from "./http.ts";
export { LineStdioTransport } from "./stdio.ts";
export type { StdioOptions } from "./stdio.ts";
export { libraryPort } from "./library-port.ts";
export type { LibraryCallResult, LibraryPort, LibraryToolInfo } from "./library-port.ts";
export { checkInputShape, DEFAULT_INPUT_BOUNDS } from "./guard.ts";
export type { InputBounds } from "./guard.ts";
export { escapeText, safeText } from "./text.ts";
