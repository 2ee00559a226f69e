// The storage interface of the tool library. One implementation (Kysely) serves both SQLite and
// PostgreSQL; a contract test suite runs against each. No business rules about admission live
// here: the store keeps what the gate decided, atomically.
import type { Tool, ToolLanguage, ToolRef, ToolSpec, ToolStatus, UsageStats, VerificationRecord } from "../tool.ts";

/** What lists and search results carry: enough to choose a tool, without its source. */
export interface ToolSummary {
  readonly hash: string;
  readonly name: string;
  readonly version: string;
  readonly language: ToolLanguage;
  readonly entryPoint: string;
  readonly description: string;
  readonly status: ToolStatus;
  /** `(list[int], int) -> int`, from the input/output schemas. */
  readonly signature: string;
  readonly createdAt: string;
}

export interface SearchHit {
  readonly tool: ToolSummary;
  /** Higher is better; comparable within one result list only. */
  readonly score: number;
  /** What matched: the words, the exact signature, or the signature only loosely (int ~ float, list[int] ~ list). */
  readonly matched: { readonly text: boolean; readonly signature: "exact" | "loose" | null };
}

export interface SearchOptions {
  /** At most this many hits (default 10, at most 200). */
  readonly limit?: number;
  /** Which tools to search (default "verified"). */
  readonly status?: ToolStatus | "any";
  readonly language?: ToolLanguage;
  /** Search every version, not only each name's latest (default false). */
  readonly allVersions?: boolean;
  readonly signal?: AbortSignal;
}

export interface ListOptions {
  /** Only this name (all its versions unless `allVersions` is false). */
  readonly name?: string;
  readonly status?: ToolStatus | "any";
  readonly language?: ToolLanguage;
  /** Every version, not only each name's latest (default: false, or true when `name` is given). */
  readonly allVersions?: boolean;
  readonly limit?: number;
  readonly offset?: number;
  readonly signal?: AbortSignal;
}

export interface GetOptions {
  /** With a name ref: when no version is verified, fall back to the highest flagged one. */
  readonly allowFlagged?: boolean;
  readonly signal?: AbortSignal;
}

export interface PutResult {
  readonly tool: Tool;
  /** False when a tool with the same hash was already stored (nothing was written). */
  readonly created: boolean;
}

/** One use of a tool, for its usage statistics. */
export interface UsageEvent {
  readonly ok: boolean;
  readonly ms: number;
  /** The task the tool was used for; it joins the tool's search document. */
  readonly task?: string;
}

/** One line of an export bundle (JSON lines). */
export interface BundleEntry {
  readonly format: typeof BUNDLE_FORMAT;
  readonly hash: string;
  readonly spec: ToolSpec;
  readonly createdAt: string;
  /** Every verification record, oldest first. */
  readonly verifications: readonly VerificationRecord[];
}
export const BUNDLE_FORMAT = "crucible.tool/1";

export interface ImportReport {
  readonly added: number;
  /** Tools whose hash was already stored. */
  readonly skipped: number;
}

/** Emitted after a write commits (in this process; other processes' writes are not seen). */
export interface ChangeEvent {
  readonly kind: "added" | "verified" | "removed" | "imported";
  readonly tools: readonly { readonly name: string; readonly version: string; readonly hash: string }[];
}

export type StoreDialect = "sqlite" | "postgres";

/**
 * Durable, concurrent-safe storage of tools. Every write is one transaction: a crash at any point
 * leaves either the whole tool (row, verification, search entry, state) or nothing.
 */
export interface ToolStore {
  readonly dialect: StoreDialect;

  /**
   * Stores a tool with its first verification record. Idempotent by hash.
   * @throws CrucibleError `conflict` when name@version exists with another hash (a changed tool
   *   needs a new version); `invalid_argument` for a bad spec or record.
   */
  put(spec: ToolSpec, verification: VerificationRecord, options?: { signal?: AbortSignal }): Promise<PutResult>;

  /** Like `put` for many tools in one transaction (all or none). */
  putMany(entries: readonly { spec: ToolSpec; verification: VerificationRecord }[], options?: { signal?: AbortSignal }): Promise<PutResult[]>;

  /**
   * Resolves a reference. A name alone (or `@latest`) is the highest verified version. A hash
   * prefix must be unambiguous. Resolves to `null` when nothing matches.
   * @throws CrucibleError `invalid_argument` for an ambiguous hash prefix.
   */
  get(ref: ToolRef | string, options?: GetOptions): Promise<Tool | null>;

  /** Every version of a name, highest first (empty when unknown). */
  versions(name: string, options?: { signal?: AbortSignal }): Promise<ToolSummary[]>;

  list(options?: ListOptions): Promise<ToolSummary[]>;

  /**
   * Full-text (BM25 / ts_rank) over name, description, docstring and solved tasks, plus signature
   * matching when the query holds one (`sort (list[int]) -> list[int]`).
   * @throws CrucibleError `invalid_argument` for an unreadable signature or an over-long query.
   */
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>;

  /**
   * Appends a verification record; the tool's status becomes the record's.
   * @throws CrucibleError `not_found` when no stored tool has that hash.
   */
  addVerification(hash: string, record: VerificationRecord, options?: { signal?: AbortSignal }): Promise<Tool>;

  /** Every verification record of a tool, oldest first (empty when unknown). */
  verifications(hash: string, options?: { signal?: AbortSignal }): Promise<VerificationRecord[]>;

  /**
   * Removes tools (rows, records, usage, search entries). A name ref without a version removes
   * every version. Resolves to what was removed (empty when nothing matched).
   */
  remove(ref: ToolRef | string, options?: { signal?: AbortSignal }): Promise<ToolSummary[]>;

  /** Counts one use. @throws CrucibleError `not_found` for an unknown hash. */
  recordUsage(hash: string, event: UsageEvent, options?: { signal?: AbortSignal }): Promise<void>;

  /** Usage of a tool; zeroes for a stored tool never used, `null` for an unknown hash. */
  usage(hash: string, options?: { signal?: AbortSignal }): Promise<UsageStats | null>;

  /** Every tool with its full verification history, oldest first. */
  exportTools(options?: { signal?: AbortSignal }): AsyncIterable<BundleEntry>;

  /**
   * Imports bundle entries in one transaction after checking every hash (recomputed from the spec).
   * @throws CrucibleError `invalid_argument` on a bad entry or hash mismatch, `conflict` when an
   *   entry's name@version is stored with another hash; nothing is written then.
   */
  importTools(entries: readonly BundleEntry[], options?: { signal?: AbortSignal }): Promise<ImportReport>;

  /** Subscribes to committed changes; returns the unsubscribe function. */
  on(event: "changed", listener: (event: ChangeEvent) => void): () => void;

  /** Closes the connection(s). Later calls throw `closed`. */
  close(): Promise<void>;
}
