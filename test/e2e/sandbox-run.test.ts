import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrucibleError } from "../../src/errors.ts";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

describe("run", () => {
  it("should run a Python program and return its output with an ok verdict", async () => {
    const v = await sandbox.run({ language: "python", code: "print(sum(range(10)))" });
    expect(v.status).toBe("ok");
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toBe("45\n");
    expect(v.cpuMs).toBeGreaterThan(0);
    expect(v.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
  });

  it("should give stdin and argv to a Python program", async () => {
    const v = await sandbox.run({
      language: "python",
      code: "import sys\nprint(sys.argv[1:], sys.stdin.read().upper())",
      stdin: "héllo",
      argv: ["-x", "two"],
    });
    expect(v.stdout).toBe("['-x', 'two'] HÉLLO\n");
  });

  it("should report a Python exception as data with the guest's traceback only", async () => {
    const v = await sandbox.run({ language: "python", code: "def f(x):\n    return 1 / x\n\nf(0)\n" });
    expect(v.status).toBe("error");
    expect(v.exitCode).toBe(1);
    expect(v.exception?.type).toBe("ZeroDivisionError");
    expect(v.exception?.traceback).toContain('line 2, in f');
    expect(v.exception?.traceback).not.toContain("harness.py");
    expect(v.stderr).toContain("ZeroDivisionError: division by zero");
  });

  it("should follow Python's exit status for sys.exit", async () => {
    expect((await sandbox.run({ language: "python", code: "import sys; sys.exit(7)" })).exitCode).toBe(7);
    const message = await sandbox.run({ language: "python", code: "raise SystemExit('bye')" });
    expect([message.status, message.exitCode, message.stderr]).toEqual(["error", 1, "bye\n"]);
  });

  it("should run TypeScript with its types stripped, enums included", async () => {
    const code = "enum Color { Red = 1, Green }\nconst c: Color = Color.Green;\nconsole.log(`${c}`, [3, 1, 2].sort().join());";
    const v = await sandbox.run({ language: "typescript", code });
    expect(v.status).toBe("ok");
    expect(v.stdout).toBe("2 1,2,3\n");
  });

  it("should give a JavaScript error verdict with the exception for an uncaught throw", async () => {
    const v = await sandbox.run({ language: "javascript", code: "class Oops extends Error { name = 'Oops' }\nthrow new Oops('no');" });
    expect(v.status).toBe("error");
    expect(v.exception?.type).toBe("Oops");
    expect(v.exception?.message).toBe("no");
  });

  it("should catch an unhandled promise rejection in JavaScript as an error", async () => {
    const v = await sandbox.run({ language: "javascript", code: "setTimeout(() => Promise.reject(new RangeError('later')), 10);" });
    expect(v.status).toBe("error");
    expect(v.exception?.type).toBe("RangeError");
  });

  it("should answer TypeScript that does not parse with an error verdict, spawning nothing", async () => {
    const v = await sandbox.run({ language: "typescript", code: "const x: = ;" });
    expect(v.status).toBe("error");
    expect(v.exception?.type).toBe("SyntaxError");
  });

  it("should give a run with its own writable-area size a sandbox of that size", async () => {
    const code = "import os\nst = os.statvfs('/tmp')\nprint(st.f_blocks * st.f_frsize)";
    const v = await sandbox.run({ language: "python", code, limits: { diskBytes: 8 * 1024 * 1024 } });
    expect(Number(v.stdout)).toBe(8 * 1024 * 1024);
  });
});

describe("cancellation", () => {
  it("should kill a Python run when its signal aborts, and keep serving", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const pending = sandbox.run({ language: "python", code: "import time\ntime.sleep(30)", signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "aborted"));
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await sandbox.run({ language: "python", code: "print('after')" })).stdout).toBe("after\n");
  });

  it("should kill a JavaScript run when its signal aborts", async () => {
    const controller = new AbortController();
    const pending = sandbox.run({ language: "javascript", code: "setInterval(() => {}, 1000);", signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "aborted"));
    expect((await sandbox.run({ language: "javascript", code: "console.log('after')" })).stdout).toBe("after\n");
  });

  it("should refuse a run whose signal is already aborted", async () => {
    await expect(sandbox.run({ language: "python", code: "print(1)", signal: AbortSignal.abort() })).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "aborted"));
  });
});

describe("back-pressure", () => {
  it("should answer busy at once when the queue is full, and run the rest", async () => {
    const small = createSandbox({ poolSize: 1, maxQueued: 2 });
    try {
      const runs = Array.from({ length: 6 }, () => small.run({ language: "python", code: "import time; time.sleep(0.2)" }));
      const results = await Promise.allSettled(runs);
      const busy = results.filter((r) => r.status === "rejected" && isCrucibleError(r.reason, "busy"));
      const ok = results.filter((r) => r.status === "fulfilled" && r.value.status === "ok");
      expect(busy).toHaveLength(3);
      expect(ok).toHaveLength(3);
    } finally {
      await small.close();
    }
  });

  it("should refuse new work once closed", async () => {
    const closing = createSandbox({ poolSize: 1 });
    await closing.close();
    await expect(closing.run({ language: "python", code: "print(1)" })).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "closed"));
  });
});

describe("JavaScript module kinds", () => {
  it("should run CommonJS programs with require, module and __filename", async () => {
    const v = await sandbox.run({ language: "javascript", code: "const path = require('node:path'); module.exports = 1; console.log(path.basename(__filename), typeof exports)" });
    expect([v.status, v.stdout]).toEqual(["ok", "main.js object\n"]);
  });

  it("should run ES modules with import statements and top-level await", async () => {
    const v = await sandbox.run({ language: "javascript", code: "import { basename } from 'node:path';\nconst x = await Promise.resolve(41);\nconsole.log(basename(import.meta.url), x + 1);" });
    expect([v.status, v.stdout]).toEqual(["ok", "main.mjs 42\n"]);
  });

  it("should run TypeScript that imports types and values as an ES module", async () => {
    const code = "import type { Stats } from 'node:fs';\nimport { sep } from 'node:path';\nconst s: Stats | null = null;\nexport const out: string = sep;\nconsole.log(out, s);";
    const v = await sandbox.run({ language: "typescript", code });
    expect([v.status, v.stdout]).toEqual(["ok", "/ null\n"]);
  });
});
