// The tool library as its users see it (the MCP server, the CLI): storage (store/), the admission
// gate (gate*.ts), duplicates by behaviour, and invocation inside the sandbox, behind one object.
import { CrucibleError } from "../errors.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Limits } from "../sandbox/policy.ts";
import { findDuplicates, sameSignature, type Contender, type DuplicateReport } from "./duplicates.ts";
import { gateBatch, resolveClosure, runtimeKey, runtimeOf, storeVerified, type GateContext } from "./gate-admit.ts";
import type { GateOptions, ProbeReport } from "./gate.ts";
import { argumentList, callTool, type ToolCallResult } from "./invoke.ts";
import { loadedTool, ToolboxSession } from "./invoke-session.ts";
import { prepareSpecs } from "./gate-spec.ts";
import { openToolStore } from "./store/open.ts";
import type { ChangeEvent, ListOptions, SearchHit, SearchOptions, ToolStore, ToolSummary } from "./store/store.ts";
import { specOf, toolHash, type Tool, type ToolLanguage, type ToolSpec, type ToolStatus, type VerificationRecord } from "./tool.ts";

export interface OpenLibraryOptions {
  /** Where tools are stored: a SQLite file path (`sqlite:` prefix optional), `:memory:` or a `postgres://` URL. */
  readonly url?: string;
  /** An open store instead of `url` (the library does not close it). */
  readonly store?: ToolStore;
  readonly sandbox: Sandbox;
  /** Limits tool sessions run under (defaults: `TOOL_LIMITS`). */
  readonly limits?: Partial<Limits>;
  /** How thorough the gate is (property runs, generated inputs, timeouts). */
  readonly gate?: Omit<GateOptions, "seed" | "signal">;
}

/** What admitting one tool did, and why. */
export interface AdmissionReport {
  readonly admitted: boolean;
  readonly name: string;
  readonly version: string;
  /** The hash of the spec as checked (after probing added examples, when it did). */
  readonly hash: string;
  /** The stored tool, when admitted. */
  readonly tool: Tool | null;
  /** False when the same tool (same hash) was already stored, or when refused. */
  readonly created: boolean;
  /** Every check with its status and detail; `status` "flagged" and `reason` when refused. */
  readonly verification: VerificationRecord;
  /** Why the tool was refused, in a sentence; null when admitted. */
  readonly reason: string | null;
  /** Stored tools of another name that behave the same on generated inputs. */
  readonly duplicates: readonly DuplicateReport[];
  /** What probing recorded, for a tool given without examples. */
  readonly probe: ProbeReport | null;
}

export interface VerifyReport {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
  readonly previous: ToolStatus;
  readonly status: ToolStatus;
  /** True when the runtime (interpreter or Crucible version) differs from the one last recorded. */
  readonly runtimeChanged: boolean;
  readonly record: VerificationRecord;
}

export interface CallOptions {
  /** Serve a flagged tool anyway (its record says why it is flagged). */
  readonly force?: boolean;
  readonly timeoutMs?: number;
  /** The task the tool was used for; it joins the tool's search document. */
  readonly task?: string;
  readonly signal?: AbortSignal;
}

export interface Library {
  readonly store: ToolStore;
  /** Runs the gate on a spec (a `ToolSpec`; dependencies may be names without hashes) and stores it when it passes. */
  add(spec: unknown, options?: { duplicates?: boolean; signal?: AbortSignal }): Promise<AdmissionReport>;
  /** Admits several specs in one batch: one sandbox session per language, one transaction. */
  addMany(specs: readonly unknown[], options?: { duplicates?: boolean; signal?: AbortSignal }): Promise<AdmissionReport[]>;
  /** A tool by name (latest verified, else latest flagged), `name@version`, or hash; null when unknown. */
  get(name: string, version?: string, options?: { signal?: AbortSignal }): Promise<Tool | null>;
  list(options?: ListOptions): Promise<ToolSummary[]>;
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>;
  /**
   * Calls a verified tool with named arguments (or an array in parameter order).
   * @throws CrucibleError `not_found` for an unknown or flagged tool (unless `force`),
   *   `invalid_argument` when the arguments do not match its input schema.
   */
  call(name: string, args: unknown, options?: CallOptions): Promise<ToolCallResult>;
  /** Re-runs the recorded checks of one tool (every version) or of every tool; `onlyStale`: only those whose runtime changed. */
  verify(name?: string, options?: { onlyStale?: boolean; signal?: AbortSignal }): Promise<VerifyReport[]>;
  /** Stored tools that behave like the given one. */
  duplicates(name: string, options?: { signal?: AbortSignal }): Promise<DuplicateReport[]>;
  remove(ref: string, options?: { signal?: AbortSignal }): Promise<ToolSummary[]>;
  on(event: "changed", listener: (event: ChangeEvent) => void): () => void;
  close(): Promise<void>;
}

/**
 * Opens the library at `url` (or around `store`). Tools run in `sandbox`, which the caller owns.
 * @throws CrucibleError `invalid_argument` when neither `url` nor `store` is given, `storage`
 *   when the database cannot be opened.
 */
export async function openLibrary(options: OpenLibraryOptions): Promise<Library> {
  if (!options.store && options.url === undefined) throw new CrucibleError("invalid_argument", "openLibrary needs a url (a SQLite file, :memory: or postgres://…) or an open store");
  const store = options.store ?? (await openToolStore(options.url!));
  return new ToolLibrary(store, options, options.store === undefined);
}

class ToolLibrary implements Library {
  readonly store: ToolStore;
  private readonly ctx: GateContext;
  private readonly ownsStore: boolean;
  private readonly runtimes = new Map<ToolLanguage, Promise<Record<string, string>>>();
  private readonly checkedRuntime = new Set<string>();

  constructor(store: ToolStore, options: OpenLibraryOptions, ownsStore: boolean) {
    this.store = store;
    this.ownsStore = ownsStore;
    this.ctx = { sandbox: options.sandbox, store, limits: options.limits ?? {}, gate: options.gate ?? {} };
  }

  async add(spec: unknown, options: { duplicates?: boolean; signal?: AbortSignal } = {}): Promise<AdmissionReport> {
    const [report] = await this.addMany([spec], { duplicates: true, ...options });
    return report!;
  }

  async addMany(inputs: readonly unknown[], options: { duplicates?: boolean; signal?: AbortSignal } = {}): Promise<AdmissionReport[]> {
    const signal = options.signal;
    const all = await prepareSpecs(this.store, inputs, signal);
    // A spec already stored (same hash) is that tool: admitting it again changes nothing (`verify` re-checks).
    const existing = new Map<number, Tool>();
    for (const [i, spec] of all.entries()) {
      const t = await this.store.get({ kind: "hash", hash: toolHash(spec) }, signal ? { signal } : {});
      if (t) existing.set(i, t);
    }
    const specs = all.filter((_, i) => !existing.has(i));
    const fresh = await this.gateAndStore(specs, options);
    let next = 0;
    return all.map((_, i) => {
      const t = existing.get(i);
      if (!t) return fresh[next++]!;
      return { admitted: t.status === "verified", name: t.name, version: t.version, hash: t.hash, tool: t, created: false, verification: t.verification, reason: t.verification.reason ?? null, duplicates: [], probe: null };
    });
  }

  private async gateAndStore(specs: readonly ToolSpec[], options: { duplicates?: boolean; signal?: AbortSignal }): Promise<AdmissionReport[]> {
    const signal = options.signal;
    if (specs.length === 0) return [];
    const verdicts = await gateBatch(this.ctx, specs, signal ? { signal } : {});
    const stored = await storeVerified(this.store, verdicts, signal);
    const reports: AdmissionReport[] = [];
    for (const v of verdicts) {
      const s = stored.get(v.hash);
      const conflict = s && "conflict" in s ? s.conflict : null;
      const tool = s && "tool" in s ? s.tool : null;
      const dups = tool && options.duplicates ? await this.duplicatesOf(await this.contender(tool, signal), signal) : [];
      reports.push({
        admitted: tool !== null,
        name: v.spec.name,
        version: v.spec.version,
        hash: v.hash,
        tool,
        created: s !== undefined && "created" in s ? s.created : false,
        verification: v.record,
        reason: conflict ?? v.record.reason ?? null,
        duplicates: dups,
        probe: v.probe,
      });
    }
    return reports;
  }

  async get(name: string, version?: string, options: { signal?: AbortSignal } = {}): Promise<Tool | null> {
    return this.store.get(version === undefined ? name : `${name}@${version}`, { allowFlagged: true, ...options });
  }

  list(options?: ListOptions): Promise<ToolSummary[]> {
    return this.store.list(options);
  }

  search(query: string, options?: SearchOptions): Promise<SearchHit[]> {
    return this.store.search(query, options);
  }

  async call(name: string, args: unknown, options: CallOptions = {}): Promise<ToolCallResult> {
    const signal = options.signal;
    const opt = signal ? { signal } : {};
    let tool = await this.resolveForCall(name, options.force === true, signal);
    tool = await this.reverifyIfRuntimeChanged(tool, options.force === true, signal);
    const argv = argumentList(tool, args);
    const { closure, checks } = await resolveClosure(this.store, tool, new Map(), signal);
    const bad = checks.find((c) => c.status !== "passed");
    if (bad && options.force !== true) throw new CrucibleError("not_found", `${tool.name} cannot run: its dependency ${bad.name} is unavailable (${bad.detail ?? ""})`, { details: { tool: tool.name } });
    const result = await callTool(this.ctx.sandbox, tool, [...closure, loadedTool(tool)], argv, {
      limits: this.ctx.limits,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...opt,
    });
    await this.store.recordUsage(tool.hash, { ok: result.status === "ok", ms: result.wallMs, ...(options.task ? { task: options.task } : {}) }, opt);
    return result;
  }

  async verify(name?: string, options: { onlyStale?: boolean; signal?: AbortSignal } = {}): Promise<VerifyReport[]> {
    const signal = options.signal;
    const opt = signal ? { signal } : {};
    const summaries = name === undefined ? await this.store.list({ status: "any", allVersions: true, ...opt }) : await this.store.versions(name, opt);
    if (name !== undefined && summaries.length === 0) throw new CrucibleError("not_found", `no tool named ${JSON.stringify(name)} is stored; see \`crucible tools list\``);
    const tools: Tool[] = [];
    for (const s of summaries) {
      const t = await this.store.get({ kind: "hash", hash: s.hash }, opt);
      if (t) tools.push(t);
    }
    const stale = new Set<string>();
    for (const t of tools) if (await this.runtimeChanged(t, signal)) stale.add(t.hash);
    const chosen = options.onlyStale ? tools.filter((t) => stale.has(t.hash)) : tools;
    if (chosen.length === 0) return [];
    const seeds = new Map(chosen.map((t) => [t.hash, t.verification.seed ?? parseInt(t.hash.slice(0, 8), 16) & 0x7fffffff]));
    const verdicts = await gateBatch(this.ctx, chosen.map(specOf), { seeds, ...opt });
    const reports: VerifyReport[] = [];
    for (const [i, t] of chosen.entries()) {
      const v = verdicts[i]!;
      // Re-verification never changes a stored spec: probed examples of a re-run are not kept.
      const updated = await this.store.addVerification(t.hash, v.record, opt);
      this.checkedRuntime.add(t.hash);
      reports.push({ name: t.name, version: t.version, hash: t.hash, previous: t.status, status: updated.status, runtimeChanged: stale.has(t.hash), record: v.record });
    }
    return reports;
  }

  async duplicates(name: string, options: { signal?: AbortSignal } = {}): Promise<DuplicateReport[]> {
    const tool = await this.store.get(name, options.signal ? { signal: options.signal } : {});
    if (!tool) throw new CrucibleError("not_found", `no verified tool named ${JSON.stringify(name)}`);
    return this.duplicatesOf(await this.contender(tool, options.signal), options.signal);
  }

  /** A stored tool with the closure a session loads for it. */
  private async contender(tool: Tool, signal?: AbortSignal): Promise<Contender> {
    const { closure } = await resolveClosure(this.store, tool, new Map(), signal);
    return { spec: specOf(tool), hash: tool.hash, closure: [...closure, loadedTool(tool)] };
  }

  async remove(ref: string, options: { signal?: AbortSignal } = {}): Promise<ToolSummary[]> {
    return this.store.remove(ref, options);
  }

  on(event: "changed", listener: (event: ChangeEvent) => void): () => void {
    return this.store.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }

  private async duplicatesOf(v: Contender, signal?: AbortSignal): Promise<DuplicateReport[]> {
    const opt = signal ? { signal } : {};
    const summaries = await this.store.list({ status: "verified", ...opt });
    const candidates: Contender[] = [];
    for (const s of summaries) {
      if (s.name === v.spec.name || s.hash === v.hash) continue;
      const t = await this.store.get({ kind: "hash", hash: s.hash }, opt);
      if (!t || !sameSignature(v.spec, t)) continue;
      candidates.push(await this.contender(t, signal));
    }
    return findDuplicates(this.ctx.sandbox, { spec: v.spec, hash: v.hash, closure: v.closure }, candidates, opt);
  }

  private async resolveForCall(name: string, force: boolean, signal?: AbortSignal): Promise<Tool> {
    const opt = signal ? { signal } : {};
    const tool = await this.store.get(name, opt);
    if (tool) return tool;
    const flagged = await this.store.get(name, { allowFlagged: true, ...opt });
    if (flagged && flagged.status === "flagged") {
      if (force) return flagged;
      throw new CrucibleError("not_found", `${flagged.name}@${flagged.version} is flagged, so it is not served: ${flagged.verification.reason ?? "its latest verification failed"}; run \`crucible tools verify ${flagged.name}\` or pass force`, {
        details: { tool: flagged.name, flagged: true },
      });
    }
    const near = await this.store.search(name, { limit: 5, ...opt }).catch(() => [] as SearchHit[]);
    throw new CrucibleError("not_found", `no verified tool named ${JSON.stringify(name)}${near.length > 0 ? `; similar: ${near.map((h) => h.tool.name).join(", ")}` : ""}`, {
      details: { tool: name, similar: near.map((h) => h.tool.name) },
    });
  }

  /** Current guest runtime versions for a language (one empty session, once per library). */
  private currentRuntime(language: ToolLanguage, signal?: AbortSignal): Promise<Record<string, string>> {
    let r = this.runtimes.get(language);
    if (!r) {
      r = (async () => {
        const session = await ToolboxSession.open(this.ctx.sandbox, language, [], signal ? { signal } : {});
        try {
          return runtimeOf(language, await session.runtime(signal));
        } finally {
          await session.close();
        }
      })();
      r.catch(() => this.runtimes.delete(language));
      this.runtimes.set(language, r);
    }
    return r;
  }

  private async runtimeChanged(tool: Tool, signal?: AbortSignal): Promise<boolean> {
    const now = await this.currentRuntime(tool.language, signal);
    const key = runtimeKey(tool.language);
    return tool.verification.runtime[key] !== now[key] || tool.verification.runtime["crucible"] !== now["crucible"];
  }

  /** A tool verified under another runtime is verified again before it is served (once per process). */
  private async reverifyIfRuntimeChanged(tool: Tool, force: boolean, signal?: AbortSignal): Promise<Tool> {
    if (this.checkedRuntime.has(tool.hash)) return tool;
    if (!(await this.runtimeChanged(tool, signal))) {
      this.checkedRuntime.add(tool.hash);
      return tool;
    }
    const [report] = await this.verify(`${tool.name}`, signal ? { signal } : {}).then((rs) => rs.filter((r) => r.hash === tool.hash));
    const fresh = (await this.store.get({ kind: "hash", hash: tool.hash }, signal ? { signal } : {})) ?? tool;
    if (report && report.status === "flagged" && !force) {
      throw new CrucibleError("not_found", `${tool.name}@${tool.version} stopped passing its checks under the current runtime and is now flagged: ${report.record.reason ?? ""}`, {
        details: { tool: tool.name, flagged: true },
      });
    }
    return fresh;
  }
}
