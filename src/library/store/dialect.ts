// The thin, dialect-specific part of the store: how to open a connection, the auto-increment key
// type, the full-text index (SQLite FTS5 + bm25, PostgreSQL tsvector + ts_rank) and how migrations
// are kept from racing. No business rules here: everything else is one Kysely query layer.
import type { Kysely, RawBuilder } from "kysely";
import type { MigrationResultSet } from "kysely/migration";
import type { ParsedQuery, SearchDocument } from "../search-text.ts";
import type { StoreDialect } from "./store.ts";
import type { Database } from "./schema.ts";

export interface TextHit {
  readonly id: number;
  /** Higher is better. */
  readonly score: number;
}

export interface DialectAdapter {
  readonly dialect: StoreDialect;
  /** Column type of an auto-assigned integer primary key. */
  readonly idType: "integer" | "serial";
  /** Migration step: creates the full-text index. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's migration contract
  createSearchIndex(db: Kysely<any>): Promise<void>;
  /** Writes (or replaces) a tool's search document. Runs inside the caller's transaction. */
  index(db: Kysely<Database>, toolId: number, doc: SearchDocument): Promise<void>;
  /** Drops tools' search documents. */
  unindex(db: Kysely<Database>, toolIds: readonly number[]): Promise<void>;
  /**
   * Ranked full-text matches. `where` is an extra condition over the aliases `t` (tools) and `s`
   * (tool_state). `query.words` is non-empty and holds only letters and digits. `mode` "all" wants
   * every word in a tool's document, "any" at least one.
   */
  textSearch(db: Kysely<Database>, query: ParsedQuery, mode: "all" | "any", where: RawBuilder<unknown>, limit: number): Promise<TextHit[]>;
  /** Runs `migrate` so that processes opening the same database at once do not race. */
  serializeMigrations(db: Kysely<Database>, migrate: () => Promise<MigrationResultSet>): Promise<MigrationResultSet>;
}
