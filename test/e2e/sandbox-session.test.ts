import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrucibleError } from "../../src/errors.ts";
import { Digest, Tuple } from "../../src/sandbox/guest/codec.mjs";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2, maxSessions: 3 });
});
afterAll(async () => {
  await sandbox.close();
});

const PY = `
counter = 0

def add(a, b=0):
    return a + b

def bump():
    global counter
    counter += 1
    return counter

def pair(x):
    print("pairing", x)
    return (x, x)

def spin():
    while True:
        pass

def crash():
    import os
    os._exit(9)
`;

describe("Python sessions", () => {
  it("should load code once and answer many calls, keeping state between them", async () => {
    const s = await sandbox.session({ language: "python", code: PY });
    try {
      expect(s.loaded.status).toBe("ok");
      expect((await s.call("add", [2, 3])).value).toBe(5);
      expect((await s.call("add", [2], { kwargs: { b: 40 } })).value).toBe(42);
      expect((await s.call("bump")).value).toBe(1);
      expect((await s.call("bump")).value).toBe(2);
      const p = await s.call("pair", ["x"]);
      expect(p.value).toEqual(new Tuple(["x", "x"]));
      expect(p.stdout).toBe("pairing x\n");
    } finally {
      await s.close();
    }
  });

  it("should restart the interpreter after a call that hangs, and go on", async () => {
    const s = await sandbox.session({ language: "python", code: PY });
    try {
      await s.call("bump");
      const hung = await s.call("spin", [], { timeoutMs: 500 });
      expect(hung.status).toBe("timeout");
      expect(hung.restarted).toBe(true);
      const crashed = await s.call("crash");
      expect(crashed.status).toBe("error");
      expect(crashed.exitCode).toBe(9);
      expect(crashed.restarted).toBe(true);
      // State began again with the reload.
      expect((await s.call("bump")).value).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("should report a guest exception in a call as an error verdict and keep the session", async () => {
    const s = await sandbox.session({ language: "python", code: PY });
    try {
      const bad = await s.call("add", [1, "a"]);
      expect(bad.status).toBe("error");
      expect(bad.exception?.type).toBe("TypeError");
      const missing = await s.call("nope");
      expect(missing.exception?.type).toBe("NameError");
      expect((await s.call("add", [1, 1])).value).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("should make many calls in one round trip, each with its own timeout and verdict", async () => {
    const s = await sandbox.session({ language: "python", code: PY });
    try {
      const all = await s.callMany("add", [[1, 2], [3, 4], ["a", 1], [5, 6]]);
      expect(all.map((v) => v.status)).toEqual(["ok", "ok", "error", "ok"]);
      expect(all.map((v) => v.value)).toEqual([3, 7, undefined, 11]);
      const stopped = await s.callMany("add", [[1, 1], ["a", 1], [2, 2]], { stopOnFailure: true });
      expect(stopped.map((v) => v.status)).toEqual(["ok", "error"]);
      const timed = await s.callMany("spin", [[], []], { timeoutsMs: [300, 300] });
      expect(timed.map((v) => [v.status, v.restarted])).toEqual([["timeout", true], ["timeout", true]]);
      expect((await s.call("add", [2, 2])).value).toBe(4);
      await expect(s.callMany("add", [[1, 1]], { timeoutsMs: [1, 2] })).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "invalid_argument"));
    } finally {
      await s.close();
    }
  });

  it("should execute cells in the session namespace (multi-turn code execution)", async () => {
    const s = await sandbox.session({ language: "python", code: "" });
    try {
      expect((await s.exec("import math\nx = math.factorial(5)")).status).toBe("ok");
      const printed = await s.exec("print(x + 1)");
      expect(printed.stdout).toBe("121\n");
    } finally {
      await s.close();
    }
  });

  it("should send a big result as a digest of its wire text when asked, and a small one whole", async () => {
    const s = await sandbox.session({ language: "python", code: "def big(n):\n    return list(range(n))\n" });
    try {
      const text = JSON.stringify(Array.from({ length: 1000 }, (_, i) => i));
      const one = await s.call("big", [1000], { digestOverBytes: 100 });
      expect(one.value).toBeInstanceOf(Digest);
      expect(one.value).toEqual(new Digest(createHash("sha256").update(text).digest("hex"), text.length));
      const many = await s.callMany("big", [[3], [1000]], { digestOverBytes: 100 });
      expect(many.map((v) => v.value)).toEqual([[0, 1, 2], one.value]);
      await expect(s.call("big", [3], { digestOverBytes: -1 })).rejects.toSatisfy((e) => isCrucibleError(e) && e.code === "invalid_argument");
    } finally {
      await s.close();
    }
  });

  it("should report a call that ends the interpreter with exit status 0 as an error, not a result", async () => {
    const s = await sandbox.session({ language: "python", code: "import os, sys\ndef bye():\n    os._exit(0)\ndef quit():\n    sys.exit(0)\ndef one():\n    return 1\n" });
    try {
      for (const entry of ["bye", "quit"]) {
        const v = await s.call(entry);
        expect([v.status, v.restarted, v.value]).toEqual(["error", true, undefined]);
        expect(v.reason).toMatch(/ended the interpreter/);
      }
      expect((await s.call("one")).value).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("should report code that fails to load, and answer every call with that failure", async () => {
    const s = await sandbox.session({ language: "python", code: "raise ImportError('nope')" });
    try {
      expect(s.loaded.status).toBe("error");
      expect(s.loaded.exception?.type).toBe("ImportError");
      expect((await s.call("anything")).status).toBe("error");
    } finally {
      await s.close();
    }
  });
});

describe("JavaScript and TypeScript sessions", () => {
  it("should call top-level functions of TypeScript code by name and keep state", async () => {
    const code = "let n = 0;\nfunction bump(by: number): number { n += by; return n; }\nconst twice = (s: string) => s + s;";
    const s = await sandbox.session({ language: "typescript", code });
    try {
      expect(s.loaded.status).toBe("ok");
      expect((await s.call("bump", [2])).value).toBe(2);
      expect((await s.call("bump", [3])).value).toBe(5);
      expect((await s.call("twice", ["ab"])).value).toBe("abab");
    } finally {
      await s.close();
    }
  });

  it("should report a JavaScript call that runs process.exit(0) as an error at once, and go on", async () => {
    const s = await sandbox.session({ language: "javascript", code: "function bye() { process.exit(0); }\nfunction one() { return 1; }" });
    try {
      const v = await s.call("bye", [], { timeoutMs: 5000 });
      expect([v.status, v.restarted]).toEqual(["error", true]);
      expect(v.reason).toMatch(/ended the interpreter/);
      expect(v.wallMs).toBeLessThan(4000);
      expect((await s.call("one")).value).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("should restart a JavaScript session after a call that hangs", async () => {
    const s = await sandbox.session({ language: "javascript", code: "let n = 0; function bump() { return ++n; } function spin() { for (;;); }" });
    try {
      await s.call("bump");
      const hung = await s.call("spin", [], { timeoutMs: 500 });
      expect(hung.status).toBe("timeout");
      expect(hung.restarted).toBe(true);
      expect((await s.call("bump")).value).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("should await async functions and report thrown errors as data", async () => {
    const s = await sandbox.session({ language: "javascript", code: "async function later(x) { return x * 2; }\nfunction boom() { throw new TypeError('bad'); }" });
    try {
      expect((await s.call("later", [21])).value).toBe(42);
      const boom = await s.call("boom");
      expect([boom.status, boom.exception?.type]).toEqual(["error", "TypeError"]);
    } finally {
      await s.close();
    }
  });

  it("should make many calls through callMany in a JavaScript session too", async () => {
    const s = await sandbox.session({ language: "javascript", code: "function twice(x) { if (x < 0) throw new RangeError('neg'); return 2 * x; }" });
    try {
      const all = await s.callMany("twice", [[1], [-1], [3]], { stopOnFailure: true });
      expect(all.map((v) => [v.status, v.value])).toEqual([["ok", 2], ["error", undefined]]);
    } finally {
      await s.close();
    }
  });

  it("should refuse Python keyword arguments in a JavaScript session", async () => {
    const s = await sandbox.session({ language: "javascript", code: "function f(a) { return a; }" });
    try {
      await expect(s.call("f", [], { kwargs: { a: 1 } })).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "invalid_argument"));
    } finally {
      await s.close();
    }
  });
});

describe("sessions on pooled workers", () => {
  it("should leave nothing of a closed session to the runs and sessions that reuse its worker", async () => {
    const own = createSandbox({ poolSize: 1 });
    try {
      await own.warm();
      const s = await own.session({
        language: "python",
        code: "import os, subprocess\nopen('/tmp/left.txt', 'w').write('x')\nopen('/dev/shm/left', 'w').write('x')\nsubprocess.Popen(['sleep', '600'])\ndef ping():\n    return os.getpid()",
      });
      expect((await s.call("ping")).status).toBe("ok");
      await s.close();
      expect(own.stats().idlePython).toBe(1);
      const v = await own.run({ language: "python", code: "import os\nprint(sorted(os.listdir('/tmp')), os.listdir('/dev/shm'), sorted(p for p in os.listdir('/proc') if p.isdigit()) )" });
      expect(v.stdout).toMatch(/^\[\] \[\] \['1', '\d+'\]\n$/);
    } finally {
      await own.close();
    }
  });
});

describe("session limits", () => {
  it("should answer busy when maxSessions are open, and accept again after one closes", async () => {
    const open = await Promise.all([0, 1, 2].map(() => sandbox.session({ language: "python", code: "" })));
    await expect(sandbox.session({ language: "python", code: "" })).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "busy"));
    await open[0]!.close();
    const again = await sandbox.session({ language: "python", code: "" });
    await Promise.all([again, ...open.slice(1)].map((s) => s.close()));
  });

  it("should answer calls made at once one after another, in order, in both languages", async () => {
    for (const [language, code] of [
      ["python", "def echo(x):\n    return x"],
      ["javascript", "function echo(x) { return x; }"],
    ] as const) {
      const s = await sandbox.session({ language, code, limits: { wallTimeMs: 2000 } });
      try {
        const values = await Promise.all([1, 2, 3, 4].map((n) => s.call("echo", [n])));
        expect(values.map((v) => v.value)).toEqual([1, 2, 3, 4]);
      } finally {
        await s.close();
      }
    }
  });

  it("should reject calls on a closed session", async () => {
    const s = await sandbox.session({ language: "python", code: "def f():\n    return 1" });
    await s.close();
    await expect(s.call("f")).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "closed"));
  });

  it("should reject an entry that is not an identifier before sending anything", async () => {
    const s = await sandbox.session({ language: "python", code: "" });
    try {
      await expect(s.call("os.system('x')")).rejects.toSatisfy((e: unknown) => isCrucibleError(e, "invalid_argument"));
    } finally {
      await s.close();
    }
  });
});
