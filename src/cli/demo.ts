import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Sandbox, Language } from "../sandbox/sandbox.ts";
import type { Limits } from "../sandbox/policy.ts";
import type { VerdictStatus } from "../sandbox/verdict.ts";
import { escapeForTerminal, summarize } from "./render.ts";

const EXAMPLES = fileURLToPath(new URL("../../examples/sandbox/", import.meta.url));
const MiB = 1024 * 1024;

/** The embedded demo: each example program with the verdict it must get. */
export const DEMO: readonly { file: string; language: Language; expect: VerdictStatus; limits?: Partial<Limits> }[] = [
  { file: "hello.py", language: "python", expect: "ok" },
  { file: "hello.ts", language: "typescript", expect: "ok" },
  { file: "raises.py", language: "python", expect: "error" },
  { file: "escape.py", language: "python", expect: "ok" },
  { file: "spin.py", language: "python", expect: "timeout", limits: { wallTimeMs: 1000 } },
  { file: "hog.py", language: "python", expect: "memory", limits: { memoryBytes: 128 * MiB } },
  { file: "forkbomb.py", language: "python", expect: "ok", limits: { maxProcesses: 32 } },
  { file: "flood.ts", language: "typescript", expect: "output_limit", limits: { maxOutputBytes: 64 * 1024 } },
];

/** Runs every example, prints each verdict; resolves to the number of examples that surprised. */
export async function runDemo(sandbox: Sandbox, write: (line: string) => void): Promise<number> {
  let surprises = 0;
  for (const example of DEMO) {
    const code = await readFile(join(EXAMPLES, example.file), "utf8");
    const verdict = await sandbox.run({ language: example.language, code, ...(example.limits ? { limits: example.limits } : {}) });
    const good = verdict.status === example.expect;
    if (!good) surprises++;
    write(`${good ? "✓" : "✗"} ${example.file.padEnd(12)} ${summarize(verdict)}${good ? "" : `  (expected ${example.expect})`}`);
    const out = verdict.stdout.trim().split("\n").slice(0, 4).join("\n    ");
    if (out) write(`    ${escapeForTerminal(out.slice(0, 400))}`);
  }
  return surprises;
}
