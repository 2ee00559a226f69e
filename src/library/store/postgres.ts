// PostgreSQL (node-postgres pool) for a shared store: the same tables and queries; full-text search
// is a tsvector column (weights A–D for name, description, docstring, tasks) ranked by ts_rank.
import pg from "pg";
import { Kysely, PostgresDialect, sql, type RawBuilder } from "kysely";
import type { MigrationResultSet } from "kysely/migration";
import { FIELD_WEIGHTS, type ParsedQuery, type SearchDocument } from "../search-text.ts";
import type { DialectAdapter, TextHit } from "./dialect.ts";
import type { Database } from "./schema.ts";

/** An arbitrary constant: the advisory lock that serializes migrations across processes. */
const MIGRATION_LOCK = 0x63727563; // "cruc"

export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
}

/** Connects to a PostgreSQL server by URL (`postgres://user@host:port/db`, `?host=/socket/dir` works). */
export function openPostgres(url: string, options: PostgresOptions = {}): { db: Kysely<Database>; adapter: DialectAdapter } {
  const pool = new pg.Pool({ connectionString: url, max: Math.max(2, options.maxConnections ?? 10) });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, adapter: postgresAdapter() };
}

/** tsquery text: words (letters and digits only, so nothing is an operator) AND'ed or OR'ed; the last may be a prefix. */
export function tsqueryExpression(query: ParsedQuery, mode: "all" | "any"): string {
  return query.words.map((w, i) => `${w}${query.lastIsPrefix && i === query.words.length - 1 ? ":*" : ""}`).join(mode === "all" ? " & " : " | ");
}

function postgresAdapter(): DialectAdapter {
  const w = FIELD_WEIGHTS;
  const top = Math.max(w.name, w.description, w.docstring, w.tasks);
  // ts_rank's weights are listed {D, C, B, A}.
  const weights = sql.lit(`{${[w.tasks, w.docstring, w.description, w.name].map((x) => x / top).join(",")}}`);
  return {
    dialect: "postgres",
    idType: "serial",
    async createSearchIndex(db) {
      await sql`create table tool_search (tool_id integer primary key references tools(id) on delete cascade, document tsvector not null)`.execute(db);
      await sql`create index tool_search_document on tool_search using gin (document)`.execute(db);
    },
    async index(db, toolId: number, doc: SearchDocument) {
      const vector = sql`setweight(to_tsvector('english', ${doc.name}), 'A') || setweight(to_tsvector('english', ${doc.description}), 'B') || setweight(to_tsvector('english', ${doc.docstring}), 'C') || setweight(to_tsvector('english', ${doc.tasks}), 'D')`;
      await sql`insert into tool_search (tool_id, document) values (${toolId}, ${vector}) on conflict (tool_id) do update set document = excluded.document`.execute(db);
    },
    async unindex(db, toolIds) {
      if (toolIds.length === 0) return;
      await sql`delete from tool_search where tool_id in (${sql.join(toolIds)})`.execute(db);
    },
    async textSearch(db, query: ParsedQuery, mode, where: RawBuilder<unknown>, limit: number): Promise<TextHit[]> {
      const { rows } = await sql<{ id: number; score: number }>`
        select t.id, ts_rank(${weights}::float4[], f.document, q.query) as score
        from tool_search f join tools t on t.id = f.tool_id join tool_state s on s.tool_id = t.id,
             to_tsquery('english', ${tsqueryExpression(query, mode)}) as q(query)
        where f.document @@ q.query and ${where}
        order by score desc, t.id limit ${limit}`.execute(db);
      return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
    },
    async serializeMigrations(db, migrate): Promise<MigrationResultSet> {
      // Kysely locks the migrations themselves, but not the creation of its own bookkeeping tables:
      // a session-level advisory lock makes concurrent openers wait their turn for all of it.
      return db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
        try {
          return await migrate();
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
        }
      });
    },
  };
}
