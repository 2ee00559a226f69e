// From what a user or a model writes to a ToolSpec the gate can check: dependencies may be given
// by name alone (the latest verified version's hash is filled in, or the hash of a tool of the
// same batch), and calls to `tools.<name>` in the source that are not declared are found and added.
import { CrucibleError } from "../errors.ts";
import type { ToolStore } from "./store/store.ts";
import { parseToolSpec, toolHash, TOOL_NAME_PATTERN, type ToolSpec } from "./tool.ts";

/** Names a source reaches through the `tools` object: `tools.name` or `tools["name"]`. */
export function referencedTools(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\btools\s*\.\s*([A-Za-z][A-Za-z0-9_]*)|\btools\s*\[\s*["']([A-Za-z][A-Za-z0-9_.-]*)["']\s*\]/gu)) {
    const name = m[1] ?? m[2];
    if (name && TOOL_NAME_PATTERN.test(name)) names.add(name);
  }
  return [...names];
}

function depsOf(input: unknown): { name: string; hash?: string }[] {
  if (input === null || typeof input !== "object" || !Object.hasOwn(input, "dependencies")) return [];
  const deps = (input as { dependencies?: unknown }).dependencies;
  if (!Array.isArray(deps)) return [];
  return deps.map((d) => (typeof d === "string" ? { name: d } : (d as { name: string; hash?: string })));
}

/**
 * Parses a batch of specs, filling dependency hashes: a name of the same batch means that spec,
 * otherwise the latest verified stored version. Specs come back in input order.
 * @throws CrucibleError `invalid_argument` for a spec that does not parse, an unknown dependency
 *   name, or dependencies in a cycle.
 */
export async function prepareSpecs(store: ToolStore, inputs: readonly unknown[], signal?: AbortSignal): Promise<ToolSpec[]> {
  const batchNames = new Map<string, number>();
  inputs.forEach((input, i) => {
    const name = input !== null && typeof input === "object" ? (input as { name?: unknown }).name : undefined;
    if (typeof name === "string") batchNames.set(name, i);
  });
  const out: (ToolSpec | undefined)[] = inputs.map(() => undefined);
  const visiting = new Set<number>();
  const prepare = async (i: number): Promise<ToolSpec> => {
    const done = out[i];
    if (done) return done;
    if (visiting.has(i)) throw new CrucibleError("invalid_argument", "the tools of this batch depend on each other in a cycle");
    visiting.add(i);
    const input = inputs[i];
    if (input === null || typeof input !== "object" || Array.isArray(input)) throw new CrucibleError("invalid_argument", `tool spec ${i + 1} is not an object`);
    const declared = depsOf(input);
    const source = (input as { source?: unknown }).source;
    const selfName = (input as { name?: unknown }).name;
    for (const name of typeof source === "string" ? referencedTools(source) : []) {
      if (name === selfName || declared.some((d) => d.name === name)) continue;
      if (batchNames.has(name) || (await store.get(name, signal ? { signal } : {}))) declared.push({ name });
    }
    const dependencies: { name: string; hash: string }[] = [];
    for (const d of declared) {
      if (typeof d.hash === "string" && d.hash !== "") {
        dependencies.push({ name: d.name, hash: d.hash });
        continue;
      }
      const j = batchNames.get(d.name);
      if (j !== undefined && j !== i) {
        dependencies.push({ name: d.name, hash: toolHash(await prepare(j)) });
        continue;
      }
      const stored = await store.get(d.name, signal ? { signal } : {});
      if (!stored) throw new CrucibleError("invalid_argument", `${String(selfName)} depends on ${d.name}, which is not a verified tool of the library; admit it first or give its hash`, { details: { dependency: d.name } });
      dependencies.push({ name: d.name, hash: stored.hash });
    }
    const spec = parseToolSpec({ ...(input), dependencies });
    visiting.delete(i);
    out[i] = spec;
    return spec;
  };
  for (let i = 0; i < inputs.length; i++) await prepare(i);
  return out as ToolSpec[];
}
