// Small measurements that explain the gradings' times: what a batched session call costs when the
// function does nothing, what one big output costs next to the function that makes it (the
// per-test time limit is checked against the whole call, output encoding included), and what the
// reference cache costs to read and write.
import { readFile, rm, writeFile } from "node:fs/promises";
import type { Task } from "../src/eval/datasets/index.ts";
import { Encoded } from "../src/sandbox/guest/codec.mjs";
import { createSandbox } from "../src/sandbox/index.ts";
import { DEFAULT_MEMORY_BYTES, timeLimits } from "../src/verify/io.ts";

export interface CallCosts {
  /** Host time per call of `echo(i)` sent 64 to a round trip (as `checkIO` sends them), µs. */
  readonly batchedUs: number;
  /** The same, one call per round trip, µs. */
  readonly singleUs: number;
  /** Time inside the function per call, µs. */
  readonly inFunctionUs: number;
  readonly calls: number;
}

export interface BigOutput {
  readonly taskId: string;
  readonly entryPoint: string;
  readonly input: string;
  /** Time inside the function (what the reference's time, hence the limit, is made of), ms. */
  readonly inFunctionMs: number;
  /** The supervisor's time for the call: what the per-test limit is checked against, ms. */
  readonly guestWallMs: number;
  readonly hostMs: number;
  readonly wireBytes: number;
  /** One `JSON.stringify` of the wire on the host: grading's equal-text check does it for the output and for the expected one. */
  readonly stringifyMs: number;
  /** The per-test limit grading gives this test: max(floor, 4 × the function's time), ms. */
  readonly limitMs: number;
  readonly floorMs: number;
}

const ECHO = "def echo(x):\n    return x\n";
const BATCH = 64;

/** Per-call cost of session calls that do nothing, batched and one by one, after a warm-up. */
export async function callCosts(calls = 12_800): Promise<CallCosts> {
  const sandbox = createSandbox();
  try {
    const session = await sandbox.session({ language: "python", code: ECHO });
    const measure = async (n: number, batch: number) => {
      let inFunctionMs = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i += batch) {
        const verdicts = await session.callMany("echo", Array.from({ length: batch }, (_, k) => [new Encoded(i + k)]), { timeoutMs: 1000, raw: true });
        for (const v of verdicts) {
          if (v.status !== "ok") throw new Error(`echo failed: ${v.status} ${v.reason ?? ""}`);
          inFunctionMs += v.callMs ?? 0;
        }
      }
      return { us: ((performance.now() - t0) * 1000) / n, inFunctionUs: (inFunctionMs * 1000) / n };
    };
    await measure(10 * BATCH, BATCH);
    const batched = await measure(calls, BATCH);
    const single = await measure(calls / 10, 1);
    await session.close();
    return { batchedUs: batched.us, singleUs: single.us, inFunctionUs: batched.inFunctionUs, calls };
  } finally {
    await sandbox.close();
  }
}

/**
 * One call of a task's reference on one of its plus inputs (the best of `repeats`), timed as the
 * grading times it. Throws when the input is not there or the call fails.
 */
export async function bigOutput(task: Task, input: readonly number[], floorMs: number, repeats = 3): Promise<BigOutput> {
  const index = task.io?.plus.findIndex((args) => JSON.stringify(args) === JSON.stringify(input)) ?? -1;
  if (index < 0) throw new Error(`${task.id} has no plus input ${JSON.stringify(input)}`);
  const sandbox = createSandbox();
  try {
    const session = await sandbox.session({ language: "python", code: task.reference, limits: { memoryBytes: DEFAULT_MEMORY_BYTES, wallTimeMs: 60_000 } });
    let best: BigOutput | null = null;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const [v] = await session.callMany(task.entryPoint, [task.io!.plus[index]!.map((w) => new Encoded(w))], { timeoutMs: 60_000, raw: true });
      const hostMs = performance.now() - t0;
      if (v?.status !== "ok") throw new Error(`${task.id} on ${JSON.stringify(input)}: ${v?.status} ${v?.reason ?? ""}`);
      const inFunctionMs = v.callMs ?? 0;
      const t1 = performance.now();
      const wireBytes = Buffer.byteLength(JSON.stringify((v.value as Encoded).wire));
      const stringifyMs = performance.now() - t1;
      const one: BigOutput = {
        taskId: task.id,
        entryPoint: task.entryPoint,
        input: JSON.stringify(input),
        inFunctionMs,
        guestWallMs: v.wallMs,
        hostMs,
        wireBytes,
        stringifyMs,
        limitMs: timeLimits([inFunctionMs], { floorMs })[0]!,
        floorMs,
      };
      if (best === null || one.guestWallMs < best.guestWallMs) best = one;
    }
    await session.close();
    return best!;
  } finally {
    await sandbox.close();
  }
}

export interface CacheCosts {
  readonly bytes: number;
  /** Reading and parsing the cache file, as `evaluate()` does on every run that finds it, ms. */
  readonly readParseMs: number;
  /** Serialising it and writing it again, as profiling does once, ms. */
  readonly stringifyWriteMs: number;
  /** The tasks whose entries are largest, with their share of the file. */
  readonly largest: readonly { readonly taskId: string; readonly bytes: number }[];
}

/** What a reference cache file costs to read and to write, and which tasks make it large. */
export async function cacheCosts(path: string, scratchFile: string): Promise<CacheCosts> {
  let t0 = performance.now();
  const text = await readFile(path, "utf8");
  const parsed = JSON.parse(text) as { tasks?: Record<string, unknown> };
  const readParseMs = performance.now() - t0;
  t0 = performance.now();
  await writeFile(scratchFile, JSON.stringify(parsed));
  const stringifyWriteMs = performance.now() - t0;
  await rm(scratchFile, { force: true });
  const tasks = parsed.tasks ?? {};
  const largest = Object.keys(tasks)
    .map((taskId) => ({ taskId, bytes: Buffer.byteLength(JSON.stringify(tasks[taskId])) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  return { bytes: Buffer.byteLength(text), readParseMs, stringifyWriteMs, largest };
}
