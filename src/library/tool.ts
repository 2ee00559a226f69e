// What a library tool is: the spec a model or a user writes (ToolSpec), and the stored, verified,
// content-addressed row (Tool). Pure data and pure functions: no database, no sandbox.
import { createHash } from "node:crypto";
import { z } from "zod";
import { CrucibleError } from "../errors.ts";
import type { Wire } from "../sandbox/guest/codec.mjs";

export const TOOL_LANGUAGES = ["python", "typescript"] as const;
export type ToolLanguage = (typeof TOOL_LANGUAGES)[number];

/** A JSON Schema (draft 2020-12 subset, with Crucible's `"x-python"` hints) as a plain JSON object. */
export type JsonSchema = { readonly [key: string]: unknown };

/**
 * Values in examples and tests are in Crucible's tagged wire form (`encode()` of the codec): plain
 * JSON for the obvious, `{"$t": "tuple", "v": [...]}` and friends for tuples, sets, bytes, big ints.
 * Stored as wire so a tool's hash never depends on how a host language represents a tuple.
 */
export interface ToolExample {
  readonly args: readonly Wire[];
  readonly output: Wire;
}

export interface ToolTest {
  readonly name: string;
  readonly args: readonly Wire[];
  readonly expected: Wire;
}

/** A property: guest code defining a predicate, run by the gate against generated inputs. */
export interface ToolProperty {
  readonly name: string;
  readonly predicate: string;
}

/** Another library tool this one calls, pinned by its hash. */
export interface ToolDependency {
  readonly name: string;
  readonly hash: string;
}

/** Where a tool came from. `parents` are hashes of the tools it was derived from. */
export interface ToolProvenance {
  readonly task?: string;
  readonly model?: string;
  readonly parents?: readonly string[];
}

/**
 * What is written to admit a tool. Everything here is covered by the hash: change one byte and it
 * is another tool (a new version is a new row).
 * `inputSchema` is an object schema whose `properties` are the entry point's parameters, in order
 * (the shape MCP wants for a tool's input); `outputSchema` describes the return value.
 */
export interface ToolSpec {
  readonly name: string;
  readonly version: string;
  readonly language: ToolLanguage;
  readonly source: string;
  readonly entryPoint: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  readonly examples: readonly ToolExample[];
  readonly tests: readonly ToolTest[];
  readonly properties: readonly ToolProperty[];
  readonly dependencies: readonly ToolDependency[];
  readonly provenance: ToolProvenance;
}

export const CHECK_STATUSES = ["passed", "failed", "timeout", "error", "skipped"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One check the gate ran: an example, a test, a property, a schema check, a duplicate probe… */
export interface CheckRecord {
  /** What kind of check: "example", "test", "property", "schema", "static", "duplicate", … */
  readonly kind: string;
  readonly name: string;
  readonly status: CheckStatus;
  /** The seed that reproduces it (property and generated-input checks). */
  readonly seed?: number;
  /** The (shrunk) failing input, in wire form. */
  readonly counterexample?: Wire;
  readonly detail?: string;
  readonly ms?: number;
}

export const TOOL_STATUSES = ["verified", "flagged"] as const;
export type ToolStatus = (typeof TOOL_STATUSES)[number];

/**
 * The record of one verification of a tool. Records are append-only: re-verifying adds one, and a
 * tool's status is the status of its latest record.
 */
export interface VerificationRecord {
  readonly status: ToolStatus;
  /** ISO 8601 time the checks finished. */
  readonly checkedAt: string;
  readonly checks: readonly CheckRecord[];
  /** The run's master seed, when it drew random inputs. */
  readonly seed?: number;
  /** Runtime and dependency versions, e.g. `{ python: "3.11.2", node: "24.3.0", crucible: "0.1.0" }`. */
  readonly runtime: Readonly<Record<string, string>>;
  /** The sandbox limits the checks ran under (a `Limits` object, as data). */
  readonly sandboxPolicy: Readonly<Record<string, unknown>>;
  /** Why the tool is flagged, in a sentence; absent when verified. */
  readonly reason?: string;
}

/** A stored tool: the spec, its content hash, its latest verification and when it was admitted. */
export interface Tool extends ToolSpec {
  /** sha256 (hex) of `canonicalJson(spec)`. */
  readonly hash: string;
  readonly verification: VerificationRecord;
  readonly status: ToolStatus;
  /** ISO 8601 time the row was written. */
  readonly createdAt: string;
}

/** Mutable counters kept beside the immutable tool row. */
export interface UsageStats {
  readonly calls: number;
  readonly failures: number;
  readonly totalMs: number;
  /** ISO 8601, or null when never called. */
  readonly lastUsedAt: string | null;
}

// ---------------------------------------------------------------------------------------------
// Names and versions

/** A tool name: a letter, then letters, digits, `_`, `-` or `.`; at most 64 characters (MCP-safe). */
export const TOOL_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/u;

/** `1`, `1.2`, `1.2.3`, optionally `-prerelease` (dot-separated alphanumerics). */
export const VERSION_PATTERN = /^(0|[1-9]\d{0,8})(\.(0|[1-9]\d{0,8})){0,2}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/u;

/**
 * Orders versions as semver does: numeric parts compared as numbers (missing parts are 0), a
 * prerelease sorts before its release, prerelease identifiers compared numerically when both are
 * digits. Negative when `a < b`.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const dash = v.indexOf("-");
    const core = (dash < 0 ? v : v.slice(0, dash)).split(".").map(Number);
    return { core: [core[0] ?? 0, core[1] ?? 0, core[2] ?? 0], pre: dash < 0 ? null : v.slice(dash + 1).split(".") };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const d = x.core[i]! - y.core[i]!;
    if (d !== 0) return d;
  }
  if (x.pre === null || y.pre === null) return x.pre === y.pre ? 0 : x.pre === null ? 1 : -1;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/u.test(p);
    const qn = /^\d+$/u.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** How a user names a tool: `name`, `name@1.2.0`, `name@latest`, or a hash (at least 8 hex digits). */
export type ToolRef =
  | { readonly kind: "name"; readonly name: string; /** A version, or "latest". */ readonly version: string }
  | { readonly kind: "hash"; readonly hash: string };

/**
 * Parses a tool reference. A bare name means its latest verified version. 8 to 64 lowercase hex
 * digits are a hash (prefix); since such a string can also be a name (`deadbeef`), the store tries
 * it as a name when no hash matches (see `refAsName`).
 * @throws CrucibleError `invalid_argument` saying which forms are accepted.
 */
export function parseToolRef(text: string): ToolRef {
  const t = text.trim();
  if (/^[0-9a-f]{8,64}$/u.test(t)) return { kind: "hash", hash: t };
  const at = t.lastIndexOf("@");
  const name = at < 0 ? t : t.slice(0, at);
  const version = at < 0 ? "latest" : t.slice(at + 1);
  if (!TOOL_NAME_PATTERN.test(name) || (version !== "latest" && !VERSION_PATTERN.test(version))) {
    throw new CrucibleError(
      "invalid_argument",
      `${JSON.stringify(text)} is not a tool reference; write name, name@1.2.0, name@latest or a hash (8 to 64 hex digits)`,
    );
  }
  return { kind: "name", name, version };
}

/** The name reading of a hash-looking reference (`deadbeef`), or null when it cannot be a name. */
export function refAsName(ref: ToolRef): ToolRef | null {
  return ref.kind === "hash" && TOOL_NAME_PATTERN.test(ref.hash) ? { kind: "name", name: ref.hash, version: "latest" } : null;
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON and the content hash

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace: the same value always
 * gives the same text. `undefined` members are dropped, as JSON.stringify does.
 * @throws CrucibleError `invalid_argument` on values JSON cannot carry exactly (NaN, ±Infinity,
 *   bigint, functions, cycles): encode them to wire form first.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): string => {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new CrucibleError("invalid_argument", `${path} is ${v}, which JSON cannot carry; use the wire form ({"$t":"float","v":"nan"})`);
      return JSON.stringify(v);
    }
    if (typeof v !== "object") throw new CrucibleError("invalid_argument", `${path} is a ${typeof v}, which JSON cannot carry; encode it to wire form first`);
    if (seen.has(v)) throw new CrucibleError("invalid_argument", `${path} refers back to itself`);
    seen.add(v);
    let out: string;
    if (Array.isArray(v)) out = `[${v.map((x, i) => (x === undefined ? "null" : walk(x, `${path}[${i}]`))).join(",")}]`;
    else {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CrucibleError("invalid_argument", `${path} is a ${v.constructor.name}, not plain JSON; encode it to wire form first`);
      const keys = Object.keys(v)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort();
      out = `{${keys.map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k], `${path}.${k}`)}`).join(",")}}`;
    }
    seen.delete(v);
    return out;
  };
  return walk(value, "value");
}

/** The content hash of a spec: sha256 (hex) of its canonical JSON. */
export function toolHash(spec: ToolSpec): string {
  return createHash("sha256").update(canonicalJson(spec), "utf8").digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Largest tool source accepted (the sandbox's default code cap). */
export const MAX_SOURCE_BYTES = 1024 * 1024;
/** Largest canonical spec accepted: source, schemas, examples and tests together. */
export const MAX_SPEC_BYTES = 8 * 1024 * 1024;

const wire: z.ZodType<Wire> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(wire), z.record(z.string(), wire)]));
const hashString = z.string().regex(/^[0-9a-f]{64}$/u, { error: "must be a sha256 hash (64 lowercase hex digits)" });
const schemaObject = z.record(z.string(), z.unknown(), { error: "must be a JSON Schema object" });
const line = (max: number) => z.string().min(1, { error: "must not be empty" }).max(max, { error: `must be at most ${max} characters` });

const toolSpecSchema = z.strictObject({
  name: z.string().regex(TOOL_NAME_PATTERN, { error: "must start with a letter and hold only letters, digits, _, - or . (at most 64 characters)" }),
  version: z.string().regex(VERSION_PATTERN, { error: "must be a version like 1, 1.2 or 1.2.3 (optionally -prerelease)" }),
  language: z.enum(TOOL_LANGUAGES, { error: `must be one of ${TOOL_LANGUAGES.join(", ")}` }),
  source: z
    .string()
    .min(1, { error: "must not be empty" })
    .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_SOURCE_BYTES, { error: `must be at most ${MAX_SOURCE_BYTES} bytes` })
    .refine((s) => !s.includes("\0"), { error: "must not contain NUL bytes" }),
  entryPoint: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/u, { error: "must be a function name (an identifier)" }),
  description: line(8192),
  inputSchema: schemaObject.refine((s) => s["type"] === "object", { error: 'must be an object schema ({"type": "object", "properties": {param: schema}}): its properties are the parameters, in order' }),
  outputSchema: schemaObject,
  examples: z.array(z.strictObject({ args: z.array(wire), output: wire })).default([]),
  tests: z.array(z.strictObject({ name: line(200), args: z.array(wire), expected: wire })).default([]),
  properties: z.array(z.strictObject({ name: line(200), predicate: z.string().min(1, { error: "must not be empty" }) })).default([]),
  dependencies: z.array(z.strictObject({ name: z.string().regex(TOOL_NAME_PATTERN, { error: "must be a tool name" }), hash: hashString })).default([]),
  provenance: z
    .strictObject({ task: line(2000).optional(), model: line(200).optional(), parents: z.array(hashString).optional() })
    .default({}),
});

const checkSchema = z.strictObject({
  kind: line(50),
  name: line(500),
  status: z.enum(CHECK_STATUSES),
  seed: z.number().int().optional(),
  counterexample: wire.optional(),
  detail: z.string().optional(),
  ms: z.number().nonnegative().optional(),
});

const verificationSchema = z.strictObject({
  status: z.enum(TOOL_STATUSES),
  checkedAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }),
  checks: z.array(checkSchema),
  seed: z.number().int().optional(),
  runtime: z.record(z.string(), z.string()),
  sandboxPolicy: z.record(z.string(), z.unknown()),
  reason: z.string().optional(),
});

function issuesError(what: string, error: z.ZodError, label?: string): CrucibleError {
  const issues = error.issues.map((i) => `${i.path.length === 0 ? what : i.path.join(".")}: ${i.message}`);
  return new CrucibleError("invalid_argument", `${label ?? what} is not valid: ${issues.join("; ")}`, { details: { issues } });
}

/** Drops `undefined` members, so parsed objects satisfy exactOptionalPropertyTypes and hash the same. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Validates a tool spec (every problem reported at once, with its path) and fills defaults: empty
 * `examples`, `tests`, `properties`, `dependencies` and `provenance`.
 * @throws CrucibleError `invalid_argument` with `details.issues`.
 */
export function parseToolSpec(input: unknown): ToolSpec {
  const r = toolSpecSchema.safeParse(input);
  if (!r.success) {
    const name = typeof input === "object" && input !== null && typeof (input as { name?: unknown }).name === "string" ? (input as { name: string }).name : undefined;
    throw issuesError("spec", r.error, name === undefined ? "the tool spec" : `the tool spec ${JSON.stringify(name)}`);
  }
  const spec = { ...r.data, provenance: defined(r.data.provenance) } as ToolSpec;
  const bytes = Buffer.byteLength(canonicalJson(spec), "utf8");
  if (bytes > MAX_SPEC_BYTES) throw new CrucibleError("invalid_argument", `the tool spec ${JSON.stringify(spec.name)} is ${bytes} bytes; at most ${MAX_SPEC_BYTES} are accepted`);
  return spec;
}

/**
 * Validates a verification record.
 * @throws CrucibleError `invalid_argument` with `details.issues`.
 */
export function parseVerificationRecord(input: unknown): VerificationRecord {
  const r = verificationSchema.safeParse(input);
  if (!r.success) throw issuesError("record", r.error, "the verification record");
  return { ...defined(r.data), checks: r.data.checks.map((c) => defined(c)) } as VerificationRecord;
}

/** The spec part of a tool (what the hash covers), without the stored fields. */
export function specOf(tool: ToolSpec): ToolSpec {
  const { name, version, language, source, entryPoint, description, inputSchema, outputSchema, examples, tests, properties, dependencies, provenance } = tool;
  return { name, version, language, source, entryPoint, description, inputSchema, outputSchema, examples, tests, properties, dependencies, provenance };
}
