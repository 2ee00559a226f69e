// SECURITY.md, "Escape", part three: capabilities are empty, no_new_privs is set and the seccomp
// filter is loaded for every guest thread, checked from outside through the host's /proc (as
// Firecracker does) and from inside; and no guest process is host root.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { jsonOut, sandboxedProcesses, waitFor } from "./canaries.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2 });
  await sandbox.warm(["python", "javascript"]);
});
afterAll(async () => {
  await sandbox.close();
});

describe("capabilities, no_new_privs and seccomp", () => {
  type Creds = { capEff: string; capPrm: string; capInh: string; capAmb: string; noNewPrivs: string; seccomp: string };
  const confined: Creds = {
    capEff: "0000000000000000",
    capPrm: "0000000000000000",
    capInh: "0000000000000000",
    capAmb: "0000000000000000",
    noNewPrivs: "1",
    seccomp: "2",
  };
  const credsOf = (t: Creds): Creds => ({ capEff: t.capEff, capPrm: t.capPrm, capInh: t.capInh, capAmb: t.capAmb, noNewPrivs: t.noNewPrivs, seccomp: t.seccomp });

  it("should confine every thread of a multi-threaded Python run, seen from the host and from inside", async () => {
    const run = sandbox.run({
      language: "python",
      code: [
        "import json, os, threading, time",
        "for _ in range(3):",
        "    threading.Thread(target=time.sleep, args=(1.5,), daemon=True).start()",
        "out = []",
        "for tid in os.listdir('/proc/self/task'):",
        "    f = dict(l.split(':', 1) for l in open('/proc/self/task/%s/status' % tid) if ':' in l)",
        "    out.append({k: f[k].strip() for k in ('CapEff', 'CapPrm', 'CapInh', 'CapAmb', 'NoNewPrivs', 'Seccomp')})",
        "print(json.dumps(out), flush=True)",
        "time.sleep(1.5)",
      ].join("\n"),
      limits: { wallTimeMs: 5_000 },
    });
    const found = await waitFor(() => sandboxedProcesses().some((p) => p.cmdline.includes("harness.py") && p.threads.length >= 4), 3_000);
    const processes = sandboxedProcesses();
    const v = await run;
    expect(found).toBe(true);
    const threads = processes.flatMap((p) => p.threads);
    expect(threads.length).toBeGreaterThanOrEqual(5);
    for (const t of threads) expect(credsOf(t), `${t.pid}/${t.tid} ${t.name}`).toEqual(confined);
    expect(v.status, v.stderr).toBe("ok");
    const inside = jsonOut<Record<string, string>[]>(v);
    expect(inside).toHaveLength(4);
    for (const t of inside) {
      expect(t).toEqual({ CapEff: confined.capEff, CapPrm: confined.capPrm, CapInh: confined.capInh, CapAmb: confined.capAmb, NoNewPrivs: "1", Seccomp: "2" });
    }
  });

  it("should confine every thread of a JavaScript run with worker threads, seen from the host", async () => {
    const run = sandbox.run({
      language: "javascript",
      code: [
        "const { Worker } = require('worker_threads');",
        "for (let i = 0; i < 2; i++) new Worker('setTimeout(() => {}, 1500)', { eval: true });",
        "setTimeout(() => process.exit(0), 1500);",
      ].join("\n"),
      limits: { wallTimeMs: 5_000 },
    });
    const found = await waitFor(() => sandboxedProcesses().some((p) => p.cmdline.includes("harness.cjs") && p.threads.some((t) => t.name.startsWith("WorkerThread"))), 3_000);
    const processes = sandboxedProcesses();
    const v = await run;
    expect(found).toBe(true);
    for (const t of processes.flatMap((p) => p.threads)) expect(credsOf(t), `${t.pid}/${t.tid} ${t.name}`).toEqual(confined);
    expect(v.status, v.stderr).toBe("ok");
  });

  it("should confine a Python session's interpreter, seen from the host", async () => {
    const session = await sandbox.session({ language: "python", code: "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\ndef ping():\n    return 'pong'\n" });
    try {
      expect((await session.call("ping")).value).toBe("pong");
      const processes = sandboxedProcesses().filter((p) => p.cmdline.includes("harness.py"));
      expect(processes.some((p) => p.threads.length >= 2)).toBe(true);
      for (const t of processes.flatMap((p) => p.threads)) expect(credsOf(t), `${t.pid}/${t.tid}`).toEqual(confined);
    } finally {
      await session.close();
    }
  });

  // The guest's uid is mapped onto the host uid that started bubblewrap. When that is root, every
  // host file or kernel interface that checks only the owner (0400 /proc files, /proc/sys) treats
  // the guest as root; the guest must run as an unprivileged host user instead.
  it("should run guest processes under an unprivileged host uid even when the host is root", async () => {
    const run = sandbox.run({ language: "python", code: "import time\ntime.sleep(1)", limits: { wallTimeMs: 5_000 } });
    expect(await waitFor(() => sandboxedProcesses().some((p) => p.cmdline.includes("harness.py")), 3_000)).toBe(true);
    const threads = sandboxedProcesses().flatMap((p) => p.threads);
    await run;
    expect(threads.length).toBeGreaterThan(0);
    for (const t of threads) expect(t.hostUids, `${t.pid} ${t.name}`).not.toContain(0);
  });
});
