import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { cpus, hostname } from "node:os";
import { join } from "node:path";
import type { Wire } from "../sandbox/guest/codec.mjs";
import type { Sandbox } from "../sandbox/sandbox.ts";
import { DEFAULT_DIGEST_OVER_BYTES, runReference } from "../verify/io.ts";
import type { Dataset, Task } from "./datasets/types.ts";

/** The reference's outputs and its own time per test, for both test sets of a task. */
export interface TaskReference {
  readonly base: { readonly outputs: readonly Wire[]; readonly timesMs: readonly number[] };
  readonly plus: { readonly outputs: readonly Wire[]; readonly timesMs: readonly number[] };
}

export type ReferenceEntry = TaskReference | { readonly error: string };

interface CacheFile {
  readonly dataset: string;
  readonly machine: string;
  readonly tasks: Record<string, ReferenceEntry>;
}

/**
 * The machine a cache of reference times belongs to: times measured elsewhere would set the wrong
 * per-test limits here.
 */
function machineKey(): string {
  const cpu = cpus()[0]?.model ?? "cpu";
  return createHash("sha256").update(`${hostname()}|${cpu}|${cpus().length}|${process.versions.node}`).digest("hex").slice(0, 16);
}

/**
 * Expected outputs and reference times for `tasks`, profiled once on this machine and cached by
 * the dataset's hash under `cacheDir/references/`. A task whose reference fails is recorded with
 * its error (its samples are then graded as errors), not retried on every run.
 */
export async function loadReferences(
  sandbox: Sandbox,
  dataset: Dataset,
  tasks: readonly Task[],
  options: { cacheDir: string; concurrency: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
): Promise<Map<string, ReferenceEntry>> {
  const dir = join(options.cacheDir, "references");
  // v2: outputs over DEFAULT_DIGEST_OVER_BYTES are stored as digests.
  const path = join(dir, `${dataset.sha256}-${machineKey()}-v2.json`);
  let cache: CacheFile = { dataset: dataset.sha256, machine: machineKey(), tasks: {} };
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as CacheFile;
    if (parsed.dataset === dataset.sha256 && parsed.machine === machineKey()) cache = parsed;
  } catch {
    // no cache yet, or an unreadable one: profile again
  }
  const missing = tasks.filter((t) => t.io && !Object.hasOwn(cache.tasks, t.id));
  let done = tasks.length - missing.length;
  options.onProgress?.(done, tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const task = missing[next++]!;
      cache.tasks[task.id] = await referenceOf(sandbox, task, options.signal);
      options.onProgress?.(++done, tasks.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  if (missing.length > 0) {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(cache));
    await rename(tmp, path);
  }
  return new Map(tasks.filter((t) => Object.hasOwn(cache.tasks, t.id)).map((t) => [t.id, cache.tasks[t.id]!]));
}

async function referenceOf(sandbox: Sandbox, task: Task, signal?: AbortSignal): Promise<ReferenceEntry> {
  const io = task.io!;
  try {
    const run = (inputs: readonly (readonly Wire[])[]) =>
      runReference(
        sandbox,
        // Big outputs are kept as digests (an oracle needs no expected output worth the bytes).
        { code: task.reference, entryPoint: task.entryPoint, inputs, ...(io.oracle ? {} : { digestOverBytes: DEFAULT_DIGEST_OVER_BYTES }) },
        signal ? { signal } : {},
      );
    const base = await run(io.base);
    const plus = await run(io.plus);
    return { base, plus };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { error: (error as Error).message };
  }
}
