// Schema migrations as code (no files read at runtime), run by Kysely's Migrator. Each migration
// is written once for both dialects; the few dialect-specific statements come from the adapter.
import { sql, type Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";
import type { DialectAdapter } from "./dialect.ts";

/** Builds the migrations for one dialect. Names sort in the order they must run. */
export function migrations(adapter: DialectAdapter): Record<string, Migration> {
  return {
    "0001_tools": {
      // The argument is Kysely<any> by Kysely's contract: migrations must not depend on today's types.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable("tools")
          .addColumn("id", adapter.idType, (c) => c.primaryKey())
          .addColumn("hash", "text", (c) => c.notNull().unique())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("version", "text", (c) => c.notNull())
          .addColumn("language", "text", (c) => c.notNull())
          .addColumn("entry_point", "text", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("spec", "text", (c) => c.notNull())
          .addColumn("sig_params", "text", (c) => c.notNull())
          .addColumn("sig_returns", "text", (c) => c.notNull())
          .addColumn("sig_params_loose", "text", (c) => c.notNull())
          .addColumn("sig_returns_loose", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addUniqueConstraint("tools_name_version", ["name", "version"])
          .execute();
        // Signature search reads exact matches, then loose ones, each in name order: these indexes
        // serve both without sorting, and stop after `limit` rows.
        await db.schema.createIndex("tools_sig_exact").on("tools").columns(["sig_params", "sig_returns", "name"]).execute();
        await db.schema.createIndex("tools_sig_loose").on("tools").columns(["sig_params_loose", "sig_returns_loose", "name"]).execute();
        await db.schema.createIndex("tools_sig_returns").on("tools").columns(["sig_returns_loose", "name"]).execute();

        await db.schema
          .createTable("verifications")
          .addColumn("id", adapter.idType, (c) => c.primaryKey())
          .addColumn("tool_id", "integer", (c) => c.notNull().references("tools.id").onDelete("cascade"))
          .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('verified', 'flagged')`))
          .addColumn("checked_at", "text", (c) => c.notNull())
          .addColumn("record", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("verifications_tool").on("verifications").columns(["tool_id", "id"]).execute();

        await db.schema
          .createTable("tool_state")
          .addColumn("tool_id", "integer", (c) => c.primaryKey().references("tools.id").onDelete("cascade"))
          .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('verified', 'flagged')`))
          .addColumn("verification_id", "integer", (c) => c.notNull())
          .addColumn("latest", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("calls", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("total_ms", "double precision", (c) => c.notNull().defaultTo(0))
          .addColumn("last_used_at", "text")
          .execute();

        await db.schema
          .createTable("tool_tasks")
          .addColumn("tool_id", "integer", (c) => c.notNull().references("tools.id").onDelete("cascade"))
          .addColumn("task", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("tool_tasks_pk", ["tool_id", "task"])
          .execute();

        await adapter.createSearchIndex(db);
      },
    },
  };
}

/** Kysely's provider over the code objects above. */
export function migrationProvider(adapter: DialectAdapter): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(adapter)) };
}
