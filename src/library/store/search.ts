// Search over stored tools: words through the dialect's full-text index, signatures through the
// indexed canonical signature columns, both under the same status/language/latest filters.
import { sql, type Kysely, type RawBuilder } from "kysely";
import { CrucibleError } from "../../errors.ts";
import { MAX_QUERY_LENGTH, parseQuery, type ParsedQuery } from "../search-text.ts";
import type { SignatureQuery } from "../search-signature.ts";
import type { DialectAdapter } from "./dialect.ts";
import { SUMMARY_COLUMNS, toolsWithState, toSummary } from "./rows.ts";
import type { Database } from "./schema.ts";
import type { SearchHit, SearchOptions } from "./store.ts";

const MAX_LIMIT = 200;
/** An exact signature match weighs this much more than a loose one in combined ranking. */
const EXACT_BONUS = 1.5;

function readQuery(query: string): ParsedQuery {
  if (typeof query !== "string") throw new CrucibleError("invalid_argument", "a search query must be a string");
  if (query.length > MAX_QUERY_LENGTH) throw new CrucibleError("invalid_argument", `the search query is ${query.length} characters; at most ${MAX_QUERY_LENGTH} are accepted`);
  let parsed: ParsedQuery;
  try {
    parsed = parseQuery(query);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new CrucibleError("invalid_argument", `cannot read the signature in ${JSON.stringify(query)}: ${error.message}; write it like (list[int], int) -> int or (xs: number[]) => number`, { cause: error });
  }
  if (parsed.words.length === 0 && parsed.signature === null) {
    throw new CrucibleError("invalid_argument", "the search query is empty: give words (sort a list) or a signature ((list[int]) -> list[int])");
  }
  return parsed;
}

function filters(options: SearchOptions): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`1 = 1`];
  const status = options.status ?? "verified";
  if (status !== "any") parts.push(sql`s.status = ${status}`);
  if (options.language !== undefined) parts.push(sql`t.language = ${options.language}`);
  if (options.allVersions !== true) parts.push(sql`s.latest = 1`);
  return sql.join(parts, sql` and `);
}

function signatureWhere(sig: SignatureQuery): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`1 = 1`];
  if (sig.paramsLoose !== null) parts.push(sql`t.sig_params_loose = ${sig.paramsLoose}`);
  if (sig.returnsLoose !== null) parts.push(sql`t.sig_returns_loose = ${sig.returnsLoose}`);
  return sql.join(parts, sql` and `);
}

function exactWhere(sig: SignatureQuery): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`1 = 1`];
  if (sig.params !== null) parts.push(sql`t.sig_params = ${sig.params}`);
  if (sig.returns !== null) parts.push(sql`t.sig_returns = ${sig.returns}`);
  return sql.join(parts, sql` and `);
}

function exact(sig: SignatureQuery, row: { sig_params: string; sig_returns: string }): boolean {
  return (sig.params === null || sig.params === row.sig_params) && (sig.returns === null || sig.returns === row.sig_returns);
}

/** How hits are tiered: every word matched, some words, the signature alone. */
type Tier = 0 | 1 | 2;

/**
 * Ranked search. Words: tools whose document holds every word come first (ranked by BM25 /
 * ts_rank), then, when there are fewer than `limit`, tools holding some of them. A signature
 * restricts word hits to tools whose signature matches at least loosely (an exact match boosts the
 * rank), and fills what is left with signature-only matches: exact ones first, then loose, by name.
 */
export async function searchTools(db: Kysely<Database>, adapter: DialectAdapter, query: string, options: SearchOptions): Promise<SearchHit[]> {
  const limit = options.limit ?? 10;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new CrucibleError("invalid_argument", `the search limit must be a whole number from 1 to ${MAX_LIMIT}`);
  const parsed = readQuery(query);
  const where = filters(options);
  const sig = parsed.signature;
  const scored: { id: number; score: number; tier: Tier }[] = [];
  const seen = new Set<number>();
  const add = (id: number, score: number, tier: Tier) => {
    if (seen.has(id) || scored.length >= limit) return;
    seen.add(id);
    scored.push({ id, score, tier });
  };
  if (parsed.words.length > 0) {
    const textWhere = sig === null ? where : sql`${where} and ${signatureWhere(sig)}`;
    // Requiring every word first is both better ranking and cheaper: fewer documents to score.
    for (const h of await adapter.textSearch(db, parsed, "all", textWhere, limit)) add(h.id, h.score, 0);
    if (scored.length < limit && parsed.words.length > 1) {
      for (const h of await adapter.textSearch(db, parsed, "any", textWhere, limit)) add(h.id, h.score, 1);
    }
  }
  if (sig !== null && scored.length < limit) {
    // Exact matches first, then loose ones; each query walks a (signature, name) index and stops early.
    for (const exactOnly of [true, false]) {
      if (scored.length >= limit) break;
      const rows = await toolsWithState(db)
        .select(["t.id"])
        .where(sql<boolean>`${where} and ${signatureWhere(sig)} and ${exactOnly ? exactWhere(sig) : sql`not (${exactWhere(sig)})`}`)
        .$if(seen.size > 0, (q) => q.where("t.id", "not in", [...seen]))
        .orderBy("t.name")
        .limit(limit - scored.length)
        .execute();
      for (const r of rows) add(r.id, exactOnly ? 0 : -1, 2);
    }
  }
  if (scored.length === 0) return [];
  const rows = await toolsWithState(db)
    .select(SUMMARY_COLUMNS)
    .where(
      "t.id",
      "in",
      scored.map((h) => h.id),
    )
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const hits = scored.flatMap((h) => {
    const row = byId.get(h.id);
    if (row === undefined) return [];
    const match = sig === null ? null : exact(sig, row) ? ("exact" as const) : ("loose" as const);
    const score = h.tier < 2 && match === "exact" ? h.score * EXACT_BONUS : h.score;
    return [{ tier: h.tier, hit: { tool: toSummary(row), score, matched: { text: h.tier < 2, signature: match } } }];
  });
  // Tiers in order; within a word tier by score (with the exact-signature bonus); signature-only hits keep their order.
  return hits.sort((a, b) => a.tier - b.tier || (a.tier < 2 ? b.hit.score - a.hit.score : 0)).map((h) => h.hit);
}
