// Helpers for the MCP server's end-to-end tests and benchmark: start `crucible serve` as a real
// child process, and run the official Inspector CLI against it. Node-only; not exported.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const PROJECT_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const INSPECTOR_DIR = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/inspector-cli/build/", import.meta.url));
export const CONFORMANCE_CLI = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/conformance/dist/index.js", import.meta.url));

/**
 * The command that runs `crucible serve` with `args` (for stdio clients). Without `--db` it serves
 * no library, so a test never opens (or seeds) the user's default library.
 */
export function serveCommand(args: readonly string[] = []): { command: string; args: string[] } {
  const library = args.includes("--db") ? [] : ["--no-library"];
  return { command: process.execPath, args: ["--disable-warning=ExperimentalWarning", CLI_MAIN, "serve", ...library, ...args] };
}

export interface HttpServe {
  readonly url: string;
  readonly child: ChildProcess;
  /** What the server wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `crucible serve --http --port 0 …` and resolves once it says where it listens. */
export async function startHttpServe(args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<HttpServe> {
  const { command, args: argv } = serveCommand(["--http", "--port", "0", ...args]);
  const child = spawn(command, argv, { cwd: PROJECT_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`crucible serve did not start: ${err}`)), 30_000);
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/u.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`crucible serve exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * Runs the official MCP Inspector in CLI mode with `args` and returns its parsed JSON output.
 * It runs from its own build directory: version 1.0.3 looks for its package.json relative to the
 * working directory.
 */
export function inspector(args: readonly string[]): Promise<{ code: number; json: unknown; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["cli.js", "--cli", ...args], { cwd: INSPECTOR_DIR, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        // left null: the test shows stdout and stderr
      }
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, json, stderr: `${stderr}\n${json === null ? stdout : ""}` });
    });
  });
}
