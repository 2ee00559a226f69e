import { InvalidArgumentError, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { openLibrary, type Library } from "../library/library.ts";
import { seedLibrary } from "../library/seed/index.ts";
import { createSandbox } from "../sandbox/sandbox.ts";
import { CrucibleMcpServer } from "../server/crucible-server.ts";
import { libraryPort } from "../server/library-port.ts";
import { serveHttp, isLoopback } from "../server/http.ts";
import { LineStdioTransport } from "../server/stdio.ts";
import { limitOptions, limitsFrom, parseCount } from "./options.ts";
import { libraryLocation } from "./tools.ts";

interface ServeOptions {
  readonly http?: boolean;
  readonly host: string;
  readonly port: number;
  readonly token?: string;
  readonly allowedOrigin?: string[];
  readonly allowedHost?: string[];
  readonly maxListedTools?: number;
  readonly db?: string;
  readonly library: boolean;
  readonly seed: boolean;
  readonly [limit: string]: unknown;
}

function port(text: string): number {
  const n = parseCount(text);
  if (n > 65_535) throw new InvalidArgumentError(`a port is at most 65535, got ${n}`);
  return n;
}

/**
 * The bearer token for HTTP: `--token`, else the environment's CRUCIBLE_MCP_TOKEN. Off loopback one
 * is required; the error names both ways to give it.
 */
export function resolveToken(given: string | undefined, host: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = given ?? (env["CRUCIBLE_MCP_TOKEN"] || undefined);
  if (token !== undefined && (token.length < 16 || !/^[\x21-\x7e]+$/u.test(token))) {
    throw new CrucibleError("invalid_argument", "the MCP token must be at least 16 printable ASCII characters without spaces (--token or CRUCIBLE_MCP_TOKEN)");
  }
  if (!isLoopback(host) && token === undefined) {
    throw new CrucibleError("invalid_argument", `--host ${host} serves beyond this machine: give a bearer token with --token <secret> or the CRUCIBLE_MCP_TOKEN environment variable`);
  }
  return token;
}

/** `crucible serve`: the MCP server, over stdio (default) or Streamable HTTP. */
export function registerServe(cli: Command): void {
  const serve = cli
    .command("serve")
    .description("serve the sandbox, the checks and the tool library over MCP (stdio by default, --http for Streamable HTTP)")
    .option("--http", "serve Streamable HTTP at http://<host>:<port>/mcp instead of stdio")
    .option("--host <address>", "address to bind for --http (anything but loopback needs a token)", "127.0.0.1")
    .option("--port <n>", "port for --http", port, 7717)
    .option("--token <secret>", "bearer token HTTP clients must send (default: $CRUCIBLE_MCP_TOKEN)")
    .option("--allowed-origin <origin...>", "browser origins allowed besides loopback ones")
    .option("--allowed-host <name...>", "Host header names allowed besides loopback ones")
    .option("--db <path-or-url>", "the tool library: a SQLite file or a postgres:// URL (default: as for `crucible tools`)")
    .option("--no-library", "serve the sandbox and the checks only, without the tool library")
    .option("--no-seed", "do not admit the seed tools into an empty library")
    .option("--max-listed-tools <n>", "list up to this many library tools; past it clients use search_tools/load_tool", parseCount);
  for (const opt of limitOptions()) serve.addOption(opt);
  serve.action(async (opts: ServeOptions) => {
    const log = (line: string) => process.stderr.write(`crucible serve: ${line}\n`);
    const token = opts.http ? resolveToken(opts.token, opts.host) : undefined;
    const sandbox = createSandbox({ limits: limitsFrom(opts) });
    let library: Library | undefined;
    try {
      library = opts.library ? await openLibrary({ url: libraryLocation(opts.db), sandbox }) : undefined;
    } catch (error) {
      await sandbox.close();
      throw error;
    }
    const mcp = new CrucibleMcpServer({
      sandbox,
      log,
      ...(library ? { library: libraryPort(library) } : {}),
      ...(opts.maxListedTools === undefined ? {} : { maxListedTools: opts.maxListedTools }),
    });
    // An empty library is seeded while clients are already served: the seed tools appear through
    // tools/list_changed when the gate has admitted them.
    const seedAbort = new AbortController();
    const seeding = library && opts.seed ? seedIfEmpty(library, log, seedAbort.signal) : Promise.resolve();
    let stopHttp: (() => Promise<void>) | undefined;
    const stopped = new Promise<void>((resolve) => {
      let signals = 0;
      const stop = () => {
        // A second Ctrl-C stops at once, whatever is still closing.
        if (++signals > 1) process.exit(130);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      if (!opts.http) process.stdin.once("end", () => resolve());
    });
    try {
      if (opts.http) {
        const handle = await serveHttp(mcp, {
          host: opts.host,
          port: opts.port,
          log,
          ...(token === undefined ? {} : { token }),
          ...(opts.allowedOrigin ? { allowedOrigins: opts.allowedOrigin } : {}),
          ...(opts.allowedHost ? { allowedHosts: opts.allowedHost } : {}),
        });
        stopHttp = () => handle.close();
        log(`listening on ${handle.url}${token ? " (bearer token required)" : ""}`);
      } else {
        await mcp.connect(new LineStdioTransport());
        log(
          process.stdin.isTTY
            ? "serving MCP on stdio: an MCP client should start this command and talk JSON-RPC on its stdin/stdout (add --http to serve http://127.0.0.1:7717/mcp instead); Ctrl-C stops"
            : "serving MCP on stdio",
        );
      }
      await stopped;
    } finally {
      seedAbort.abort();
      await stopHttp?.();
      await mcp.close();
      // Seeding stops at its next cancellation point; the store is closed after it or after 2 s.
      await Promise.race([seeding, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      await library?.close();
      await sandbox.close();
    }
  });
}

async function seedIfEmpty(library: Library, log: (line: string) => void, signal: AbortSignal): Promise<void> {
  try {
    if ((await library.list({ status: "any", limit: 1, signal })).length > 0) return;
    log("the library is empty: admitting the seed tools");
    const report = await seedLibrary(library, { signal });
    log(`seed tools admitted: ${report.admitted} of ${report.reports.length} in ${(report.ms / 1000).toFixed(1)} s${report.refused.length > 0 ? `; refused: ${report.refused.map((r) => r.name).join(", ")}` : ""}`);
  } catch (error) {
    if (signal.aborted) return;
    log(`could not seed the library: ${error instanceof Error ? error.message : String(error)}`);
  }
}
