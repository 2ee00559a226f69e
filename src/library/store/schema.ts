// The tables of the tool library as Kysely sees them. Shared by SQLite and PostgreSQL: JSON is kept
// as text (so a spec reads back byte for byte, key order included), times as ISO 8601 text.
// The full-text index is dialect-specific and lives outside these types (see dialect.ts).
import type { Generated } from "kysely";

/** One immutable row per tool version; `spec` is the spec's JSON, `hash` its canonical hash. */
export interface ToolsTable {
  id: Generated<number>;
  hash: string;
  name: string;
  version: string;
  language: string;
  entry_point: string;
  description: string;
  spec: string;
  /** Canonical signature parts (search-signature.ts), indexed for signature matching. */
  sig_params: string;
  sig_returns: string;
  sig_params_loose: string;
  sig_returns_loose: string;
  created_at: string;
}

/** Append-only: every verification of a tool. */
export interface VerificationsTable {
  id: Generated<number>;
  tool_id: number;
  status: string;
  checked_at: string;
  record: string;
}

/**
 * The mutable state beside an immutable tool: status (that of its latest record), whether it is
 * its name's latest version (highest verified, else highest), and usage counters.
 */
export interface ToolStateTable {
  tool_id: number;
  status: string;
  verification_id: number;
  latest: number;
  calls: number;
  failures: number;
  total_ms: number;
  last_used_at: string | null;
}

/** Tasks a tool solved (its provenance task and tasks recorded with uses): part of its search document. */
export interface ToolTasksTable {
  tool_id: number;
  task: string;
}

export interface Database {
  tools: ToolsTable;
  verifications: VerificationsTable;
  tool_state: ToolStateTable;
  tool_tasks: ToolTasksTable;
}
