import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  });
});
