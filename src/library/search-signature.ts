// Signature matching: a tool's input/output JSON Schemas and a query like `(list[int]) -> int` or
// `(xs: number[]) => number` both become one canonical type vocabulary, compared as strings (so
// the database can index them). Two levels: exact (`list[int]`) and loose (int and float both `num`).
import type { JsonSchema } from "./tool.ts";

/** A tool's signature in canonical form; `null` parts mean "unknown" (no usable schema). */
export interface Signature {
  /** Canonical parameter types joined by ",", e.g. `list[int],int`; "" for no parameters. */
  readonly params: string;
  readonly returns: string;
  readonly paramsLoose: string;
  readonly returnsLoose: string;
}

/** What a query asks of a signature; `null` matches anything. */
export interface SignatureQuery {
  readonly params: string | null;
  readonly returns: string | null;
  readonly paramsLoose: string | null;
  readonly returnsLoose: string | null;
}

/** Canonical type tree. */
type Ty =
  | { readonly k: "atom"; readonly name: string }
  | { readonly k: "gen"; readonly name: "list" | "set" | "dict" | "tuple"; readonly args: readonly Ty[]; readonly variadic?: boolean }
  | { readonly k: "union"; readonly members: readonly Ty[] };

const ANY: Ty = { k: "atom", name: "any" };
const atom = (name: string): Ty => ({ k: "atom", name });

function show(t: Ty, loose: boolean): string {
  switch (t.k) {
    case "atom":
      return loose && (t.name === "int" || t.name === "float") ? "num" : t.name;
    case "gen":
      return `${t.name}[${t.args.map((a) => show(a, loose)).join(",")}${t.variadic ? ",..." : ""}]`;
    case "union":
      return [...new Set(t.members.map((m) => show(m, loose)))].sort().join("|");
  }
}

function union(members: readonly Ty[]): Ty {
  const flat = members.flatMap((m) => (m.k === "union" ? m.members : [m]));
  const seen = new Map(flat.map((m) => [show(m, false), m]));
  if (seen.has("any")) return ANY;
  const list = [...seen.values()];
  return list.length === 1 ? list[0]! : { k: "union", members: list };
}

// ---------------------------------------------------------------------------------------------
// JSON Schema → type

function fromSchema(s: unknown, depth = 0): Ty {
  if (depth > 20 || typeof s !== "object" || s === null || Array.isArray(s)) return ANY;
  const o = s as Record<string, unknown>;
  const own = (k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);
  const hint = own("x-python");
  for (const key of ["anyOf", "oneOf"]) {
    const alts = own(key);
    if (Array.isArray(alts) && alts.length > 0) return union(alts.map((a) => fromSchema(a, depth + 1)));
  }
  if (own("const") !== undefined) return atomOfValue(own("const"));
  const en = own("enum");
  if (Array.isArray(en) && en.length > 0) return union(en.map(atomOfValue));
  const type = own("type");
  if (Array.isArray(type)) return union((type as unknown[]).map((t) => fromSchema({ ...o, type: t }, depth + 1)));
  if (hint === "bytes") return atom("bytes");
  switch (type) {
    case "integer":
      return atom("int");
    case "number":
      return atom(hint === "int" ? "int" : "float");
    case "string":
      return atom("str");
    case "boolean":
      return atom("bool");
    case "null":
      return atom("None");
    case "array": {
      const prefix = own("prefixItems");
      const items = own("items");
      if (Array.isArray(prefix)) {
        const args = prefix.map((p) => fromSchema(p, depth + 1));
        return { k: "gen", name: "tuple", args, ...(items !== undefined && items !== false ? { variadic: true } : {}) };
      }
      const item = fromSchema(items, depth + 1);
      if (hint === "tuple") return { k: "gen", name: "tuple", args: [item], variadic: true };
      return { k: "gen", name: hint === "set" ? "set" : "list", args: [item] };
    }
    case "object": {
      const extra = own("additionalProperties");
      const value = typeof extra === "object" && extra !== null ? fromSchema(extra, depth + 1) : ANY;
      return { k: "gen", name: "dict", args: [atom("str"), value] };
    }
    default:
      return ANY;
  }
}

function atomOfValue(v: unknown): Ty {
  if (v === null) return atom("None");
  if (typeof v === "boolean") return atom("bool");
  if (typeof v === "number") return atom(Number.isInteger(v) ? "int" : "float");
  if (typeof v === "string") return atom("str");
  return ANY;
}

/**
 * The signature of a tool from its schemas: parameters are the input schema's `properties` in
 * order. Unknown shapes become `any`; never throws.
 */
export function signatureOf(inputSchema: JsonSchema, outputSchema: JsonSchema): Signature {
  const props = Object.hasOwn(inputSchema, "properties") ? inputSchema["properties"] : undefined;
  const params = typeof props === "object" && props !== null && !Array.isArray(props) ? Object.values(props).map((p) => fromSchema(p)) : [];
  const ret = fromSchema(outputSchema);
  return {
    params: params.map((p) => show(p, false)).join(","),
    returns: show(ret, false),
    paramsLoose: params.map((p) => show(p, true)).join(","),
    returnsLoose: show(ret, true),
  };
}

/** How a signature is shown to people: `(list[int], int) -> int`. */
export function formatSignature(params: string, returns: string): string {
  return `(${splitTop(params).join(", ")}) -> ${returns}`;
}

/** Splits on commas outside brackets. */
function splitTop(text: string): string[] {
  if (text === "") return [];
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[" || c === "(" || c === "<") depth++;
    else if (c === "]" || c === ")" || c === ">") depth--;
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Type expressions in queries (Python or TypeScript spelling) → type

const ATOMS: Readonly<Record<string, string>> = {
  int: "int", integer: "int", bigint: "int",
  float: "float", number: "float", double: "float",
  str: "str", string: "str",
  bool: "bool", boolean: "bool",
  bytes: "bytes", bytearray: "bytes", uint8array: "bytes",
  none: "None", null: "None", undefined: "None", void: "None", nonetype: "None",
  any: "any", object: "any", unknown: "any",
};
const GENERICS: Readonly<Record<string, "list" | "set" | "dict" | "tuple" | "optional" | "union">> = {
  list: "list", sequence: "list", iterable: "list", array: "list", readonlyarray: "list", iterator: "list",
  set: "set", frozenset: "set", abstractset: "set",
  dict: "dict", mapping: "dict", record: "dict", map: "dict",
  tuple: "tuple",
  optional: "optional", union: "union",
};

class TypeParser {
  private readonly tokens: string[];
  private i = 0;
  constructor(text: string) {
    this.tokens = text.match(/\.\.\.|[A-Za-z_][A-Za-z0-9_.]*|[[\]<>(),|:?]/gu) ?? [];
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  private peek(): string | undefined {
    return this.tokens[this.i];
  }
  private eat(t: string): boolean {
    if (this.tokens[this.i] === t) {
      this.i++;
      return true;
    }
    return false;
  }
  /** union := postfix ('|' postfix)* */
  type(): Ty {
    const members = [this.postfix()];
    while (this.eat("|")) members.push(this.postfix());
    return union(members);
  }
  private postfix(): Ty {
    let t = this.primary();
    // TypeScript arrays: number[] (and number[][]).
    while (this.peek() === "[" && this.tokens[this.i + 1] === "]") {
      this.i += 2;
      t = { k: "gen", name: "list", args: [t] };
    }
    if (this.eat("?")) t = union([t, atom("None")]);
    return t;
  }
  private primary(): Ty {
    const tok = this.peek();
    if (tok === undefined) throw new SyntaxError("a type is missing");
    if (tok === "(") {
      this.i++;
      const t = this.type();
      if (!this.eat(")")) throw new SyntaxError("a ) is missing");
      return t;
    }
    if (tok === "[") {
      // TypeScript tuple: [number, string]
      this.i++;
      const args = this.args("]");
      return { k: "gen", name: "tuple", args };
    }
    this.i++;
    const name = tok.toLowerCase().replace(/^(typing|collections\.abc)\./u, "");
    const open = this.peek() === "[" && this.tokens[this.i + 1] !== "]" ? "[" : this.peek() === "<" ? "<" : null;
    const generic = Object.hasOwn(GENERICS, name) ? GENERICS[name] : undefined;
    if (generic === undefined) {
      if (open !== null) throw new SyntaxError(`${tok} takes no type arguments`);
      return Object.hasOwn(ATOMS, name) ? atom(ATOMS[name]!) : atom(tok);
    }
    let args: Ty[] = [];
    let variadic = false;
    if (open !== null) {
      this.i++;
      args = this.args(open === "[" ? "]" : ">");
      if (args.length > 0 && args.at(-1) === ELLIPSIS) {
        args.pop();
        variadic = true;
      }
    }
    switch (generic) {
      case "optional":
        return union([args[0] ?? ANY, atom("None")]);
      case "union":
        return union(args);
      case "dict":
        return { k: "gen", name: "dict", args: [args[0] ?? atom("str"), args[1] ?? ANY] };
      case "tuple":
        return variadic ? { k: "gen", name: "tuple", args: args.length > 0 ? args : [ANY], variadic: true } : { k: "gen", name: "tuple", args };
      default:
        return { k: "gen", name: generic, args: [args[0] ?? ANY] };
    }
  }
  private args(close: string): Ty[] {
    const out: Ty[] = [];
    while (!this.eat(close)) {
      if (this.done()) throw new SyntaxError(`a ${close} is missing`);
      if (this.eat("...")) out.push(ELLIPSIS);
      else out.push(this.type());
      if (!this.eat(",") && this.peek() !== close) throw new SyntaxError(`expected , or ${close}`);
    }
    return out;
  }
}
const ELLIPSIS: Ty = atom("...");

/** Parses one parameter: `xs: list[int]`, `list[int]`, `xs?: number` (optional is dropped). */
function parseParam(text: string): Ty {
  const named = /^\s*[A-Za-z_$][A-Za-z0-9_$]*\s*\??\s*:(?!:)([\s\S]*)$/u.exec(text);
  const p = new TypeParser(named ? named[1]! : text);
  const t = p.type();
  if (!p.done()) throw new SyntaxError(`unexpected text in ${JSON.stringify(text.trim())}`);
  return t;
}

/**
 * Where the type expression at the start of `text` ends: brackets balanced, spaces only inside
 * brackets or around `|` (so `dict[str, int] | None words` ends before `words`).
 */
function typeEnd(text: string): number {
  let i = 0;
  while (i < text.length && /\s/u.test(text[i]!)) i++;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === "[" || c === "(" || c === "<") depth++;
    else if ((c === "]" || c === ")" || c === ">") && depth > 0) depth--;
    else if (/\s/u.test(c) && depth === 0) {
      let j = i;
      while (j < text.length && /\s/u.test(text[j]!)) j++;
      const prev = text.slice(0, i).trimEnd().at(-1);
      if (text[j] === "|" || prev === "|") {
        i = j - 1;
        continue;
      }
      return i;
    }
  }
  return text.length;
}

const WILDCARD = /^\s*(_|\?|\*|\.\.\.)?\s*$/u;

/**
 * Finds a signature in a search query: `(list[int], int) -> int`, `(xs: number[]) => number`,
 * `list[int] -> int`, `(str) -> _` (any return), `_ -> bool`. Returns the query without it.
 * Returns `signature: null` when the query holds no arrow; throws SyntaxError (with a reason) when
 * it holds one but the types cannot be read.
 */
export function extractSignature(query: string): { readonly text: string; readonly signature: SignatureQuery | null } {
  const arrow = /->|=>/u.exec(query);
  if (!arrow) return { text: query, signature: null };
  const before = query.slice(0, arrow.index);
  const after = query.slice(arrow.index + arrow[0].length);
  // Parameters: the last balanced (...) group before the arrow, else the last word-ish run.
  let paramsText: string;
  let rest: string;
  const close = before.trimEnd();
  if (close.endsWith(")")) {
    let depth = 0;
    let open = -1;
    for (let i = close.length - 1; i >= 0; i--) {
      if (close[i] === ")") depth++;
      else if (close[i] === "(" && --depth === 0) {
        open = i;
        break;
      }
    }
    if (open < 0) throw new SyntaxError("the ( of the parameters is missing");
    paramsText = close.slice(open + 1, -1);
    rest = close.slice(0, open);
  } else {
    const m = /(\S+)\s*$/u.exec(close);
    paramsText = m ? m[1]! : "";
    rest = m ? close.slice(0, m.index) : close;
  }
  const end = typeEnd(after);
  const returnsText = after.slice(0, end).trim();
  const textAfter = after.slice(end);

  let params: Ty[] | null = null;
  if (!WILDCARD.test(paramsText) || paramsText.trim() === "") {
    params = paramsText.trim() === "" ? [] : splitTop(paramsText).map(parseParam);
  }
  let returns: Ty | null = null;
  if (!WILDCARD.test(returnsText)) {
    const p = new TypeParser(returnsText);
    returns = p.type();
    if (!p.done()) throw new SyntaxError(`unexpected text in the return type ${JSON.stringify(returnsText)}`);
  }
  return {
    text: `${rest} ${textAfter}`.replace(/\s+/gu, " ").trim(),
    signature: {
      params: params === null ? null : params.map((p) => show(p, false)).join(","),
      returns: returns === null ? null : show(returns, false),
      paramsLoose: params === null ? null : params.map((p) => show(p, true)).join(","),
      returnsLoose: returns === null ? null : show(returns, true),
    },
  };
}
