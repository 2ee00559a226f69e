// SQLite (better-sqlite3) for the store: one file in WAL mode, writers wait for each other
// (busy_timeout) and take the write lock when their transaction begins (BEGIN IMMEDIATE), so a
// transaction never fails half-way on a lock upgrade. Full-text search is an FTS5 table ranked by bm25().
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely, sql, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type RawBuilder, type SqliteDialectConfig } from "kysely";
import { FIELD_WEIGHTS, type ParsedQuery, type SearchDocument } from "../search-text.ts";
import type { MigrationResultSet } from "kysely/migration";
import type { DialectAdapter, TextHit } from "./dialect.ts";
import type { Database } from "./schema.ts";

/** Every Kysely transaction on SQLite begins IMMEDIATE: the write lock is taken (waiting up to busy_timeout) up front. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

export interface SqliteOptions {
  /** How long a writer waits for another process's write lock before failing (default 30 s). */
  readonly busyTimeoutMs?: number;
}

/** Opens (creating when missing) a SQLite database file, or `:memory:`. */
export function openSqlite(path: string, options: SqliteOptions = {}): { db: Kysely<Database>; adapter: DialectAdapter } {
  const raw = new BetterSqlite3(path, { timeout: options.busyTimeoutMs ?? 30_000 });
  try {
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = NORMAL");
    raw.pragma("foreign_keys = ON");
  } catch (error) {
    raw.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: raw }) });
  return { db, adapter: sqliteAdapter(raw) };
}

/** FTS5 query: each word quoted (so no word is an operator), AND'ed or OR'ed; the last may be a prefix. */
export function ftsExpression(query: ParsedQuery, mode: "all" | "any"): string {
  return query.words.map((w, i) => `"${w}"${query.lastIsPrefix && i === query.words.length - 1 ? "*" : ""}`).join(mode === "all" ? " AND " : " OR ");
}

function sqliteAdapter(raw: BetterSqlite3.Database): DialectAdapter {
  const w = FIELD_WEIGHTS;
  const bm25 = sql.raw(`bm25(tool_fts, ${w.name}, ${w.description}, ${w.docstring}, ${w.tasks})`);
  return {
    dialect: "sqlite",
    idType: "integer",
    async createSearchIndex(db) {
      await sql`create virtual table tool_fts using fts5(name, description, docstring, tasks, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(db);
    },
    async index(db, toolId: number, doc: SearchDocument) {
      await sql`delete from tool_fts where rowid = ${toolId}`.execute(db);
      await sql`insert into tool_fts (rowid, name, description, docstring, tasks) values (${toolId}, ${doc.name}, ${doc.description}, ${doc.docstring}, ${doc.tasks})`.execute(db);
    },
    async unindex(db, toolIds) {
      if (toolIds.length === 0) return;
      await sql`delete from tool_fts where rowid in (${sql.join(toolIds)})`.execute(db);
    },
    async textSearch(db, query: ParsedQuery, mode, where: RawBuilder<unknown>, limit: number): Promise<TextHit[]> {
      const match = ftsExpression(query, mode);
      // Joining every match to its row before ranking doubles the cost of a broad query; rank the
      // index alone, keep a margin for rows the filters drop, and go the long way only when the
      // margin was not enough.
      const margin = limit * 4 + 20;
      const candidates = (
        await sql<{ id: number; rank: number }>`select rowid as id, ${bm25} as rank from tool_fts where tool_fts match ${match} order by rank limit ${margin}`.execute(db)
      ).rows;
      if (candidates.length === 0) return [];
      const kept = new Set(
        (await sql<{ id: number }>`select t.id from tools t join tool_state s on s.tool_id = t.id where t.id in (${sql.join(candidates.map((c) => c.id))}) and ${where}`.execute(db)).rows.map((r) => r.id),
      );
      const quick = candidates.filter((c) => kept.has(c.id)).slice(0, limit);
      // Complete when the page is full, or when every match was a candidate.
      const rows =
        quick.length >= limit || candidates.length < margin
          ? quick
          : (
              await sql<{ id: number; rank: number }>`
                select tool_fts.rowid as id, ${bm25} as rank
                from tool_fts join tools t on t.id = tool_fts.rowid join tool_state s on s.tool_id = t.id
                where tool_fts match ${match} and ${where}
                order by rank limit ${limit}`.execute(db)
            ).rows;
      return rows.map((r) => ({ id: r.id, score: -r.rank }));
    },
    async serializeMigrations(_db, migrate): Promise<MigrationResultSet> {
      // Kysely runs SQLite migrations outside a transaction and without a lock; holding the write
      // lock around them makes a migration atomic and lets concurrent openers wait their turn.
      raw.exec("begin immediate");
      let result: MigrationResultSet;
      try {
        result = await migrate();
      } catch (error) {
        raw.exec("rollback");
        throw error;
      }
      if (result.error !== undefined) raw.exec("rollback");
      else raw.exec("commit");
      return result;
    },
  };
}
