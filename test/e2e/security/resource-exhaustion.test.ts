// SECURITY.md, "Resource exhaustion", part one: CPU and wall time, memory and recursion. Every
// limit is hit by a hostile program and ends in the verdict the threat model names, and is paired
// with a legitimate workload just under it that must still pass. Time limits use 1–3 s so the suite
// stays short. Disk, processes, descriptors and output are in resource-exhaustion-io.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { expectStillServing, MiB, sleep, waitFor } from "./canaries.ts";

/** How far past its wall time a killed run may end (the host's backstop grace is 2 s). */
const GRACE_MS = 2_000;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2 });
  await sandbox.warm(["python", "javascript"]);
});
afterAll(async () => {
  await sandbox.close();
});

describe("CPU and wall time", () => {
  it("should time out a Python CPU spin while a concurrent run still completes promptly", async () => {
    const wallTimeMs = 3_000;
    let spinnerDone = false;
    const spinner = sandbox.run({ language: "python", code: "while True:\n    pass\n", limits: { wallTimeMs } });
    void spinner.then(() => (spinnerDone = true));
    await waitFor(() => sandbox.stats().active === 1, 2_000);
    await sleep(200);
    const t0 = performance.now();
    const quick = await sandbox.run({ language: "python", code: "print(sum(range(1000)))" });
    const quickMs = performance.now() - t0;
    expect(quick.status).toBe("ok");
    expect(quick.stdout).toBe("499500\n");
    // The other run finished while the spinner was still spinning, well before its limit.
    expect(spinnerDone).toBe(false);
    expect(quickMs).toBeLessThan(wallTimeMs / 2);
    const v = await spinner;
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeGreaterThanOrEqual(wallTimeMs - 50);
    expect(v.wallMs).toBeLessThan(wallTimeMs + GRACE_MS);
  });

  it("should time out a JavaScript CPU spin while a concurrent run still completes promptly", async () => {
    const wallTimeMs = 3_000;
    let spinnerDone = false;
    const spinner = sandbox.run({ language: "javascript", code: "for (;;) {}", limits: { wallTimeMs } });
    void spinner.then(() => (spinnerDone = true));
    await waitFor(() => sandbox.stats().active === 1, 2_000);
    await sleep(300);
    const t0 = performance.now();
    const quick = await sandbox.run({ language: "typescript", code: "const n: number = 6 * 7; console.log(n)" });
    const quickMs = performance.now() - t0;
    expect(quick.status).toBe("ok");
    expect(quick.stdout).toBe("42\n");
    expect(spinnerDone).toBe(false);
    expect(quickMs).toBeLessThan(wallTimeMs / 2);
    const v = await spinner;
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeLessThan(wallTimeMs + GRACE_MS);
  });

  it("should let a Python program that computes for just under its wall time finish ok", async () => {
    const v = await sandbox.run({
      language: "python",
      code: "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.8:\n    pass\nprint('done')\n",
      limits: { wallTimeMs: 2_000 },
    });
    expect(v.status).toBe("ok");
    expect(v.stdout).toBe("done\n");
  });

  it("should let a JavaScript program that computes for just under its wall time finish ok", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const t = Date.now(); while (Date.now() - t < 800); console.log('done')",
      limits: { wallTimeMs: 2_000 },
    });
    expect(v.status).toBe("ok");
    expect(v.stdout).toBe("done\n");
  });

  it("should end a Python spin by its CPU time limit when the wall time is longer", async () => {
    const v = await sandbox.run({ language: "python", code: "while True:\n    pass\n", limits: { cpuTimeMs: 1_000, wallTimeMs: 8_000 } });
    expect(v.status).toBe("timeout");
    expect(v.reason).toMatch(/CPU time/);
    expect(v.wallMs).toBeLessThan(4_000);
  });

  it("should kill a sleeping Python program at its wall time", async () => {
    const v = await sandbox.run({ language: "python", code: "import time\ntime.sleep(60)\n", limits: { wallTimeMs: 1_500 } });
    expect(v.status).toBe("timeout");
    expect(v.signal).toBe("SIGKILL");
    expect(v.wallMs).toBeLessThan(1_500 + GRACE_MS);
  });

  it("should kill a sleeping JavaScript program at its wall time", async () => {
    const v = await sandbox.run({ language: "javascript", code: "setTimeout(() => {}, 60_000)", limits: { wallTimeMs: 1_500 } });
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeLessThan(1_500 + GRACE_MS);
  });

  it("should kill a Python program blocked reading a pipe at its wall time", async () => {
    const v = await sandbox.run({ language: "python", code: "import os\nr, w = os.pipe()\nos.read(r, 1)\n", limits: { wallTimeMs: 1_500 } });
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeLessThan(1_500 + GRACE_MS);
  });

  it("should kill a JavaScript program blocked in a synchronous wait at its wall time", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)",
      limits: { wallTimeMs: 1_500 },
    });
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeLessThan(1_500 + GRACE_MS);
  });

  it("should give programs that read stdin end-of-file at once instead of letting them block", async () => {
    const [py, js, given] = await Promise.all([
      sandbox.run({ language: "python", code: "import sys\nprint(repr(sys.stdin.read()))", limits: { wallTimeMs: 3_000 } }),
      sandbox.run({ language: "javascript", code: "console.log(JSON.stringify(require('fs').readFileSync(0, 'utf8')))", limits: { wallTimeMs: 3_000 } }),
      sandbox.run({ language: "python", code: "import sys\nprint(repr(sys.stdin.read()))", stdin: "abc", limits: { wallTimeMs: 3_000 } }),
    ]);
    expect([py.status, py.stdout]).toEqual(["ok", "''\n"]);
    expect([js.status, js.stdout]).toEqual(["ok", '""\n']);
    expect([given.status, given.stdout]).toEqual(["ok", "'abc'\n"]);
  });

  it("should hard-kill a single long C-level call (sum(range(10**11))) in time", async () => {
    const t0 = performance.now();
    const v = await sandbox.run({ language: "python", code: "print(sum(range(10**11)))", limits: { wallTimeMs: 1_500 } });
    expect(v.status).toBe("timeout");
    expect(v.signal).toBe("SIGKILL");
    expect(performance.now() - t0).toBeLessThan(1_500 + GRACE_MS);
  });

  it("should time out catastrophic regex backtracking in Python", async () => {
    const v = await sandbox.run({
      language: "python",
      code: "import re\nprint(re.match(r'(a+)+$', 'a' * 40 + 'b'))",
      limits: { wallTimeMs: 1_500 },
    });
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeLessThan(1_500 + GRACE_MS);
  });

  it("should time out catastrophic regex backtracking in JavaScript", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "console.log(/(a+)+$/.test('a'.repeat(40) + 'b'))",
      limits: { wallTimeMs: 1_500 },
    });
    expect(v.status).toBe("timeout");
    expect(v.wallMs).toBeLessThan(1_500 + GRACE_MS);
  });
});

describe("memory", () => {
  const memoryBytes = 128 * MiB;

  it("should end unbounded Python memory growth with a memory verdict", async () => {
    const v = await sandbox.run({
      language: "python",
      code: "a = []\nwhile True:\n    a.append(bytearray(b'x') * (1 << 20))\n",
      limits: { memoryBytes },
    });
    expect(v.status).toBe("memory");
    await expectStillServing(sandbox);
  });

  it("should end bytearray(10**10) with a memory verdict", async () => {
    const v = await sandbox.run({ language: "python", code: "x = bytearray(10**10)\nprint(len(x))", limits: { memoryBytes } });
    expect(v.status).toBe("memory");
    expect(v.stdout).toBe("");
  });

  it("should end touching a large private mapping of /dev/zero with a memory verdict", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import mmap, os",
        "fd = os.open('/dev/zero', os.O_RDWR)",
        "m = mmap.mmap(fd, 2 * 1024**3, mmap.MAP_PRIVATE)",
        "for i in range(0, len(m), 4096):",
        "    m[i] = 1",
        "print('survived')",
      ].join("\n"),
      limits: { memoryBytes },
    });
    expect(v.status).toBe("memory");
    expect(v.stdout).toBe("");
  });

  it("should let a Python program use 60% of its memory limit", async () => {
    const v = await sandbox.run({
      language: "python",
      code: `b = bytearray(b'y') * ${Math.floor(0.6 * memoryBytes)}\nprint(len(b), b[-1])`,
      limits: { memoryBytes },
    });
    expect(v.status).toBe("ok");
    expect(v.stdout).toBe(`${Math.floor(0.6 * memoryBytes)} 121\n`);
  });

  // 10**(10**9) is a CPU-bound bignum power: its memory grows by repeated squaring, so with the
  // default 512 MiB it holds ~20 MiB after 2 s and would need minutes to reach the limit. The
  // wall time always ends it first, so the deterministic verdict is `timeout` (measured: with
  // 16 MiB of memory and 10 s it is `memory` after ~4.6 s, which is too slow and too close to call).
  it("should end 10**(10**9) in time with a timeout verdict", async () => {
    const t0 = performance.now();
    const v = await sandbox.run({ language: "python", code: "x = 10**(10**9)\nprint(x > 0)", limits: { wallTimeMs: 1_500 } });
    expect(v.status).toBe("timeout");
    expect(performance.now() - t0).toBeLessThan(1_500 + GRACE_MS);
    await expectStillServing(sandbox);
  });

  it("should end unbounded JavaScript heap growth with a memory verdict", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const a = []; for (;;) a.push(new Array(1e6).fill(1.5));",
      limits: { memoryBytes },
    });
    expect(v.status).toBe("memory");
  });

  it("should end unbounded JavaScript Buffer growth with a memory verdict", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const a = []; for (;;) a.push(Buffer.alloc(1 << 24, 1));",
      limits: { memoryBytes },
    });
    expect(v.status).toBe("memory");
    await expectStillServing(sandbox);
  });

  it("should let a JavaScript program use 60% of its memory limit", async () => {
    const n = Math.floor(0.6 * memoryBytes);
    const v = await sandbox.run({
      language: "javascript",
      code: `const b = Buffer.alloc(${n}, 121); console.log(b.length, b[b.length - 1])`,
      limits: { memoryBytes },
    });
    expect(v.status).toBe("ok");
    expect(v.stdout).toBe(`${n} 121\n`);
  });
});

describe("recursion", () => {
  it("should report unbounded Python recursion as a RecursionError", async () => {
    const v = await sandbox.run({ language: "python", code: "def f():\n    return f()\nf()\n" });
    expect(v.status).toBe("error");
    expect(v.exception?.type).toBe("RecursionError");
  });

  it("should report unbounded JavaScript recursion as a RangeError", async () => {
    const v = await sandbox.run({ language: "javascript", code: "function f() { return f() + 1 } f()" });
    expect(v.status).toBe("error");
    expect(v.exception?.type).toBe("RangeError");
  });

  // With the interpreter's guard lifted the C stack grows until the kernel stops it: a memory
  // verdict (stack pages count against the cgroup) or SIGSEGV (a stack rlimit), depending on the
  // host's stack rlimit. Either way the guest fails and the host and the sandbox carry on.
  it("should stop Python recursion past a raised recursion limit without harming the sandbox", async () => {
    const v = await sandbox.run({
      language: "python",
      code: "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\nf(0)\n",
      limits: { memoryBytes: 128 * MiB },
    });
    expect(["memory", "error"]).toContain(v.status);
    await expectStillServing(sandbox);
  });
});
