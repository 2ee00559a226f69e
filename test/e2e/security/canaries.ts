/**
 * Host-side canaries and probes for the adversarial suite. Everything here looks at the sandbox
 * from outside: files, an environment variable and listeners that exist only on the host, and
 * readers of the host's /proc that find guest processes and check their credentials. A guest that
 * could reach any canary would show it in its output or in a listener's connection count.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, statfsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Sandbox, Verdict } from "../../../src/sandbox/index.ts";

/** The repository root, where the project-directory canary is planted. */
export const PROJECT_DIR = fileURLToPath(new URL("../../../", import.meta.url));
/** This suite's own directory: the project canary lives here so no other file is touched. */
const SUITE_DIR = fileURLToPath(new URL("./", import.meta.url));

export const MiB = 1024 * 1024;

export function randomToken(prefix = "crucible-canary"): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`;
}

/** A loopback listener in the host's network namespace that counts every connection it gets. */
export interface CountingListener {
  readonly connections: () => number;
  readonly close: () => Promise<void>;
}

async function listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(target, () => resolve());
  });
}

function counting(): { server: Server; connections: () => number; close: () => Promise<void> } {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  return {
    server,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface HostCanaries {
  /** Random content that exists only on the host. */
  readonly secret: string;
  /** A host temporary directory holding `tmpFile`. */
  readonly tmpDir: string;
  readonly tmpFile: string;
  /** A file inside the project directory (this suite's folder) holding the secret. */
  readonly projectFile: string;
  /** A variable set in the host's `process.env` before any sandbox is created. */
  readonly envName: string;
  readonly envValue: string;
  /** TCP listener on 127.0.0.1 in the host namespace. */
  readonly tcpPort: number;
  readonly tcp: CountingListener;
  /** Unix socket listener in the host temp dir; `SSH_AUTH_SOCK` points at it while planted. */
  readonly unixPath: string;
  readonly unix: CountingListener;
  /** Abstract unix socket (scoped to the host's network namespace). */
  readonly abstractName: string;
  readonly abstract: CountingListener;
  /** Removes files, closes listeners and restores the environment. */
  readonly remove: () => Promise<void>;
}

/**
 * Plants every host canary. Call before `createSandbox` so the environment variable is in
 * `process.env` when the sandbox is built.
 */
export async function plantHostCanaries(): Promise<HostCanaries> {
  const secret = randomToken("crucible-secret");
  const tmpDir = mkdtempSync(join(tmpdir(), "crucible-canary-"));
  const tmpFile = join(tmpDir, "secret.txt");
  writeFileSync(tmpFile, secret);
  const projectFile = join(SUITE_DIR, `.${randomToken()}.txt`);
  writeFileSync(projectFile, secret);

  const envName = `CRUCIBLE_CANARY_${randomBytes(4).toString("hex").toUpperCase()}`;
  const envValue = randomToken("crucible-env");
  const savedSsh = process.env["SSH_AUTH_SOCK"];
  process.env[envName] = envValue;

  const tcp = counting();
  await listen(tcp.server, { port: 0, host: "127.0.0.1" });
  const address = tcp.server.address();
  const tcpPort = typeof address === "object" && address !== null ? address.port : 0;

  const unixPath = join(tmpDir, "agent.sock");
  const unix = counting();
  await listen(unix.server, { path: unixPath });
  process.env["SSH_AUTH_SOCK"] = unixPath;

  const abstractName = randomToken("crucible-abstract");
  const abstract = counting();
  await listen(abstract.server, { path: `\0${abstractName}` });

  return {
    secret,
    tmpDir,
    tmpFile,
    projectFile,
    envName,
    envValue,
    tcpPort,
    tcp,
    unixPath,
    unix,
    abstractName,
    abstract,
    remove: async () => {
      delete process.env[envName];
      if (savedSsh === undefined) delete process.env["SSH_AUTH_SOCK"];
      else process.env["SSH_AUTH_SOCK"] = savedSsh;
      await Promise.all([tcp.close(), unix.close(), abstract.close()]);
      rmSync(tmpDir, { recursive: true, force: true });
      rmSync(projectFile, { force: true });
    },
  };
}

/** Credentials of one thread as the host's /proc shows them. */
export interface ThreadCredentials {
  readonly pid: number;
  readonly tid: number;
  readonly name: string;
  readonly capEff: string;
  readonly capPrm: string;
  readonly capInh: string;
  readonly capAmb: string;
  readonly noNewPrivs: string;
  readonly seccomp: string;
  /** Real, effective, saved and filesystem uid in the host's user namespace. */
  readonly hostUids: readonly number[];
}

/** A process that runs inside a sandbox (another pid namespace), seen from the host. */
export interface SandboxedProcess {
  readonly pid: number;
  readonly cmdline: string;
  readonly threads: readonly ThreadCredentials[];
}

function readOr(path: string, fallback = ""): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

function statusFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

function parentOf(pid: string): number | null {
  const stat = readOr(`/proc/${pid}/stat`);
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const ppid = Number(stat.slice(close + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

function numericEntries(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

/** Every descendant of `root` (default: this process) on the host. */
export function descendantsOf(root = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const pid of numericEntries("/proc")) {
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(pid));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Descendants of `root` that live in another pid namespace than the host's: the processes that run
 * inside sandboxes (supervisors, guests, whatever they forked), with every thread's credentials.
 * bubblewrap's own child, caught while it is still setting a sandbox up (before it drops
 * capabilities, loads seccomp and executes the guest command), runs no guest code and is skipped.
 */
export function sandboxedProcesses(root = process.pid): SandboxedProcess[] {
  const hostNs = readlinkSync("/proc/self/ns/pid");
  const out: SandboxedProcess[] = [];
  for (const pid of descendantsOf(root)) {
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/pid`);
    } catch {
      continue;
    }
    if (ns === hostNs) continue;
    const argv0 = readOr(`/proc/${pid}/cmdline`).split("\0")[0] ?? "";
    if (argv0 === "bwrap" || argv0.endsWith("/bwrap")) continue;
    const threads: ThreadCredentials[] = [];
    for (const tid of numericEntries(`/proc/${pid}/task`)) {
      const f = statusFields(readOr(`/proc/${pid}/task/${tid}/status`));
      if (f.size === 0) continue;
      threads.push({
        pid,
        tid: Number(tid),
        name: f.get("Name") ?? "",
        capEff: f.get("CapEff") ?? "",
        capPrm: f.get("CapPrm") ?? "",
        capInh: f.get("CapInh") ?? "",
        capAmb: f.get("CapAmb") ?? "",
        noNewPrivs: f.get("NoNewPrivs") ?? "",
        seccomp: f.get("Seccomp") ?? "",
        hostUids: (f.get("Uid") ?? "").split(/\s+/).filter(Boolean).map(Number),
      });
    }
    out.push({ pid, cmdline: readOr(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim(), threads });
  }
  return out;
}

/** Host pids whose command line or any thread's name contains `marker` (zombies excluded). */
export function hostProcessesMarked(marker: string): number[] {
  const found: number[] = [];
  for (const pid of numericEntries("/proc")) {
    const state = statusFields(readOr(`/proc/${pid}/status`)).get("State") ?? "";
    if (state.startsWith("Z")) continue;
    const names = numericEntries(`/proc/${pid}/task`).map((tid) => readOr(`/proc/${pid}/task/${tid}/comm`));
    if (readOr(`/proc/${pid}/cmdline`).includes(marker) || names.some((n) => n.includes(marker))) found.push(Number(pid));
  }
  return found;
}

/** Host pids of sandboxed processes that hold an open descriptor to `file` (by device and inode). */
export function sandboxedHoldersOf(file: string, root = process.pid): number[] {
  const target = statSync(file);
  const holders: number[] = [];
  for (const { pid } of sandboxedProcesses(root)) {
    for (const fd of numericEntries(`/proc/${pid}/fd`)) {
      try {
        const st = statSync(`/proc/${pid}/fd/${fd}`);
        if (st.dev === target.dev && st.ino === target.ino) holders.push(pid);
      } catch {
        // closed meanwhile, or not ours to look at
      }
    }
  }
  return holders;
}

/** Names of this process's sandbox cgroups under the pids hierarchy (`crucible-<pid>-<n>`). */
export function ownCgroups(pidsParent: string): string[] {
  try {
    return readdirSync(pidsParent).filter((name) => name.startsWith(`crucible-${process.pid}-`));
  } catch {
    return [];
  }
}

/** Free bytes of the filesystem holding `path`. */
export function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds or `timeoutMs` passes; resolves to whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (performance.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

/** Runs `work` while sampling this process's resident memory; resolves to its result and the peak growth. */
export async function withRssSampling<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowthBytes: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssGrowthBytes: peak - before };
  } finally {
    clearInterval(timer);
  }
}

/** A verdict's output as JSON, failing with the guest's stderr when it is not. */
export function jsonOut<T = Record<string, unknown>>(verdict: Verdict): T {
  try {
    return JSON.parse(verdict.stdout) as T;
  } catch {
    throw new Error(`guest did not print JSON (status ${verdict.status}): stdout=${verdict.stdout.slice(0, 2000)} stderr=${verdict.stderr.slice(-2000)}`);
  }
}

/** Runs a Python and a JavaScript program that print "ok": the sandbox still serves runs. */
export async function expectStillServing(sandbox: Sandbox): Promise<void> {
  const [py, js] = await Promise.all([
    sandbox.run({ language: "python", code: "print('ok')" }),
    sandbox.run({ language: "javascript", code: "console.log('ok')" }),
  ]);
  expect([py.status, py.stdout, js.status, js.stdout]).toEqual(["ok", "ok\n", "ok", "ok\n"]);
}
