// Python type hints → JSON Schemas, read inside the sandbox by a trusted guest script (guest/hints.py).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { CrucibleError, throwIfAborted } from "../../errors.ts";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import type { ArgsSchema } from "./schema.ts";

const HINTS_PY = readFileSync(new URL("./guest/hints.py", import.meta.url), "utf8");
/** Reading hints means loading the code: its top level gets this long. */
const LOAD_TIMEOUT_MS = 10_000;

const schemaShape = z.record(z.string(), z.unknown());
const argsShape = z.object({
  params: z.array(z.object({ name: z.string(), schema: schemaShape, optional: z.boolean(), annotation: z.string().nullable() })),
  returns: schemaShape.nullable(),
});
const signatureShape = z.object({
  kind: z.enum(["function", "class"]),
  params: argsShape.shape.params,
  returns: schemaShape.nullable(),
  methods: z.record(z.string(), argsShape).optional(),
});

/** A class's constructor and public methods, for stateful checks. */
export interface ClassSchema {
  readonly params: ArgsSchema["params"];
  /** Public methods (no leading `_`) defined as plain functions, by name, without `self`. */
  readonly methods: Readonly<Record<string, ArgsSchema>>;
}

/**
 * Reads the type hints of the Python function `entryPoint` defined by `code`, as JSON Schemas:
 * loads the code in a session of its own (so hints naming its classes or aliases resolve, strings
 * included) and runs guest/hints.py there. A parameter without a hint has the empty schema `{}`
 * and `annotation: null`; a hint with no JSON form (a class, a Callable) has
 * `{"x-unsupported": "<hint>"}`, which `arbitraryFromSchema` refuses with a message saying so.
 * `*args`, `**kwargs` and keyword-only parameters with defaults are left out; `returns` is null
 * without a return hint. The candidate shares the interpreter and could make its hints lie: they
 * only choose the inputs, never the verdict.
 * @throws CrucibleError `invalid_argument` when the code does not load, defines no such function,
 * or it has a required keyword-only parameter; `aborted` when `signal` fires.
 */
export async function argsSchemaOf(sandbox: Sandbox, code: string, entryPoint: string, signal?: AbortSignal): Promise<ArgsSchema> {
  const sig = await readSignature(sandbox, code, entryPoint, signal);
  if (sig.kind !== "function") {
    throw new CrucibleError("invalid_argument", `${entryPoint} is a class, not a function; check a class with a stateful check`, { details: { entryPoint } });
  }
  return { params: sig.params, returns: sig.returns };
}

/**
 * Reads the constructor and the public methods of the Python class `className` defined by `code`,
 * each as `argsSchemaOf` would (without `self`).
 * @throws CrucibleError `invalid_argument` when the code does not load or `className` is not a class.
 */
export async function classSchemaOf(sandbox: Sandbox, code: string, className: string, signal?: AbortSignal): Promise<ClassSchema> {
  const sig = await readSignature(sandbox, code, className, signal);
  if (sig.kind !== "class") throw new CrucibleError("invalid_argument", `${className} is not a class`, { details: { className } });
  return { params: sig.params, methods: sig.methods ?? {} };
}

async function readSignature(sandbox: Sandbox, code: string, entry: string, signal?: AbortSignal) {
  throwIfAborted(signal, "reading type hints");
  const session = await sandbox.session({ language: "python", code, limits: { wallTimeMs: LOAD_TIMEOUT_MS }, ...(signal ? { signal } : {}) });
  try {
    if (session.loaded.status !== "ok") {
      const why = session.loaded.exception ? `${session.loaded.exception.type}: ${session.loaded.exception.message}` : (session.loaded.reason ?? session.loaded.status);
      throw new CrucibleError("invalid_argument", `the code did not load (${session.loaded.status}): ${why}`, { details: { status: session.loaded.status } });
    }
    const cell = await session.exec(HINTS_PY, { timeoutMs: LOAD_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    const verdict = cell.status === "ok" ? await session.call("__crucible_signature__", [entry], { timeoutMs: LOAD_TIMEOUT_MS, ...(signal ? { signal } : {}) }) : cell;
    throwIfAborted(signal, "reading type hints");
    if (verdict.status !== "ok") {
      const why = verdict.exception ? `${verdict.exception.type}: ${verdict.exception.message}` : (verdict.reason ?? verdict.status);
      throw new CrucibleError("invalid_argument", `cannot read the signature of ${entry}: ${why}`, { details: { entry, status: verdict.status } });
    }
    const parsed = signatureShape.safeParse(verdict.value);
    if (!parsed.success) {
      throw new CrucibleError("protocol", `the signature reader answered in an unexpected shape: ${parsed.error.issues[0]?.message ?? ""}`);
    }
    return parsed.data;
  } finally {
    await session.close();
  }
}
