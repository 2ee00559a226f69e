// SECURITY.md, "Host denial of service": a burst of runs meets a bounded queue that answers "busy"
// at once, oversized requests are refused before anything is spawned, and the host stays
// responsive and bounded in memory throughout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox, type Verdict } from "../../../src/sandbox/index.ts";
import { isCrucibleError, type CrucibleError } from "../../../src/errors.ts";
import { MiB, sandboxedProcesses, withRssSampling } from "./canaries.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2, maxQueued: 8 });
  await sandbox.warm(["python"]);
});
afterAll(async () => {
  await sandbox.close();
});

/** Awaits `work` and returns the CrucibleError it rejects with (fails when it resolves). */
async function rejection(work: () => Promise<unknown>): Promise<CrucibleError> {
  try {
    await work();
  } catch (error) {
    if (isCrucibleError(error)) return error;
    throw error;
  }
  throw new Error("expected a CrucibleError, but the call succeeded");
}

/** Host pids of every sandboxed process this test file has: spawning anything changes the list. */
const sandboxedPids = () => sandboxedProcesses().map((p) => p.pid).sort();

describe("a burst of runs", () => {
  it("should answer 200 simultaneous runs with busy beyond the queue, finish the rest ok and hang nothing", async () => {
    const t0 = performance.now();
    const { result: settled, rssGrowthBytes } = await withRssSampling(() =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const run =
            i % 2 === 0
              ? sandbox.run({ language: "python", code: `print(${i})` })
              : sandbox.run({ language: "javascript", code: `console.log(${i})` });
          return run.then(
            (verdict: Verdict) => ({ ok: true as const, verdict, at: performance.now() - t0, i }),
            (error: unknown) => ({ ok: false as const, error, at: performance.now() - t0, i }),
          );
        }),
      ),
    );
    const busy = settled.filter((s) => !s.ok && isCrucibleError(s.error, "busy"));
    const done = settled.filter((s) => s.ok);
    // Two running and eight queued are admitted; everything else is refused.
    expect(done).toHaveLength(10);
    expect(busy).toHaveLength(190);
    for (const s of done) {
      if (!s.ok) continue;
      expect(s.verdict.status).toBe("ok");
      expect(s.verdict.stdout).toBe(`${s.i}\n`);
    }
    // "busy" comes at once: every refusal arrived before the first admitted run finished.
    const firstDone = Math.min(...done.map((s) => s.at));
    expect(Math.max(...busy.map((s) => s.at))).toBeLessThan(firstDone);
    expect(rssGrowthBytes).toBeLessThan(128 * MiB);
    expect(sandbox.stats()).toMatchObject({ active: 0, queued: 0 });
    const after = await sandbox.run({ language: "python", code: "print('responsive')" });
    expect(after.stdout).toBe("responsive\n");
  });

  it("should say in a busy error how full the queue is and what to do", async () => {
    const own = createSandbox({ poolSize: 1, maxQueued: 0 });
    try {
      const first = own.run({ language: "python", code: "import time\ntime.sleep(0.5)" });
      const error = await rejection(() => own.run({ language: "python", code: "print(1)" }));
      expect(error.code).toBe("busy");
      expect(error.details).toEqual({ active: 1, queued: 0, maxQueued: 0 });
      expect(error.message).toMatch(/retry/);
      expect((await first).status).toBe("ok");
    } finally {
      await own.close();
    }
  });

  it("should let a queued run be cancelled promptly while the pool is saturated by spinners", async () => {
    const own = createSandbox({ poolSize: 1, maxQueued: 4 });
    try {
      const spinner = own.run({ language: "python", code: "while True:\n    pass\n", limits: { wallTimeMs: 2_000 } });
      const t0 = performance.now();
      const error = await rejection(() => own.run({ language: "python", code: "print(1)", signal: AbortSignal.timeout(200) }));
      expect(error.code).toBe("aborted");
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(own.stats()).toMatchObject({ active: 1, queued: 0 });
      expect((await spinner).status).toBe("timeout");
    } finally {
      await own.close();
    }
  });
});

describe("oversized requests", () => {
  it("should refuse code over maxCodeBytes before spawning anything", async () => {
    const own = createSandbox({ poolSize: 1, prespawn: false });
    try {
      const before = sandboxedPids();
      const t0 = performance.now();
      const error = await rejection(() => own.run({ language: "python", code: `# ${"x".repeat(2 * MiB)}` }));
      expect(error.code).toBe("code_too_large");
      expect(error.details).toEqual({ bytes: 2 * MiB + 2, maxCodeBytes: MiB });
      expect(performance.now() - t0).toBeLessThan(500);
      expect(own.stats()).toMatchObject({ active: 0, queued: 0, idlePython: 0, readyNode: 0 });
      expect(sandboxedPids()).toEqual(before);
    } finally {
      await own.close();
    }
  });

  it("should refuse 64 MiB of code in every language and entry point with bounded host memory", async () => {
    // A flat string made up front, so sampling measures the sandbox, not the string's own flattening.
    const huge = Buffer.alloc(64 * MiB, "/").toString("latin1");
    const { result: codes, rssGrowthBytes } = await withRssSampling(async () => {
      const out: string[] = [];
      for (const language of ["python", "javascript", "typescript"] as const) {
        out.push((await rejection(() => sandbox.run({ language, code: huge }))).code);
        out.push((await rejection(() => sandbox.session({ language, code: huge }))).code);
      }
      return out;
    });
    expect(codes).toEqual(Array(6).fill("code_too_large"));
    // The string itself is 64 MiB of the test's own memory; nothing was copied to a sandbox.
    expect(rssGrowthBytes).toBeLessThan(32 * MiB);
  });

  it("should apply a per-run maxCodeBytes smaller than the sandbox's", async () => {
    const error = await rejection(() => sandbox.run({ language: "python", code: "print('a fine program')", limits: { maxCodeBytes: 8 } }));
    expect(error.code).toBe("code_too_large");
    expect(error.message).toMatch(/maxCodeBytes/);
  });

  it("should refuse session cells over maxCodeBytes before sending them to the session", async () => {
    const session = await sandbox.session({ language: "python", code: "def f():\n    return 1\n", limits: { maxCodeBytes: 1024 } });
    try {
      const error = await rejection(() => session.exec(`x = '${"y".repeat(2048)}'`));
      expect(error.code).toBe("code_too_large");
      expect((await session.call("f")).value).toBe(1);
    } finally {
      await session.close();
    }
  });

  // Standard input travels in the same request frame as the code and is copied into the
  // sandbox's memory: uncapped, 64 MiB of it costs the host and the sandbox hundreds of MiB.
  it("should refuse stdin far over the request size cap before spawning anything", async () => {
    const own = createSandbox({ poolSize: 1, prespawn: false });
    try {
      const before = sandboxedPids();
      const error = await rejection(() => own.run({ language: "python", code: "import sys\nprint(len(sys.stdin.read()))", stdin: "s".repeat(64 * MiB) }));
      expect(["code_too_large", "invalid_argument"]).toContain(error.code);
      expect(error.message).toMatch(/stdin/);
      expect(sandboxedPids()).toEqual(before);
    } finally {
      await own.close();
    }
  });

  it("should refuse argv far over the request size cap before spawning anything", async () => {
    const own = createSandbox({ poolSize: 1, prespawn: false });
    try {
      const before = sandboxedPids();
      const argv = Array.from({ length: 64 }, () => "a".repeat(MiB));
      const error = await rejection(() => own.run({ language: "python", code: "import sys\nprint(len(sys.argv))", argv }));
      expect(["code_too_large", "invalid_argument"]).toContain(error.code);
      expect(error.message).toMatch(/argv/);
      expect(sandboxedPids()).toEqual(before);
    } finally {
      await own.close();
    }
  });
});
