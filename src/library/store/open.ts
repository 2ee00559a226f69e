// Opening a tool store by URL: a PostgreSQL URL, or a SQLite file path (optionally `sqlite:`-prefixed).
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CrucibleError } from "../../errors.ts";
import { createKyselyStore, type StoreHooks } from "./kysely-store.ts";
import { openPostgres } from "./postgres.ts";
import { openSqlite } from "./sqlite.ts";
import type { ToolStore } from "./store.ts";

export interface OpenStoreOptions {
  /** SQLite: how long a writer waits for another's lock (default 30 s). */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: pool size (default 10). */
  readonly maxConnections?: number;
  /** Test hooks (crash-safety tests); never in production. */
  readonly hooks?: StoreHooks;
  readonly now?: () => Date;
}

/** True for the URLs that mean PostgreSQL. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//iu.test(url);
}

/**
 * Opens (creating and migrating when needed) the tool store at `url`:
 * `postgres://user@host:5432/db` (also `postgresql://`), `sqlite:/path/library.db`, a bare file
 * path (its directory is created), or `:memory:` (SQLite, gone on close).
 * @throws CrucibleError `invalid_argument` for an empty URL, `storage` when the database cannot be
 *   opened or migrated (the message says why: a missing server, a file that is not a database…).
 */
export async function openToolStore(url: string, options: OpenStoreOptions = {}): Promise<ToolStore> {
  const kyselyOptions = { ...(options.hooks === undefined ? {} : { hooks: options.hooks }), ...(options.now === undefined ? {} : { now: options.now }) };
  if (isPostgresUrl(url)) {
    const { db, adapter } = openPostgres(url, options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections });
    return createKyselyStore(db, adapter, kyselyOptions);
  }
  const path = url.replace(/^sqlite:(\/\/)?/iu, "");
  if (path.trim() === "") throw new CrucibleError("invalid_argument", "the tool library location is empty; give a file path, sqlite:<path> or a postgres:// URL");
  let opened;
  try {
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    opened = openSqlite(path, options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new CrucibleError("storage", `cannot open the tool library ${path}: ${message}`, { cause, details: { path } });
  }
  return createKyselyStore(opened.db, opened.adapter, kyselyOptions);
}
