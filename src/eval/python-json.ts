import { CrucibleError } from "../errors.ts";
import type { Wire } from "../sandbox/guest/codec.mjs";

/**
 * JSON as Python's `json.loads` reads it, straight into wire form (see `guest/codec.mjs`), so a
 * benchmark input reaches the guest as the very value the reference harness built from the same
 * text. `JSON.parse` cannot do this: it rounds big ints, turns `1.0` into the int-looking `1`,
 * rejects `NaN`/`Infinity` (which Python writes and reads) and reorders integer-like object keys.
 *
 * What comes out:
 * - an int literal within ±(2**53 − 1) → a number (`-0` → `0`); beyond → `{ $t: "int", v: "<decimal text>" }`;
 * - a float literal (one with `.`, `e` or `E`) → a number when it is not integral; an integral one
 *   (`1.0`, `1e+22`) → `{ $t: "float", v: "<source text>" }` so it stays a Python float; `-0.0` →
 *   `{ $t: "float", v: "-0.0" }`; one that overflows (`1e400`) → `inf`/`-inf`, as `float()` does;
 * - `NaN`, `Infinity`, `-Infinity` → `{ $t: "float", v: "nan" | "inf" | "-inf" }`;
 * - an object → a plain object, except when it has a `"$t"` key or when JavaScript would list its
 *   keys in another order than the text does (integer-like keys go first in JS): then
 *   `{ $t: "dict", v: [[key, value], ...] }` in the text's order. A repeated key keeps its first
 *   place and its last value, like a Python dict.
 *
 * Like Python (strict mode) it rejects control characters inside strings, trailing commas,
 * comments, single quotes, leading zeros and extra data after the value.
 *
 * @throws CrucibleError `invalid_argument` naming the line and column of the first error; nesting
 * deeper than 1000 levels is an error too (Python raises RecursionError near there).
 */
export function parsePythonJson(text: string): Wire {
  const parser = new Parser(text);
  parser.ws();
  const value = parser.value(0);
  parser.ws();
  if (parser.pos < text.length) parser.fail("Extra data");
  return value;
}

/** One element of a top-level JSON array, with the 1-based line where it starts. */
export interface JsonRow {
  readonly value: Wire;
  readonly line: number;
}

/**
 * Parses a top-level JSON array like `parsePythonJson`, keeping where each element starts so that
 * an error about a row can name its line.
 *
 * @throws CrucibleError `invalid_argument` when the text is not valid JSON or not an array.
 */
export function parsePythonJsonRows(text: string): JsonRow[] {
  const parser = new Parser(text);
  parser.ws();
  if (text.charCodeAt(parser.pos) !== 0x5b) parser.fail("Expecting a JSON array");
  parser.pos++;
  const rows: JsonRow[] = [];
  parser.ws();
  if (text.charCodeAt(parser.pos) === 0x5d) {
    parser.pos++;
  } else {
    for (;;) {
      parser.ws();
      const line = parser.lineAt(parser.pos);
      rows.push({ value: parser.value(1), line });
      parser.ws();
      const c = text.charCodeAt(parser.pos);
      if (c === 0x2c) {
        parser.pos++;
        continue;
      }
      if (c === 0x5d) {
        parser.pos++;
        break;
      }
      parser.fail("Expecting ',' delimiter");
    }
  }
  parser.ws();
  if (parser.pos < text.length) parser.fail("Extra data");
  return rows;
}

const MAX_DEPTH = 1000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_DIGITS = 15; // any integer literal of at most 15 digits is within 2**53 − 1

class Parser {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  ws(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: number): Wire {
    if (depth > MAX_DEPTH) this.fail(`JSON nests deeper than ${MAX_DEPTH} levels`);
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    switch (c) {
      case 0x22: // "
        return this.string();
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x6e: // n
        return this.word("null", null);
      case 0x74: // t
        return this.word("true", true);
      case 0x66: // f
        return this.word("false", false);
      case 0x4e: // N
        return this.word("NaN", { $t: "float", v: "nan" });
      case 0x49: // I
        return this.word("Infinity", { $t: "float", v: "inf" });
      default:
        if (c === 0x2d && t.startsWith("-Infinity", this.pos)) {
          this.pos += 9;
          return { $t: "float", v: "-inf" };
        }
        return this.number();
    }
  }

  private word(word: string, value: Wire): Wire {
    if (!this.text.startsWith(word, this.pos)) this.fail("Expecting value");
    this.pos += word.length;
    return value;
  }

  private number(): Wire {
    const t = this.text;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === 0x2d) p++;
    const first = t.charCodeAt(p);
    if (first === 0x30) p++;
    else if (first >= 0x31 && first <= 0x39) p = digits(t, p + 1);
    else this.fail("Expecting value", start);
    const intEnd = p;
    if (t.charCodeAt(p) === 0x2e && isDigit(t.charCodeAt(p + 1))) p = digits(t, p + 2);
    const e = t.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      let q = p + 1;
      const sign = t.charCodeAt(q);
      if (sign === 0x2b || sign === 0x2d) q++;
      if (isDigit(t.charCodeAt(q))) p = digits(t, q + 1);
    }
    this.pos = p;
    const src = t.slice(start, p);
    if (p === intEnd) {
      const count = t.charCodeAt(start) === 0x2d ? p - start - 1 : p - start;
      if (count <= SAFE_DIGITS) return src === "-0" ? 0 : Number(src);
      const n = BigInt(src);
      if (n <= MAX_SAFE && n >= -MAX_SAFE) return Number(n);
      return { $t: "int", v: src };
    }
    const x = Number(src);
    if (x === Infinity) return { $t: "float", v: "inf" };
    if (x === -Infinity) return { $t: "float", v: "-inf" };
    if (Object.is(x, -0)) return { $t: "float", v: "-0.0" };
    if (Number.isInteger(x)) return { $t: "float", v: src };
    return x;
  }

  private string(): string {
    const t = this.text;
    let p = this.pos + 1;
    let out = "";
    let start = p;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        out += t.slice(start, p);
        this.pos = p + 1;
        return out;
      }
      if (c === 0x5c) {
        out += t.slice(start, p);
        const e = t.charCodeAt(p + 1);
        switch (e) {
          case 0x22:
            out += '"';
            break;
          case 0x5c:
            out += "\\";
            break;
          case 0x2f:
            out += "/";
            break;
          case 0x62:
            out += "\b";
            break;
          case 0x66:
            out += "\f";
            break;
          case 0x6e:
            out += "\n";
            break;
          case 0x72:
            out += "\r";
            break;
          case 0x74:
            out += "\t";
            break;
          case 0x75: {
            const hex = t.slice(p + 2, p + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.pos = p;
              this.fail("Invalid \\uXXXX escape");
            }
            // Lone surrogates are kept, as Python keeps them; a pair joins into one character.
            out += String.fromCharCode(parseInt(hex, 16));
            p += 4;
            break;
          }
          default:
            this.pos = p;
            this.fail("Invalid \\escape");
        }
        p += 2;
        start = p;
        continue;
      }
      if (Number.isNaN(c)) this.fail("Unterminated string", this.pos);
      if (c < 0x20) {
        this.pos = p;
        this.fail("Invalid control character in string");
      }
      p++;
    }
  }

  private array(depth: number): Wire[] {
    const t = this.text;
    this.pos++;
    const out: Wire[] = [];
    this.ws();
    if (t.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = t.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return out;
      }
      this.fail("Expecting ',' delimiter");
    }
  }

  private object(depth: number): Wire {
    const t = this.text;
    this.pos++;
    const keys: string[] = [];
    const values = new Map<string, Wire>();
    this.ws();
    if (t.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return {};
    }
    for (;;) {
      this.ws();
      if (t.charCodeAt(this.pos) !== 0x22) this.fail("Expecting property name enclosed in double quotes");
      const key = this.string();
      this.ws();
      if (t.charCodeAt(this.pos) !== 0x3a) this.fail("Expecting ':' delimiter");
      this.pos++;
      this.ws();
      const value = this.value(depth + 1);
      if (!values.has(key)) keys.push(key);
      values.set(key, value);
      this.ws();
      const c = t.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        break;
      }
      this.fail("Expecting ',' delimiter");
    }
    const obj: { [key: string]: Wire } = {};
    for (const k of keys) {
      // Defined, never assigned: a key named "__proto__" stays data.
      Object.defineProperty(obj, k, { value: values.get(k), enumerable: true, writable: true, configurable: true });
    }
    if (values.has("$t") || !sameOrder(Object.keys(obj), keys)) {
      return { $t: "dict", v: keys.map((k) => [k, values.get(k) ?? null]) };
    }
    return obj;
  }

  private linePos = 0;
  private line = 1;

  /** The 1-based line of `pos`; counts forward from the last position asked about. */
  lineAt(pos: number): number {
    if (pos < this.linePos) {
      this.linePos = 0;
      this.line = 1;
    }
    for (let i = this.text.indexOf("\n", this.linePos); i !== -1 && i < pos; i = this.text.indexOf("\n", i + 1)) this.line++;
    this.linePos = pos;
    return this.line;
  }

  fail(message: string, at = this.pos): never {
    const line = this.lineAt(at);
    const column = at - (this.text.lastIndexOf("\n", at - 1) + 1) + 1;
    throw new CrucibleError("invalid_argument", `invalid JSON: ${message}: line ${line} column ${column} (char ${at})`, {
      details: { reason: message, line, column, position: at },
    });
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digits(t: string, p: number): number {
  while (isDigit(t.charCodeAt(p))) p++;
  return p;
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
