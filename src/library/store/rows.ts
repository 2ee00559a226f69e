// Reading rows back into tools and summaries, and the small shared queries of the store
// (select lists, `latest` bookkeeping). Used by the store, its search and its bundle import.
import { sql, type Kysely } from "kysely";
import { formatSignature } from "../search-signature.ts";
import { compareVersions, type Tool, type ToolLanguage, type ToolSpec, type ToolStatus, type VerificationRecord } from "../tool.ts";
import type { Database } from "./schema.ts";
import type { ToolSummary } from "./store.ts";

/** tools `t` joined with tool_state `s`. */
export function toolsWithState(db: Kysely<Database>) {
  return db.selectFrom("tools as t").innerJoin("tool_state as s", "s.tool_id", "t.id");
}

export const SUMMARY_COLUMNS = [
  "t.id",
  "t.hash",
  "t.name",
  "t.version",
  "t.language",
  "t.entry_point",
  "t.description",
  "t.sig_params",
  "t.sig_returns",
  "t.created_at",
  "s.status",
] as const;

export interface SummaryRow {
  id: number;
  hash: string;
  name: string;
  version: string;
  language: string;
  entry_point: string;
  description: string;
  sig_params: string;
  sig_returns: string;
  created_at: string;
  status: string;
}

export function toSummary(r: SummaryRow): ToolSummary {
  return {
    hash: r.hash,
    name: r.name,
    version: r.version,
    language: r.language as ToolLanguage,
    entryPoint: r.entry_point,
    description: r.description,
    status: r.status as ToolStatus,
    signature: formatSignature(r.sig_params, r.sig_returns),
    createdAt: r.created_at,
  };
}

/** A full tool from its row: the stored spec JSON (key order kept), latest record and state. */
export function toTool(r: { hash: string; spec: string; record: string; status: string; created_at: string }): Tool {
  const spec = JSON.parse(r.spec) as ToolSpec;
  return { ...spec, hash: r.hash, verification: JSON.parse(r.record) as VerificationRecord, status: r.status as ToolStatus, createdAt: r.created_at };
}

/**
 * Recomputes which version of `name` is its latest: the highest verified one, else the highest.
 * Runs inside the caller's transaction after any write that can change it.
 */
export async function refreshLatest(db: Kysely<Database>, name: string): Promise<void> {
  const rows = await toolsWithState(db).select(["t.id", "t.version", "s.status", "s.latest"]).where("t.name", "=", name).execute();
  if (rows.length === 0) return;
  const pool = rows.some((r) => r.status === "verified") ? rows.filter((r) => r.status === "verified") : rows;
  const pick = pool.reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a));
  const stale = rows.filter((r) => r.latest !== 0 && r.id !== pick.id).map((r) => r.id);
  if (stale.length > 0) await db.updateTable("tool_state").set({ latest: 0 }).where("tool_id", "in", stale).execute();
  if (pick.latest === 0) await db.updateTable("tool_state").set({ latest: 1 }).where("tool_id", "=", pick.id).execute();
}

/** Hash prefix match that can use the unique index on `hash` (a range, not LIKE). */
export function hashPrefix(prefix: string) {
  return sql<boolean>`t.hash >= ${prefix} and t.hash < ${`${prefix}g`}`;
}

/** Highest version first; ties (impossible for one name) by hash. */
export function byVersionDesc(a: { version: string; hash: string }, b: { version: string; hash: string }): number {
  return compareVersions(b.version, a.version) || (a.hash < b.hash ? -1 : 1);
}
