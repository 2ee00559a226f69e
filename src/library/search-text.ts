// What full-text search sees of a tool (its search document) and what it makes of a query: the
// parts both database dialects share. The dialects only turn these into FTS5 or tsquery syntax.
import { extractSignature, type SignatureQuery } from "./search-signature.ts";
import type { ToolSpec } from "./tool.ts";

/** The four weighted fields of a tool's search document. */
export interface SearchDocument {
  /** The name and entry point, plus their words (`sortByKey`, `sort_by_key` → `sort by key`). */
  readonly name: string;
  readonly description: string;
  readonly docstring: string;
  /** The tasks the tool solved: its provenance task and those recorded with its uses. */
  readonly tasks: string;
}

/** Relative weights of the fields in ranking (name counts most). */
export const FIELD_WEIGHTS = { name: 10, description: 4, docstring: 2, tasks: 2 } as const;

/** `sortByKey` / `sort_by_key` / `HTTPServer2` → `sort by key` / `http server 2`. */
export function wordsOf(identifier: string): string {
  return identifier
    .replace(/([a-z0-9])([A-Z])/gu, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/gu, "$1 $2")
    .replace(/([A-Za-z])(\d)/gu, "$1 $2")
    .replace(/[_.\-$]+/gu, " ")
    .toLowerCase()
    .trim();
}

/**
 * The docstring of the entry point: Python's first string statement of the `def` body (else the
 * module docstring); TypeScript's JSDoc block right before the function. "" when there is none.
 * A heuristic over text (no parser): it only feeds search.
 */
export function docstringOf(spec: Pick<ToolSpec, "language" | "source" | "entryPoint">): string {
  const { source, entryPoint } = spec;
  const name = entryPoint.replace(/[$]/gu, "\\$&");
  if (spec.language === "python") return pythonDocstring(source, name) ?? pythonDocstring(source, null) ?? "";
  const decl = new RegExp(`(/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/)\\s*(?:export\\s+)?(?:default\\s+)?(?:async\\s+)?(?:function\\s*\\*?\\s*${name}\\b|(?:const|let|var)\\s+${name}\\b)`, "u").exec(source);
  return decl ? clean(decl[2]!.replace(/^\s*\*/gmu, "")) : "";
}

/** The docstring of `def name` (or of the module, for `null`): a string literal opening the body. */
function pythonDocstring(source: string, name: string | null): string | null {
  let at = 0;
  if (name !== null) {
    const def = new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${name}[ \\t]*\\(`, "mu").exec(source);
    if (!def) return null;
    // The body starts after the ':' that closes the signature (at bracket depth 0).
    let depth = 0;
    at = -1;
    for (let i = def.index + def[0].length - 1; i < source.length; i++) {
      const c = source[i];
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") depth--;
      else if (c === ":" && depth === 0) {
        at = i + 1;
        break;
      }
    }
    if (at < 0) return null;
  }
  const body = /^(?:\s|#[^\n]*)*[rRuU]?("""|'''|"|')/u.exec(source.slice(at));
  if (!body) return null;
  const quote = body[1]!;
  const startAt = at + body[0].length;
  const endAt = source.indexOf(quote, startAt);
  return endAt < 0 ? null : clean(source.slice(startAt, endAt));
}

function clean(text: string): string {
  return text.replace(/\s+/gu, " ").trim().slice(0, 4000);
}

/** A tool's search document. `tasks` are the extra solved tasks recorded with its uses. */
export function searchDocument(spec: ToolSpec, tasks: readonly string[] = []): SearchDocument {
  const allTasks = [...new Set([...(spec.provenance.task === undefined ? [] : [spec.provenance.task]), ...tasks])];
  return {
    name: `${spec.name} ${wordsOf(spec.name)} ${spec.entryPoint === spec.name ? "" : `${spec.entryPoint} ${wordsOf(spec.entryPoint)}`}`.trim(),
    description: spec.description,
    docstring: docstringOf(spec),
    tasks: allTasks.join("\n"),
  };
}

/** A search query taken apart: words for full-text search, and a signature to match. */
export interface ParsedQuery {
  /** Lower-case words (letters and digits), at most 32; the last one may be a prefix being typed. */
  readonly words: readonly string[];
  /** True when the query ended mid-word, so the last word also matches as a prefix. */
  readonly lastIsPrefix: boolean;
  readonly signature: SignatureQuery | null;
}

/** Longest query accepted, in characters. */
export const MAX_QUERY_LENGTH = 1000;

/**
 * Splits a query into words and an optional signature (see `extractSignature`). Identifiers are
 * split into words too (`sortByKey` → `sortbykey sort by key`).
 * @throws SyntaxError when the query has an arrow whose types cannot be read.
 */
export function parseQuery(query: string): ParsedQuery {
  const { text, signature } = extractSignature(query);
  const raw = text.match(/[\p{L}\p{N}_$.-]+/gu) ?? [];
  const words: string[] = [];
  for (const token of raw) {
    for (const w of [token.toLowerCase(), ...wordsOf(token).split(" ")]) {
      for (const part of w.match(/[\p{L}\p{N}]+/gu) ?? []) if (!words.includes(part)) words.push(part);
    }
  }
  return { words: words.slice(0, 32), lastIsPrefix: words.length > 0 && /[\p{L}\p{N}]$/u.test(text), signature };
}
