// What the sandbox benchmark compares Crucible with: the naive way (a fresh bubblewrap +
// interpreter per run, with the sandbox's own policy) and the floor (a bare fork or process spawn
// per run, no sandbox); plus a probe of what starting one sandboxed Node guest costs in CPU.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join } from "node:path";
import { baseGuestEnv, bwrapArgv, GUEST_HARNESS_DIR, GUEST_NODE_DIR } from "../src/sandbox/bwrap.ts";
import { guestBinds } from "../src/sandbox/host.ts";
import { DEFAULT_LIMITS, discoverHost, type HostFacts } from "../src/sandbox/index.ts";
import { compileSeccompFilter } from "../src/sandbox/seccomp.ts";
import { exitFailure, run, startMeter, type Batch } from "./measure.ts";

/** A host with everything the benchmark needs: bubblewrap, the sandbox's Python, a Node runtime. */
export type BenchHost = HostFacts & { bwrapPath: string; pythonPath: string; nodeHome: string };

export function benchHost(): BenchHost {
  const host = discoverHost();
  if (!host.bwrapPath || !host.pythonPath || !host.nodeHome) {
    throw new Error("the benchmark needs bubblewrap, /usr/bin/python3 and a Node runtime; run `crucible doctor`");
  }
  return host as BenchHost;
}

const SECCOMP = compileSeccompFilter();
/** The only variable the spawning side passes on; bwrap clears the guest's environment anyway. */
const PLAIN_ENV = { PATH: "/usr/bin:/bin" };

/**
 * The command line that starts `command` under exactly the sandbox's policy: its own `bwrapArgv`,
 * host layout, guest binds and seccomp filter, started as the same unprivileged uid (setpriv) when
 * the host is root. What it leaves out is the warm process: no cgroup, no rlimit wrapper shell.
 */
function sandboxed(host: BenchHost, command: readonly string[], options: { node: boolean; seccompFd: number }): string[] {
  const argv = bwrapArgv({
    systemBinds: host.systemBinds,
    systemSymlinks: host.systemSymlinks,
    extraBinds: [...guestBinds(host), ...(options.node ? [{ hostPath: host.nodeHome, guestPath: GUEST_NODE_DIR }] : [])],
    env: baseGuestEnv(options.node ? [join(GUEST_NODE_DIR, "bin")] : []),
    limits: { diskBytes: DEFAULT_LIMITS.diskBytes },
    seccompFd: options.seccompFd,
    command,
  });
  const drop = host.dropToUid !== null && host.setprivPath !== null;
  const uid = String(host.dropToUid);
  return drop
    ? [host.setprivPath, `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", host.bwrapPath, ...argv]
    : [host.bwrapPath, ...argv];
}

/** The naive way for Python: a fresh sandbox and interpreter for one run. */
export async function naivePython(host: BenchHost, code: string): Promise<string | null> {
  const [file, ...args] = sandboxed(host, [host.pythonPath, "-I", "-B", "-c", code], { node: false, seccompFd: 3 });
  return exitFailure(await run(file!, args, { env: PLAIN_ENV, fd3: SECCOMP }));
}

/** The naive way for TypeScript: types stripped on the host, a fresh sandbox and Node for one run. */
export async function naiveNode(host: BenchHost, typescript: string): Promise<string | null> {
  const js = stripTypeScriptTypes(typescript, { mode: "transform" });
  const [file, ...args] = sandboxed(host, [join(GUEST_NODE_DIR, "bin", "node"), "--input-type=module", "-e", js], { node: true, seccompFd: 3 });
  return exitFailure(await run(file!, args, { env: PLAIN_ENV, fd3: SECCOMP }));
}

/** The Node floor: Node has no fork, so a bare `node -e` spawn per run, no bubblewrap. */
export async function floorNode(typescript: string): Promise<string | null> {
  const js = stripTypeScriptTypes(typescript, { mode: "transform" });
  return exitFailure(await run(process.execPath, ["--input-type=module", "-e", js], { env: PLAIN_ENV }));
}

/**
 * The Python floor driver: a bare interpreter (the sandbox's own) that forks a child per run; the
 * child compiles and executes the program and exits, the driver waits for it. It warms up, then
 * starts on a "go" line and reports CLOCK_MONOTONIC bounds. A fork costs more the more the parent
 * has mapped, so the driver imports nothing it does not need until it is done.
 */
const FORK_DRIVER = `
import os, sys, time
runs, warmup, code = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def once():
    pid = os.fork()
    if pid == 0:
        try:
            exec(compile(code, "main.py", "exec"), {"__name__": "__main__"})
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitpid(pid, 0)[1]
for _ in range(warmup):
    once()
print("ready", flush=True)
sys.stdin.readline()
lat, bad, start = [], 0, time.monotonic_ns()
for _ in range(runs):
    t = time.perf_counter_ns()
    bad += once() != 0
    lat.append((time.perf_counter_ns() - t) / 1e6)
end = time.monotonic_ns()
import json
print(json.dumps({"start": start, "end": end, "lat": lat, "bad": bad}), flush=True)
`;

type DriverReport = { start: number; end: number; lat: number[]; bad: number };

/** `runs` forked runs split over `drivers` drivers started together (one per core keeps all busy). */
export async function pythonFloor(host: BenchHost, runs: number, drivers: number, code: string): Promise<Batch> {
  const per = Math.ceil(runs / drivers);
  const started = Array.from({ length: drivers }, () => {
    const child = spawn(host.pythonPath, ["-I", "-B", "-c", FORK_DRIVER, String(per), "50", code], { stdio: ["pipe", "pipe", "inherit"], env: PLAIN_ENV });
    let text = "";
    child.stdout.setEncoding("utf8");
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (c: string) => {
        text += c;
        if (text.startsWith("ready\n")) resolve();
      });
      child.once("error", reject);
      child.once("close", () => reject(new Error("a fork driver exited before it was ready")));
    });
    const done = new Promise<DriverReport>((resolve) => child.once("close", () => resolve(JSON.parse(text.slice("ready\n".length)) as DriverReport)));
    return { child, ready, done };
  });
  await Promise.all(started.map((d) => d.ready));
  const stop = startMeter();
  for (const d of started) d.child.stdin.end("go\n");
  const reports = await Promise.all(started.map((d) => d.done));
  const meter = stop();
  const bad = reports.reduce((s, r) => s + r.bad, 0);
  return {
    ...meter,
    elapsedMs: (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1e6,
    latenciesMs: reports.flatMap((r) => r.lat),
    failures: bad > 0 ? [`${bad} forked runs failed`] : [],
  };
}

/**
 * Runs each command line once per repetition, one at a time and interleaved, and reports the median
 * CPU time of its whole process tree from wait4's rusage (exact per process, unlike machine-wide
 * counters). Like the sandbox, it gives bwrap its seccomp filter on fd 5 and talks to the guest
 * harness on fds 3 (requests) and 4 (replies): a `protocol` variant gets one run request.
 */
const START_PROBE = `
import fcntl, json, os, statistics, struct, subprocess, sys
spec = json.load(open(sys.argv[1]))
seccomp = open(spec["seccomp"], "rb").read()
def pipe():
    r, w = os.pipe()
    hr, hw = fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 20), fcntl.fcntl(w, fcntl.F_DUPFD_CLOEXEC, 20)
    os.close(r); os.close(w)
    return hr, hw
def once(v):
    (r3, w3), (r4, w4), (r5, w5) = pipe(), pipe(), pipe()
    def child():
        os.dup2(r3, 3); os.dup2(w4, 4); os.dup2(r5, 5)
    p = subprocess.Popen(v["argv"], preexec_fn=child, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    for fd in (r3, w4, r5):
        os.close(fd)
    try:
        os.write(w5, seccomp)
    except BrokenPipeError:
        pass
    os.close(w5)
    if v["protocol"]:
        head = os.read(r4, 4)
        if len(head) == 4:
            os.read(r4, struct.unpack(">I", head)[0])
        body = json.dumps(spec["request"]).encode()
        os.write(w3, struct.pack(">I", len(body)) + body)
    _, status, ru = os.wait4(p.pid, 0)
    os.close(w3); os.close(r4)
    if status != 0:
        raise SystemExit("%s exited with status %d" % (v["name"], status))
    return (ru.ru_utime + ru.ru_stime) * 1000
cpu = {v["name"]: [] for v in spec["variants"]}
for i in range(spec["reps"] + 2):
    for v in spec["variants"]:
        ms = once(v)
        if i >= 2:
            cpu[v["name"]].append(ms)
print(json.dumps({k: statistics.median(x) for k, x in cpu.items()}))
`;

export interface GuestStartCpu {
  /** `node -e 0`, no sandbox. */
  readonly bareNode: number;
  /** The same inside bubblewrap with the sandbox's policy. */
  readonly sandboxedNode: number;
  /** … plus the V8 heap flag, which the sandbox passes only where no memory cgroup holds the limit. */
  readonly sandboxedNodeHeapFlag: number;
  /** The guest harness answering one run inside bubblewrap: a sandbox's guest minus its cgroup and wrapper. */
  readonly sandboxedHarness: number;
  /** … plus the heap flag: the guest where the host has no memory cgroup. */
  readonly sandboxedHarnessHeapFlag: number;
}

/** Median CPU ms of one guest process tree for each start-up variant, `reps` times each. */
export async function guestStartCpu(host: BenchHost, scratch: string, reps: number, typescript: string): Promise<GuestStartCpu> {
  const node = join(GUEST_NODE_DIR, "bin", "node");
  const harness = join(GUEST_HARNESS_DIR, "harness.cjs");
  // The flag NodeGuest passes for the default memory limit: twice memoryBytes, in MiB.
  const heapFlag = `--max-old-space-size=${Math.ceil((2 * DEFAULT_LIMITS.memoryBytes) / 2 ** 20)}`;
  const inSandbox = (command: string[]) => sandboxed(host, command, { node: true, seccompFd: 5 });
  const variants = [
    { name: "bareNode", argv: [process.execPath, "-e", "0"], protocol: false },
    { name: "sandboxedNode", argv: inSandbox([node, "-e", "0"]), protocol: false },
    { name: "sandboxedNodeHeapFlag", argv: inSandbox([node, heapFlag, "-e", "0"]), protocol: false },
    { name: "sandboxedHarness", argv: inSandbox([node, harness]), protocol: true },
    { name: "sandboxedHarnessHeapFlag", argv: inSandbox([node, heapFlag, harness]), protocol: true },
  ];
  const seccompFile = join(scratch, "seccomp.bpf");
  const specFile = join(scratch, "start-probe.json");
  writeFileSync(seccompFile, SECCOMP);
  const request = { op: "run", code: stripTypeScriptTypes(typescript, { mode: "transform" }), argv: [] };
  writeFileSync(specFile, JSON.stringify({ reps, seccomp: seccompFile, variants, request }));
  const exit = await run(host.pythonPath, ["-I", "-B", "-c", START_PROBE, specFile], { env: PLAIN_ENV });
  if (exit.code !== 0) throw new Error(`the guest start-up probe failed: ${exit.stderr.slice(-1000)}`);
  return JSON.parse(exit.stdout) as GuestStartCpu;
}
