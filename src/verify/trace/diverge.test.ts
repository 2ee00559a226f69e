import { describe, expect, it } from "vitest";
import { divergenceTouches, firstDivergence } from "./diverge.ts";
import { lineMap } from "./lines.ts";
import type { TraceBlock, TraceCallRecord, TraceReport } from "./types.ts";

describe("lineMap", () => {
  it("should mark the replaced line and align the others", () => {
    const m = lineMap("a\nb\nc\n", "a\nB\nc\n");
    expect([...m.editedA]).toEqual([2]);
    expect([...m.editedB]).toEqual([2]);
    expect(m.aToB.slice(1)).toEqual([1, 2, 3]);
  });

  it("should read two swapped lines as two edits in place, not one line moved", () => {
    const a = "if x:\n    return '1'\nelse:\n    return '0'\n";
    const b = "if x:\n    return '0'\nelse:\n    return '1'\n";
    const m = lineMap(a, b);
    expect([...m.editedA].sort()).toEqual([2, 4]);
    expect(m.aToB[3]).toBe(3);
  });

  it("should leave blank lines out of the edits and map added lines to nothing", () => {
    const m = lineMap("a\nc\n", "a\n\nb\nc\n");
    expect([...m.editedA]).toEqual([]);
    expect([...m.editedB]).toEqual([3]);
    expect(m.bToA[4]).toBe(2);
  });
});

// Hand-made traces: one function `f` whose static blocks are one line each (lines 2..6).
function report(source: string, blocks: Partial<TraceBlock>[], extra: Partial<TraceReport> = {}): TraceReport {
  const full = blocks.map((b, i) => ({ index: i, call: 0, function: "f", block: 0, lines: [2, 2] as const, executed: [2], steps: 1, state: {}, ...b }));
  const calls: TraceCallRecord[] = [{ id: 0, function: "f", parent: null, depth: 0, atIndex: 0, args: { n: "1" } }];
  return {
    status: "ok",
    entryPoint: "f",
    source,
    steps: full.length,
    blockCount: full.length,
    callCount: 1,
    blocks: full,
    calls,
    functions: [{ name: "f", qualname: "f", lines: [1, 6], blocks: [2, 3, 4, 5, 6].map((l, id) => ({ id, lines: [[l, l] as const] })) }],
    callMs: 1,
    ...extra,
  };
}
const at = (block: number, state: Record<string, string>, more: Partial<TraceBlock> = {}) => ({ block, lines: [block + 2, block + 2] as const, executed: [block + 2], state, ...more });
const SRC_A = "def f(n):\n    a = n\n    b = a + 1\n    if b > 1:\n        c = 1\n    return b\n";
const SRC_B = "def f(n):\n    a = n\n    b = a + 2\n    if b > 1:\n        c = 1\n    return b\n";

describe("firstDivergence", () => {
  it("should answer same for identical paths and states", () => {
    const r = report(SRC_A, [at(0, { a: "1" }), at(1, { a: "1", b: "2" })]);
    expect(firstDivergence(r, r)).toEqual({ result: "same", compared: 2 });
  });

  it("should place a state difference on the block that made it, even though its line was edited", () => {
    const a = report(SRC_A, [at(0, { a: "1" }), at(1, { a: "1", b: "2" })]);
    const b = report(SRC_B, [at(0, { a: "1" }), at(1, { a: "1", b: "3" })]);
    const d = firstDivergence(a, b);
    expect(d.result).toBe("diverged");
    if (d.result !== "diverged") return;
    expect(d.divergence).toMatchObject({ kind: "state", index: 1, a: { lines: [3, 3] }, variables: [{ name: "b", a: "2", b: "3" }] });
    const m = lineMap(SRC_A, SRC_B);
    expect(divergenceTouches(d.divergence, m.editedA, m.editedB)).toBe("block");
  });

  it("should place a branch taken differently on the deciding block, with the blocks run next", () => {
    const a = report(SRC_A, [at(0, {}), at(2, {}), at(3, { c: "1" })]);
    const b = report(SRC_A, [at(0, {}), at(2, {}), at(4, {}, { returned: "2" })]);
    const d = firstDivergence(a, b);
    if (d.result !== "diverged") throw new Error(d.result);
    expect(d.divergence).toMatchObject({ kind: "path", index: 2, a: { lines: [4, 4] }, next: { a: { lines: [5, 5] }, b: { lines: [6, 6] } } });
  });

  it("should compare the returned value and the raised exception as part of the state", () => {
    const a = report(SRC_A, [at(4, {}, { returned: "1" })]);
    const b = report(SRC_A, [at(4, {}, { raised: "ValueError: x" })]);
    const d = firstDivergence(a, b);
    if (d.result !== "diverged") throw new Error(d.result);
    expect(d.divergence.variables.map((v) => v.name)).toEqual(["<return>", "<raise>"]);
  });

  it("should be undecided past the recorded head of a capped trace, and when a trace has no path", () => {
    const long = report(SRC_A, [at(0, {}), at(1, {}), { ...at(1, {}), index: 9 }], { blockCount: 10 });
    expect(firstDivergence(long, long)).toMatchObject({ result: "undecided", compared: 2 });
    const none = report(SRC_A, [], { status: "timeout", reason: "killed" });
    const d = firstDivergence(none, long);
    expect(d).toMatchObject({ result: "undecided", compared: 0 });
    expect(d.result === "undecided" && d.reason).toMatch(/no path \(timeout/u);
  });

  it("should report a call made with different arguments from the same block", () => {
    const callsA: TraceCallRecord[] = [
      { id: 0, function: "f", parent: null, depth: 0, atIndex: 0, args: { n: "1" } },
      { id: 1, function: "g", parent: 0, depth: 1, atIndex: 1, args: { v: "2" }, fromBlock: { function: "f", block: 1, lines: [3, 3] } },
    ];
    const callsB = [callsA[0]!, { ...callsA[1]!, args: { v: "3" } }];
    const a = report(SRC_A, [at(0, {}), at(1, {})], { calls: callsA, callCount: 2 });
    const b = report(SRC_B, [at(0, {}), at(1, {})], { calls: callsB, callCount: 2 });
    const d = firstDivergence(a, b);
    if (d.result !== "diverged") throw new Error(d.result);
    expect(d.divergence).toMatchObject({ kind: "call", index: 1, a: { lines: [3, 3] }, variables: [{ name: "v", a: "2", b: "3" }] });
  });
});
