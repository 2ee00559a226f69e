import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.ts";
import { checkStateful } from "../../src/verify/properties/stateful.ts";

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ poolSize: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

const MODEL = `
class Stack:
    def __init__(self):
        self.items = []
    def push(self, x: int) -> None:
        self.items.append(x)
    def pop(self) -> int:
        return self.items.pop()
    def size(self) -> int:
        return len(self.items)
`;

describe("checkStateful", () => {
  it("should find the shortest call sequence where a stack behaves like a queue, and replay it", async () => {
    const buggy = MODEL.replace("self.items.pop()", "self.items.pop(0)");
    const r = await checkStateful(sandbox, { code: buggy, className: "Stack", model: { code: MODEL }, seed: 42 });
    if (r.status !== "failed") throw new Error(JSON.stringify(r));
    const lines = r.counterexample.repr.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith("push("))).toHaveLength(2);
    expect(lines[2]).toBe("pop()");
    expect(r.failure.kind).toBe("mismatch");
    const again = await checkStateful(sandbox, { code: buggy, className: "Stack", model: { code: MODEL }, seed: r.seed, path: r.path });
    expect(again.status === "failed" && again.counterexample.repr).toBe(r.counterexample.repr);
  });

  it("should pass a correct implementation, raising where the model raises (pop on empty)", async () => {
    const other = MODEL.replace("self.items = []", "self.items = []\n        self.n = 0").replace("return len(self.items)", "return sum(1 for _ in self.items)");
    const r = await checkStateful(sandbox, { code: other, className: "Stack", model: { code: MODEL }, numRuns: 40, seed: 1 });
    expect(r).toMatchObject({ status: "passed", numRuns: 40 });
  });

  it("should fail a class that does not raise where the model does", async () => {
    const lenient = MODEL.replace("return self.items.pop()", "return self.items.pop() if self.items else 0");
    const r = await checkStateful(sandbox, { code: lenient, className: "Stack", model: { code: MODEL }, seed: 3 });
    if (r.status !== "failed") throw new Error(JSON.stringify(r));
    expect(r.counterexample.repr).toBe("pop()");
    expect(r.failure.message).toMatch(/model raised IndexError/u);
  });
});
