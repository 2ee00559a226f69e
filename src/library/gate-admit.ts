// Admission and re-verification of batches of tools: resolve each tool's dependencies (the
// transitive closure, pinned by hash), load everything of one language into one sandbox session,
// run the gate on each tool, and write the records. One session per language and batch keeps
// seeding a library of dozens of tools to a few sandbox starts.
import { readFileSync } from "node:fs";
import { isCrucibleError } from "../errors.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Limits } from "../sandbox/policy.ts";
import { runGate, staticChecks, type GateOptions, type ProbeReport } from "./gate.ts";
import { dependencyOrder, loadedTool, TOOL_LIMITS, ToolboxSession, type LoadedTool } from "./invoke-session.ts";
import type { ToolStore } from "./store/store.ts";
import { toolHash, type CheckRecord, type Tool, type ToolLanguage, type ToolSpec, type VerificationRecord } from "./tool.ts";

const CRUCIBLE_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** What the gate needs around it. */
export interface GateContext {
  readonly sandbox: Sandbox;
  readonly store: ToolStore;
  readonly limits: Partial<Limits>;
  readonly gate: Omit<GateOptions, "seed" | "signal">;
}

/** The outcome of running the gate on one tool (before anything is stored). */
export interface GateVerdict {
  /** The spec as checked (probing may have added examples). */
  readonly spec: ToolSpec;
  readonly hash: string;
  readonly record: VerificationRecord;
  readonly probe: ProbeReport | null;
  /** The tool with its closure, as a session loads them (for duplicate checks and calls). */
  readonly closure: readonly LoadedTool[];
}

/** The runtime key that matters for a language's tools. */
export function runtimeKey(language: ToolLanguage): "python" | "node" {
  return language === "python" ? "python" : "node";
}

/** Runtime versions a record is compared with: the guest interpreter's and Crucible's. */
export function runtimeOf(language: ToolLanguage, guest: Readonly<Record<string, string>>): Record<string, string> {
  const key = runtimeKey(language);
  return { [key]: guest[key] ?? "unknown", crucible: CRUCIBLE_VERSION };
}

/**
 * The transitive closure of a tool's dependencies, dependencies first, with a check record per
 * direct dependency. `pending` holds tools of the same batch (by hash) not stored yet.
 */
export async function resolveClosure(store: ToolStore, spec: ToolSpec, pending: ReadonlyMap<string, LoadedTool>, signal?: AbortSignal): Promise<{ closure: LoadedTool[]; checks: CheckRecord[] }> {
  const found = new Map<string, LoadedTool>();
  const checks: CheckRecord[] = [];
  const visit = async (name: string, hash: string, direct: boolean, path: readonly string[]): Promise<void> => {
    if (found.has(hash)) return;
    let tool: LoadedTool | undefined = pending.get(hash);
    let problem: string | null = null;
    let label = `${name} (${hash.slice(0, 12)})`;
    if (!tool) {
      const stored: Tool | null = await store.get({ kind: "hash", hash }, signal ? { signal } : {});
      if (!stored) problem = `no stored tool has hash ${hash}: admit ${name} first`;
      else {
        label = `${stored.name}@${stored.version} (${hash.slice(0, 12)})`;
        if (stored.name !== name) problem = `hash ${hash.slice(0, 12)} is ${stored.name}, not ${name}`;
        else if (stored.status !== "verified") problem = `${label} is flagged: ${stored.verification.reason ?? "its latest verification failed"}`;
        tool = loadedTool(stored);
      }
    }
    if (!problem && tool && tool.language !== spec.language) problem = `${label} is ${tool.language}; a ${spec.language} tool can call only ${spec.language} tools`;
    if (problem || !tool) {
      checks.push({ kind: "dependency", name, status: "failed", detail: path.length > 0 ? `${[...path, name].join(" → ")}: ${problem}` : (problem ?? "missing") });
      return;
    }
    found.set(hash, tool);
    if (direct) checks.push({ kind: "dependency", name, status: "passed", detail: `${label}, verified, loaded in the same sandbox session` });
    for (const [depName, depHash] of Object.entries(tool.deps)) await visit(depName, depHash, false, [...path, name]);
  };
  for (const d of spec.dependencies) await visit(d.name, d.hash, true, []);
  return { closure: dependencyOrder([...found.values()]), checks };
}

function verificationRecord(checks: readonly CheckRecord[], seed: number, runtime: Record<string, string>, policy: Partial<Limits>, gate: GateContext["gate"]): VerificationRecord {
  const bad = checks.find((c) => c.status !== "passed" && c.status !== "skipped");
  return {
    status: bad ? "flagged" : "verified",
    checkedAt: new Date().toISOString(),
    checks,
    seed,
    runtime,
    sandboxPolicy: { ...policy, callTimeoutMs: gate.callTimeoutMs ?? 5_000, generatedTimeoutMs: gate.generatedTimeoutMs ?? 2_000, propertyRuns: gate.propertyRuns ?? 100, generatedInputs: gate.generatedInputs ?? 30 },
    ...(bad ? { reason: `${bad.kind} ${JSON.stringify(bad.name)} ${bad.status}${bad.detail ? `: ${bad.detail}` : ""}` } : {}),
  };
}

/**
 * Runs the gate on a batch of specs (dependencies inside the batch are fine: they are checked
 * first and loaded in the same session). `seeds` gives a spec's master seed (re-verification
 * reuses the recorded one). Nothing is stored here.
 */
export async function gateBatch(ctx: GateContext, specs: readonly ToolSpec[], options: { seeds?: ReadonlyMap<string, number>; signal?: AbortSignal } = {}): Promise<GateVerdict[]> {
  const signal = options.signal;
  const hashes = specs.map(toolHash);
  const pending = new Map(specs.map((s, i) => [hashes[i]!, loadedTool({ ...s, hash: hashes[i]! })]));
  const prepared = await Promise.all(
    specs.map(async (spec, i) => {
      const hash = hashes[i]!;
      const { closure, checks: depChecks } = await resolveClosure(ctx.store, spec, pending, signal);
      let statics: CheckRecord[];
      try {
        statics = staticChecks(spec);
      } catch (error) {
        statics = [{ kind: "schema", name: "input schema", status: "failed", detail: (error as Error).message }];
      }
      return { spec, hash, closure: [...closure, pending.get(hash)!], early: [...statics, ...depChecks] };
    }),
  );
  const out = new Map<string, GateVerdict>();
  for (const language of ["python", "typescript"] as const) {
    const group = prepared.filter((p) => p.spec.language === language);
    if (group.length === 0) continue;
    const runnable = group.filter((p) => p.early.every((c) => c.status === "passed" || c.status === "skipped"));
    const session = runnable.length === 0 ? null : await ToolboxSession.open(ctx.sandbox, language, unionOf(runnable.map((p) => p.closure)), { limits: ctx.limits, ...(signal ? { signal } : {}) });
    // Nothing to run: an empty session still says which runtime the record is made under.
    const probeSession = session ?? (await ToolboxSession.open(ctx.sandbox, language, [], { limits: ctx.limits, ...(signal ? { signal } : {}) }));
    try {
      const runtime = runtimeOf(language, await probeSession.runtime(signal));
      const policy = { ...TOOL_LIMITS, ...ctx.limits };
      for (const p of group) {
        const seed = options.seeds?.get(p.hash) ?? parseInt(p.hash.slice(0, 8), 16) & 0x7fffffff;
        if (!session || !runnable.includes(p)) {
          out.set(p.hash, { spec: p.spec, hash: p.hash, record: verificationRecord(p.early, seed, runtime, policy, ctx.gate), probe: null, closure: p.closure });
          continue;
        }
        const result = await runGate(session, p.hash, p.spec, { sandbox: ctx.sandbox, closure: p.closure }, { ...ctx.gate, seed, ...(signal ? { signal } : {}) });
        const spec = result.probe && result.probe.examples.length > 0 ? { ...p.spec, examples: result.probe.examples } : p.spec;
        out.set(p.hash, { spec, hash: toolHash(spec), record: verificationRecord([...p.early, ...result.checks], result.seed, runtime, policy, ctx.gate), probe: result.probe, closure: p.closure });
      }
    } finally {
      await probeSession.close();
    }
  }
  return relink(refuseDependents(hashes.map((h) => out.get(h)!), hashes), hashes);
}

/** A tool whose dependency (of the same batch) was refused is refused too. */
function refuseDependents(verdicts: GateVerdict[], provisional: readonly string[]): GateVerdict[] {
  const byKey = new Map(verdicts.map((v, i) => [provisional[i]!, v]));
  const order = dependencyOrder(verdicts.map((v, i) => ({ ...loadedTool({ ...v.spec, hash: provisional[i]! }) })));
  for (const t of order) {
    const v = byKey.get(t.key)!;
    const refused = v.spec.dependencies.filter((d) => byKey.has(d.hash) && byKey.get(d.hash)!.record.status !== "verified");
    if (refused.length === 0 || v.record.status !== "verified") continue;
    const checks = [...v.record.checks, ...refused.map((d) => ({ kind: "dependency", name: d.name, status: "failed" as const, detail: `${d.name} was refused in the same batch` }))];
    byKey.set(t.key, { ...v, record: { ...v.record, status: "flagged", checks, reason: `dependency ${JSON.stringify(refused[0]!.name)} was refused` } });
  }
  return provisional.map((h) => byKey.get(h)!);
}

/** Tools of several closures, each once. */
function unionOf(closures: readonly (readonly LoadedTool[])[]): LoadedTool[] {
  const byKey = new Map<string, LoadedTool>();
  for (const c of closures) for (const t of c) byKey.set(t.key, t);
  return [...byKey.values()];
}

/**
 * Probing can add examples to a tool, which changes its hash: tools of the same batch that depend
 * on it are pointed at the new hash (their own hash changes with it).
 */
function relink(verdicts: GateVerdict[], provisional: readonly string[]): GateVerdict[] {
  const renamed = new Map<string, string>();
  verdicts.forEach((v, i) => {
    if (v.hash !== provisional[i]) renamed.set(provisional[i]!, v.hash);
  });
  if (renamed.size === 0) return verdicts;
  const order = dependencyOrder(verdicts.map((v) => ({ ...loadedTool({ ...v.spec, hash: v.hash }), key: provisional[verdicts.indexOf(v)]! })));
  const byProvisional = new Map(verdicts.map((v, i) => [provisional[i]!, v]));
  for (const t of order) {
    const v = byProvisional.get(t.key)!;
    if (!v.spec.dependencies.some((d) => renamed.has(d.hash))) continue;
    const spec = { ...v.spec, dependencies: v.spec.dependencies.map((d) => ({ name: d.name, hash: renamed.get(d.hash) ?? d.hash })) };
    const hash = toolHash(spec);
    if (hash !== v.hash) renamed.set(t.key, hash);
    byProvisional.set(t.key, { ...v, spec, hash });
  }
  return provisional.map((h) => byProvisional.get(h)!);
}

/**
 * Stores the verdicts that passed, in one transaction. A name@version already stored with
 * another hash is refused (a changed tool needs a new version): `conflict` in the result.
 */
export async function storeVerified(store: ToolStore, verdicts: readonly GateVerdict[], signal?: AbortSignal): Promise<Map<string, { tool: Tool; created: boolean } | { conflict: string }>> {
  const result = new Map<string, { tool: Tool; created: boolean } | { conflict: string }>();
  const passing: GateVerdict[] = [];
  for (const v of verdicts) {
    if (v.record.status !== "verified") continue;
    const same = await store.get(`${v.spec.name}@${v.spec.version}`, { allowFlagged: true, ...(signal ? { signal } : {}) });
    if (same && same.hash !== v.hash) {
      result.set(v.hash, { conflict: `${v.spec.name}@${v.spec.version} is already stored with another content (hash ${same.hash.slice(0, 12)}); give the changed tool a new version` });
    } else passing.push(v);
  }
  try {
    const stored = passing.length === 0 ? [] : await store.putMany(passing.map((v) => ({ spec: v.spec, verification: v.record })), signal ? { signal } : {});
    stored.forEach((s, i) => result.set(passing[i]!.hash, s));
  } catch (error) {
    if (!isCrucibleError(error, "conflict")) throw error;
    for (const v of passing) result.set(v.hash, { conflict: error.message });
  }
  return result;
}
