// The ToolStore over Kysely: one query layer for SQLite and PostgreSQL; the dialect adapter only
// supplies full-text search and migration locking. Every write is a single transaction.
import type { Kysely, Transaction } from "kysely";
import { Migrator } from "kysely/migration";
import { CrucibleError, isCrucibleError } from "../../errors.ts";
import { signatureOf } from "../search-signature.ts";
import { searchDocument } from "../search-text.ts";
import { parseToolRef, parseToolSpec, refAsName, parseVerificationRecord, toolHash, type Tool, type ToolRef, type ToolSpec, type UsageStats, type VerificationRecord } from "../tool.ts";
import { validateBundle } from "./bundle.ts";
import type { DialectAdapter } from "./dialect.ts";
import { migrationProvider } from "./migrations.ts";
import { byVersionDesc, hashPrefix, refreshLatest, SUMMARY_COLUMNS, toolsWithState, toSummary, toTool } from "./rows.ts";
import type { Database } from "./schema.ts";
import { searchTools } from "./search.ts";
import type { BundleEntry, ChangeEvent, GetOptions, ImportReport, ListOptions, PutResult, SearchHit, SearchOptions, ToolStore, ToolSummary, UsageEvent } from "./store.ts";
import { BUNDLE_FORMAT } from "./store.ts";

/** Hooks for tests of crash safety; never set them in production code. */
export interface StoreHooks {
  /** Awaited inside an admission's transaction, after the tool row and before everything else. */
  readonly insideAdmission?: () => Promise<void>;
}

export interface KyselyStoreOptions {
  readonly hooks?: StoreHooks;
  /** The clock (tests pin it). */
  readonly now?: () => Date;
}

/** Most tasks kept per tool from recorded uses, and their length: they feed search only. */
const MAX_TASKS_PER_TOOL = 50;
const MAX_TASK_CHARS = 500;

/**
 * Migrates the database to the latest schema and returns the store over it.
 * @throws CrucibleError `storage` when the database cannot be reached or migrated.
 */
export async function createKyselyStore(db: Kysely<Database>, adapter: DialectAdapter, options: KyselyStoreOptions = {}): Promise<ToolStore> {
  const migrator = new Migrator({ db, provider: migrationProvider(adapter) });
  let result;
  try {
    result = await adapter.serializeMigrations(db, () => migrator.migrateToLatest());
  } catch (cause) {
    await db.destroy().catch(() => {});
    throw storageError(`cannot open the ${adapter.dialect} tool library`, cause);
  }
  if (result.error !== undefined) {
    await db.destroy().catch(() => {});
    const failed = result.results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw storageError(`migrating the ${adapter.dialect} tool library failed at ${failed}`, result.error);
  }
  return new KyselyToolStore(db, adapter, options);
}

function storageError(what: string, cause: unknown): CrucibleError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new CrucibleError("storage", `${what}: ${message}`, { cause });
}

class KyselyToolStore implements ToolStore {
  readonly dialect;
  readonly #db: Kysely<Database>;
  readonly #adapter: DialectAdapter;
  readonly #hooks: StoreHooks;
  readonly #now: () => Date;
  readonly #listeners = new Set<(event: ChangeEvent) => void>();
  #closed = false;

  constructor(db: Kysely<Database>, adapter: DialectAdapter, options: KyselyStoreOptions) {
    this.#db = db;
    this.#adapter = adapter;
    this.dialect = adapter.dialect;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => new Date());
  }

  /** Runs one operation: refuses after close, honours the signal, reports database failures as `storage`. */
  async #op<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new CrucibleError("closed", "the tool library is closed; open it again");
    if (signal?.aborted) throw new CrucibleError("aborted", `${what} was cancelled`, { cause: signal.reason });
    try {
      return await fn();
    } catch (error) {
      if (isCrucibleError(error)) throw error;
      if (signal?.aborted) throw new CrucibleError("aborted", `${what} was cancelled`, { cause: signal.reason });
      throw storageError(`${what} failed`, error);
    }
  }

  #emit(event: ChangeEvent): void {
    if (event.tools.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the write it reports has committed.
      }
    }
  }

  on(_event: "changed", listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async put(spec: ToolSpec, verification: VerificationRecord, options: { signal?: AbortSignal } = {}): Promise<PutResult> {
    const [result] = await this.putMany([{ spec, verification }], options);
    return result!;
  }

  async putMany(entries: readonly { spec: ToolSpec; verification: VerificationRecord }[], options: { signal?: AbortSignal } = {}): Promise<PutResult[]> {
    const checked = entries.map((e) => ({ spec: parseToolSpec(e.spec), verification: parseVerificationRecord(e.verification) }));
    const results = await this.#op("storing tools", options.signal, () =>
      this.#db.transaction().execute(async (trx) => {
        const out: { hash: string; created: boolean }[] = [];
        for (const e of checked) out.push(await this.#insert(trx, e.spec, [e.verification], this.#now().toISOString()));
        return out;
      }),
    );
    const tools = await this.#byHashes(results.map((r) => r.hash));
    const created = results.filter((r) => r.created).map((r) => tools.get(r.hash)!);
    this.#emit({ kind: "added", tools: created.map(({ name, version, hash }) => ({ name, version, hash })) });
    return results.map((r) => ({ tool: tools.get(r.hash)!, created: r.created }));
  }

  /** Writes one tool, its records, state and search entry; nothing when its hash is stored. */
  async #insert(trx: Transaction<Database>, spec: ToolSpec, records: readonly VerificationRecord[], createdAt: string): Promise<{ hash: string; created: boolean }> {
    const hash = toolHash(spec);
    const sig = signatureOf(spec.inputSchema, spec.outputSchema);
    const row = await trx
      .insertInto("tools")
      .values({
        hash,
        name: spec.name,
        version: spec.version,
        language: spec.language,
        entry_point: spec.entryPoint,
        description: spec.description,
        spec: JSON.stringify(spec),
        sig_params: sig.params,
        sig_returns: sig.returns,
        sig_params_loose: sig.paramsLoose,
        sig_returns_loose: sig.returnsLoose,
        created_at: createdAt,
      })
      .onConflict((oc) => oc.doNothing())
      .returning("id")
      .executeTakeFirst();
    if (row === undefined) {
      const other = await trx.selectFrom("tools").select(["hash"]).where((eb) => eb.or([eb("hash", "=", hash), eb.and([eb("name", "=", spec.name), eb("version", "=", spec.version)])])).execute();
      if (other.some((o) => o.hash === hash)) return { hash, created: false };
      throw new CrucibleError(
        "conflict",
        `${spec.name}@${spec.version} is already stored with another content hash (${other[0]?.hash.slice(0, 12) ?? "?"}…); tools are immutable: give the changed tool a new version`,
        { details: { name: spec.name, version: spec.version, storedHash: other[0]?.hash, hash } },
      );
    }
    await this.#hooks.insideAdmission?.();
    let last: { id: number; status: string } | undefined;
    for (const record of records) {
      const v = await trx
        .insertInto("verifications")
        .values({ tool_id: row.id, status: record.status, checked_at: record.checkedAt, record: JSON.stringify(record) })
        .returning("id")
        .executeTakeFirstOrThrow();
      last = { id: v.id, status: record.status };
    }
    if (last === undefined) throw new CrucibleError("invalid_argument", `${spec.name}@${spec.version} has no verification record; a tool is stored with the gate's verdict`);
    await trx.insertInto("tool_state").values({ tool_id: row.id, status: last.status, verification_id: last.id, latest: 0, calls: 0, failures: 0, total_ms: 0, last_used_at: null }).execute();
    await this.#adapter.index(trx, row.id, searchDocument(spec));
    await refreshLatest(trx, spec.name);
    return { hash, created: true };
  }

  async #byHashes(hashes: readonly string[]): Promise<Map<string, Tool>> {
    const out = new Map<string, Tool>();
    const unique = [...new Set(hashes)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.#fullTools()
        .where("t.hash", "in", unique.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.hash, toTool(r));
    }
    return out;
  }

  #fullTools() {
    return toolsWithState(this.#db).innerJoin("verifications as v", "v.id", "s.verification_id").select(["t.hash", "t.spec", "t.created_at", "s.status", "v.record"]);
  }

  async get(ref: ToolRef | string, options: GetOptions = {}): Promise<Tool | null> {
    const parsed = typeof ref === "string" ? parseToolRef(ref) : ref;
    return this.#op("reading a tool", options.signal, async () => {
      let r = parsed;
      if (r.kind === "hash") {
        const rows = await this.#fullTools().where(hashPrefix(r.hash)).limit(2).execute();
        if (rows.length > 1) throw new CrucibleError("invalid_argument", `the hash prefix ${r.hash} matches more than one tool; give more digits`);
        if (rows[0] !== undefined) return toTool(rows[0]);
        const asName = refAsName(r);
        if (asName === null) return null;
        r = asName;
      }
      if (r.kind !== "name") return null;
      let q = this.#fullTools().where("t.name", "=", r.name);
      q = r.version === "latest" ? q.where("s.latest", "=", 1) : q.where("t.version", "=", r.version);
      const row = await q.executeTakeFirst();
      if (row === undefined) return null;
      if (r.version === "latest" && row.status !== "verified" && options.allowFlagged !== true) return null;
      return toTool(row);
    });
  }

  async versions(name: string, options: { signal?: AbortSignal } = {}): Promise<ToolSummary[]> {
    return this.#op("listing versions", options.signal, async () => {
      const rows = await toolsWithState(this.#db).select(SUMMARY_COLUMNS).where("t.name", "=", name).execute();
      return rows.map(toSummary).sort(byVersionDesc);
    });
  }

  async list(options: ListOptions = {}): Promise<ToolSummary[]> {
    const limit = options.limit ?? 1000;
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new CrucibleError("invalid_argument", "list takes a positive whole limit and a non-negative whole offset");
    }
    return this.#op("listing tools", options.signal, async () => {
      let q = toolsWithState(this.#db).select(SUMMARY_COLUMNS);
      if (options.name !== undefined) q = q.where("t.name", "=", options.name);
      if (options.status !== undefined && options.status !== "any") q = q.where("s.status", "=", options.status);
      if (options.language !== undefined) q = q.where("t.language", "=", options.language);
      if (!(options.allVersions ?? options.name !== undefined)) q = q.where("s.latest", "=", 1);
      const rows = await q.orderBy("t.name").orderBy("t.id", "desc").limit(limit).offset(offset).execute();
      return rows.map(toSummary);
    });
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    return this.#op("searching tools", options.signal, () => searchTools(this.#db, this.#adapter, query, options));
  }

  async addVerification(hash: string, record: VerificationRecord, options: { signal?: AbortSignal } = {}): Promise<Tool> {
    const checked = parseVerificationRecord(record);
    const name = await this.#op("recording a verification", options.signal, () =>
      this.#db.transaction().execute(async (trx) => {
        const tool = await trx.selectFrom("tools").select(["id", "name"]).where("hash", "=", hash).executeTakeFirst();
        if (tool === undefined) throw notFound(hash);
        const v = await trx.insertInto("verifications").values({ tool_id: tool.id, status: checked.status, checked_at: checked.checkedAt, record: JSON.stringify(checked) }).returning("id").executeTakeFirstOrThrow();
        await trx.updateTable("tool_state").set({ status: checked.status, verification_id: v.id }).where("tool_id", "=", tool.id).execute();
        await refreshLatest(trx, tool.name);
        return tool.name;
      }),
    );
    const tool = (await this.#byHashes([hash])).get(hash)!;
    this.#emit({ kind: "verified", tools: [{ name, version: tool.version, hash }] });
    return tool;
  }

  async verifications(hash: string, options: { signal?: AbortSignal } = {}): Promise<VerificationRecord[]> {
    return this.#op("reading verifications", options.signal, async () => {
      const rows = await this.#db.selectFrom("verifications as v").innerJoin("tools as t", "t.id", "v.tool_id").select(["v.record"]).where("t.hash", "=", hash).orderBy("v.id").execute();
      return rows.map((r) => JSON.parse(r.record) as VerificationRecord);
    });
  }

  async remove(ref: ToolRef | string, options: { signal?: AbortSignal } = {}): Promise<ToolSummary[]> {
    // A bare name (no "@") removes every version; name@latest only the latest one.
    const every = typeof ref === "string" && !ref.includes("@");
    const parsed = typeof ref === "string" ? parseToolRef(ref) : ref;
    const removed = await this.#op("removing tools", options.signal, () =>
      this.#db.transaction().execute(async (trx) => {
        const select = (r: ToolRef) => {
          let q = toolsWithState(trx).select(SUMMARY_COLUMNS);
          if (r.kind === "hash") return q.where(hashPrefix(r.hash));
          q = q.where("t.name", "=", r.name);
          return every ? q : r.version === "latest" ? q.where("s.latest", "=", 1) : q.where("t.version", "=", r.version);
        };
        let rows = await select(parsed).execute();
        if (parsed.kind === "hash" && rows.length > 1) throw new CrucibleError("invalid_argument", `the hash prefix ${parsed.hash} matches more than one tool; give more digits`);
        const asName = refAsName(parsed);
        if (rows.length === 0 && asName !== null) rows = await select(asName).execute();
        const ids = rows.map((x) => x.id);
        if (ids.length === 0) return [];
        await this.#adapter.unindex(trx, ids);
        await trx.deleteFrom("tool_tasks").where("tool_id", "in", ids).execute();
        await trx.deleteFrom("tool_state").where("tool_id", "in", ids).execute();
        await trx.deleteFrom("verifications").where("tool_id", "in", ids).execute();
        await trx.deleteFrom("tools").where("id", "in", ids).execute();
        for (const name of new Set(rows.map((x) => x.name))) await refreshLatest(trx, name);
        return rows.map(toSummary);
      }),
    );
    this.#emit({ kind: "removed", tools: removed.map(({ name, version, hash }) => ({ name, version, hash })) });
    return removed;
  }

  async recordUsage(hash: string, event: UsageEvent, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (typeof event.ok !== "boolean" || !Number.isFinite(event.ms) || event.ms < 0 || (event.task !== undefined && typeof event.task !== "string")) {
      throw new CrucibleError("invalid_argument", "a usage event needs ok (boolean), ms (a non-negative number) and optionally task (a string)");
    }
    const task = event.task?.trim().slice(0, MAX_TASK_CHARS);
    await this.#op("recording usage", options.signal, () =>
      this.#db.transaction().execute(async (trx) => {
        const tool = await trx.selectFrom("tools").select(["id", "spec"]).where("hash", "=", hash).executeTakeFirst();
        if (tool === undefined) throw notFound(hash);
        await trx
          .updateTable("tool_state")
          .set((eb) => ({
            calls: eb("calls", "+", 1),
            failures: eb("failures", "+", event.ok ? 0 : 1),
            total_ms: eb("total_ms", "+", event.ms),
            last_used_at: this.#now().toISOString(),
          }))
          .where("tool_id", "=", tool.id)
          .execute();
        if (task === undefined || task === "") return;
        const spec = JSON.parse(tool.spec) as ToolSpec;
        const tasks = (await trx.selectFrom("tool_tasks").select("task").where("tool_id", "=", tool.id).execute()).map((t) => t.task);
        if (tasks.includes(task) || task === spec.provenance.task || tasks.length >= MAX_TASKS_PER_TOOL) return;
        await trx.insertInto("tool_tasks").values({ tool_id: tool.id, task }).execute();
        await this.#adapter.index(trx, tool.id, searchDocument(spec, [...tasks, task]));
      }),
    );
  }

  async usage(hash: string, options: { signal?: AbortSignal } = {}): Promise<UsageStats | null> {
    return this.#op("reading usage", options.signal, async () => {
      const row = await toolsWithState(this.#db).select(["s.calls", "s.failures", "s.total_ms", "s.last_used_at"]).where("t.hash", "=", hash).executeTakeFirst();
      return row === undefined ? null : { calls: Number(row.calls), failures: Number(row.failures), totalMs: Number(row.total_ms), lastUsedAt: row.last_used_at };
    });
  }

  async *exportTools(options: { signal?: AbortSignal } = {}): AsyncIterable<BundleEntry> {
    let after = 0;
    for (;;) {
      const page = await this.#op("exporting tools", options.signal, async () => {
        const tools = await this.#db.selectFrom("tools").select(["id", "hash", "spec", "created_at"]).where("id", ">", after).orderBy("id").limit(200).execute();
        if (tools.length === 0) return [];
        const records = await this.#db.selectFrom("verifications").select(["tool_id", "record"]).where("tool_id", "in", tools.map((t) => t.id)).orderBy("id").execute();
        return tools.map((t) => ({
          id: t.id,
          entry: {
            format: BUNDLE_FORMAT,
            hash: t.hash,
            spec: JSON.parse(t.spec) as ToolSpec,
            createdAt: t.created_at,
            verifications: records.filter((r) => r.tool_id === t.id).map((r) => JSON.parse(r.record) as VerificationRecord),
          } satisfies BundleEntry,
        }));
      });
      if (page.length === 0) return;
      for (const p of page) yield p.entry;
      after = page.at(-1)!.id;
    }
  }

  async importTools(entries: readonly BundleEntry[], options: { signal?: AbortSignal } = {}): Promise<ImportReport> {
    const checked = validateBundle(entries);
    const results = await this.#op("importing tools", options.signal, () =>
      this.#db.transaction().execute(async (trx) => {
        const out: { spec: ToolSpec; hash: string; created: boolean }[] = [];
        for (const e of checked) out.push({ spec: e.spec, ...(await this.#insert(trx, e.spec, e.verifications, e.createdAt)) });
        return out;
      }),
    );
    const added = results.filter((r) => r.created);
    this.#emit({ kind: "imported", tools: added.map((r) => ({ name: r.spec.name, version: r.spec.version, hash: r.hash })) });
    return { added: added.length, skipped: results.length - added.length };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#db.destroy();
  }
}

function notFound(hash: string): CrucibleError {
  return new CrucibleError("not_found", `no stored tool has the hash ${hash}; \`crucible tools list\` shows what is stored`, { details: { hash } });
}
