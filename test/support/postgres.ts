// A throwaway PostgreSQL server for tests: initdb in a temporary directory, started on a free
// loopback port (and a unix socket in that directory), trust authentication, no fsync; stopped and
// deleted by `stop()`. As root it runs as the `postgres` user (PostgreSQL refuses to run as root),
// with a parent-death signal so a crashed test run leaves no server behind.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

export interface PostgresServer {
  /** Base URL without a database name, e.g. `postgres://crucible@127.0.0.1:54321`. */
  readonly baseUrl: string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Where Debian keeps PostgreSQL's server binaries (the highest version), or null. */
export function findPostgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function uidOf(user: string): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run("id", ["-u", user]);
  const { stdout: gid } = await run("id", ["-g", user]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/**
 * Starts a server. Fails with instructions when PostgreSQL's server binaries are missing.
 * @param timeoutMs how long to wait for the server to accept connections.
 */
export async function startPostgres(timeoutMs = 30_000): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === null) {
    throw new Error(
      "PostgreSQL server binaries were not found under /usr/lib/postgresql/<version>/bin; these tests start a real server. " +
        "Install it with `apt-get install -y postgresql` (Debian/Ubuntu; scripts/run.sh does this in CI).",
    );
  }
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), "crucible-pg-"));
  const as: string[] = [];
  if (root) {
    const { uid, gid } = await uidOf("postgres").catch((cause: unknown) => {
      throw new Error("running as root, but there is no `postgres` user to run the server as; install the postgresql package (it creates one)", { cause });
    });
    chownSync(dir, uid, gid);
    as.push("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=SIGKILL", "--");
  }
  const cmd = (file: string, args: string[]): [string, string[]] => (as.length > 0 ? [as[0]!, [...as.slice(1), file, ...args]] : [file, args]);
  const data = join(dir, "data");
  const [initFile, initArgs] = cmd(join(bin, "initdb"), ["-D", data, "-U", "crucible", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  try {
    await run(initFile, initArgs, { timeout: 60_000 });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
  const port = await freePort();
  const [file, args] = cmd(join(bin, "postgres"), [
    "-D", data, "-k", dir, "-p", String(port), "-h", "127.0.0.1",
    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100",
  ]);
  const server: ChildProcess = spawn(file, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  server.stderr?.on("data", (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const baseUrl = `postgres://crucible@127.0.0.1:${port}`;

  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGINT"); // fast shutdown
      const timer = setTimeout(() => server.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      await stop();
      throw new Error(`PostgreSQL exited while starting: ${stderr}`);
    }
    const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${String(error)}; log: ${stderr}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  let count = 0;
  return {
    baseUrl,
    async createDatabase(name = `t${process.pid}_${++count}`) {
      const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
      await client.connect();
      try {
        await client.query(`create database "${name.replace(/"/gu, "")}"`);
      } finally {
        await client.end();
      }
      return `${baseUrl}/${name}`;
    },
    stop,
  };
}
