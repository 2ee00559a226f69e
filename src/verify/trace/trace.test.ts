import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrucibleError } from "../../errors.ts";
import { Tuple } from "../../sandbox/guest/codec.mjs";
import { createSandbox, type Sandbox } from "../../sandbox/index.ts";
import { firstDivergence } from "./diverge.ts";
import { renderTrace } from "./render.ts";
import { traceCall, TraceSession, traceValues } from "./trace.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

const SUM = `def total(xs):
    t = 0
    for x in xs:
        if x > 1:
            t += x
    return t
`;

describe("traceCall", () => {
  it("should split the executed path into blocks with the variables after each and count the steps", async () => {
    const r = await traceCall(sandbox, { code: SUM, entryPoint: "total", args: [[1, 2]] });
    expect(r.status).toBe("ok");
    expect(r.value).toBe(2);
    // t = 0 | for | if (1 > 1: no) | for | if | t += 2 | for (exhausted) | return
    expect(r.blocks.map((b) => b.lines[0])).toEqual([2, 3, 4, 3, 4, 5, 3, 6]);
    expect(r.blocks[0]!.state).toEqual({ xs: "[1, 2]", t: "0" });
    expect(r.blocks[5]!.state).toEqual({ xs: "[1, 2]", t: "2", x: "2" });
    expect(r.blocks.at(-1)!.returned).toBe("2");
    expect(r.steps).toBe(8);
    expect(r.blockCount).toBe(8);
    expect(r.functions.map((f) => f.qualname)).toEqual(["total"]);
    expect(r.calls).toEqual([expect.objectContaining({ id: 0, function: "total", depth: 0, args: { xs: "[1, 2]" }, returned: "2" })]);
  });

  it("should trace nested helpers and recursion with one call record per frame", async () => {
    const code = `def outer(n):
    def fact(k):
        if k <= 1:
            return 1
        return k * fact(k - 1)
    return [fact(i) for i in range(n)]
`;
    const r = await traceCall(sandbox, { code, entryPoint: "outer", args: [3] });
    expect(r.value).toEqual([1, 1, 2]);
    const facts = r.calls.filter((c) => c.function === "outer.<locals>.fact");
    expect(facts.map((c) => [c.args["k"], c.depth, c.returned])).toEqual([
      ["0", 1, "1"],
      ["1", 1, "1"],
      ["2", 1, "2"],
      ["1", 2, "1"],
    ]);
    expect(facts[3]!.fromBlock).toMatchObject({ function: "outer.<locals>.fact", lines: [5, 5] });
    expect(r.functions.map((f) => f.qualname)).toEqual(["outer", "outer.<locals>.fact"]);
  });

  it("should report an exception as the status, with the block that raised", async () => {
    const r = await traceCall(sandbox, { code: "def f(d):\n    k = 'b'\n    return d[k]\n", entryPoint: "f", args: [{ a: 1 }] });
    expect(r.status).toBe("exception");
    expect(r.exception).toEqual({ type: "KeyError", message: "'b'" });
    expect(r.blocks.at(-1)!.raised).toBe("KeyError: 'b'");
  });

  it("should stop at the step limit and keep the first and the last blocks", async () => {
    const code = "def spin():\n    i = 0\n    while True:\n        i += 1\n";
    const r = await traceCall(sandbox, { code, entryPoint: "spin", limits: { maxSteps: 1000, maxBlocks: 10 } });
    expect(r.status).toBe("step_limit");
    expect(r.steps).toBe(1001);
    expect(r.blocks).toHaveLength(10);
    expect(r.blocks.slice(0, 5).map((b) => b.index)).toEqual([0, 1, 2, 3, 4]);
    expect(r.blocks[5]!.index).toBe(r.blockCount - 5);
    expect(renderTrace(r)).toMatch(/blocks left out of the trace/u);
  });

  it("should stop a loop that swallows every exception at its time limit", async () => {
    const code = "def f():\n    while True:\n        try:\n            pass\n        except BaseException:\n            pass\n";
    const r = await traceCall(sandbox, { code, entryPoint: "f", limits: { timeLimitMs: 300 } });
    expect(r.status).toBe("time_limit");
    expect(r.blocks.length).toBeGreaterThan(0);
  });

  it("should cut long values in the middle and keep a checksum of the cut", async () => {
    const code = "def f(n):\n    s = 'a' * n + 'b' + 'a' * n\n    return len(s)\n";
    const [x, y] = await Promise.all([
      traceCall(sandbox, { code, entryPoint: "f", args: [100], limits: { maxValueChars: 40 } }),
      traceCall(sandbox, { code: code.replace("'b'", "'c'"), entryPoint: "f", args: [100], limits: { maxValueChars: 40 } }),
    ]);
    const sx = x.blocks[0]!.state["s"]!;
    expect(sx).toMatch(/^'a{19}…\[\d+ chars, crc [0-9a-f]{8}\]…a{19}'$/u);
    expect(sx).not.toBe(y.blocks[0]!.state["s"]);
  });

  it("should keep a hostile __repr__ from breaking the trace", async () => {
    const code = "class Bad:\n    def __repr__(self):\n        raise RuntimeError('no')\n\ndef f():\n    b = Bad()\n    return 1\n";
    const r = await traceCall(sandbox, { code, entryPoint: "f" });
    expect(r.status).toBe("ok");
    expect(r.blocks[0]!.state["b"]).toBe("<unrepresentable Bad: RuntimeError>");
  });

  it("should say load_error when the code does not compile", async () => {
    const r = await traceCall(sandbox, { code: "def f(:\n", entryPoint: "f" });
    expect(r.status).toBe("load_error");
    expect(r.exception?.type).toBe("SyntaxError");
    expect(r.blocks).toEqual([]);
  });

  it("should pass tuples and keyword arguments through the codec", async () => {
    const r = await traceCall(sandbox, { code: "def f(p, scale=1):\n    a, b = p\n    return (a * scale, b)\n", entryPoint: "f", args: [new Tuple([2, 3])], kwargs: { scale: 5 } });
    expect(r.value).toEqual(new Tuple([10, 3]));
    expect(r.calls[0]!.args).toEqual({ p: "(2, 3)", scale: "5" });
  });

  it("should refuse a bad limit and a cancelled signal", async () => {
    await expect(traceCall(sandbox, { code: SUM, entryPoint: "total", limits: { maxSteps: 0 } })).rejects.toSatisfy((e) => isCrucibleError(e, "invalid_argument"));
    const controller = new AbortController();
    controller.abort();
    await expect(traceCall(sandbox, { code: SUM, entryPoint: "total", signal: controller.signal })).rejects.toSatisfy((e) => isCrucibleError(e, "aborted"));
  });
});

describe("traceValues", () => {
  it("should return only the distinct variable values, without the path", async () => {
    const r = await traceValues(sandbox, { code: SUM, entryPoint: "total", args: [[1, 2]] });
    expect(r.status).toBe("ok");
    expect(r.values).toEqual([
      ["total", "t", "0"],
      ["total", "t", "2"],
      ["total", "x", "1"],
      ["total", "x", "2"],
      ["total", "xs", "[1, 2]"],
    ]);
  });
});

describe("TraceSession and firstDivergence on real traces", () => {
  it("should trace many inputs with one load, and place a wrong condition on its own line", async () => {
    const buggy = SUM.replace("x > 1", "x >= 1");
    const [sa, sb] = await Promise.all([TraceSession.open(sandbox, buggy), TraceSession.open(sandbox, SUM)]);
    try {
      const same = firstDivergence(await sa.trace("total", [[2, 3]]), await sb.trace("total", [[2, 3]]));
      expect(same).toEqual({ result: "same", compared: 9 });
      const d = firstDivergence(await sa.trace("total", [[1, 2]]), await sb.trace("total", [[1, 2]]));
      expect(d.result).toBe("diverged");
      if (d.result !== "diverged") return;
      expect(d.divergence).toMatchObject({ kind: "path", index: 3, a: { lines: [4, 4] }, b: { lines: [4, 4] }, next: { a: { lines: [5, 5] }, b: { lines: [3, 3] } } });
    } finally {
      await Promise.all([sa.close(), sb.close()]);
    }
  });
});
