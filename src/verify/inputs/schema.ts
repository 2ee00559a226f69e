// JSON Schemas for a function's inputs: their type, how they map to a parameter list, and how a
// host value is validated against one.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { CrucibleError } from "../../errors.ts";
import { jsonView } from "./values.ts";

/**
 * A JSON Schema (the draft 2020-12 subset `arbitraryFromSchema` understands) as a plain JSON object.
 * Crucible's extensions: `"x-python"` says which Python type a JSON type stands for (`"tuple"`,
 * `"set"`, `"frozenset"` on arrays; `"bytes"` on strings; `"int"`, `"float"` on numbers; `"dict"` on
 * objects whose keys are not strings, with the key schema in `"x-python-keys"`), and
 * `"x-unsupported"` marks a type no value can be generated for (the text says which).
 */
export type JsonSchema = { readonly [key: string]: unknown };

export const PYTHON_KINDS = ["tuple", "set", "frozenset", "bytes", "int", "float", "dict"] as const;
export type PythonKind = (typeof PYTHON_KINDS)[number];

/** One parameter of a function, in order. */
export interface ParamSchema {
  readonly name: string;
  readonly schema: JsonSchema;
  /** True when the parameter has a default, so a call may leave it out. */
  readonly optional: boolean;
  /** The type hint as Python prints it, or null when the parameter has none. */
  readonly annotation?: string | null;
}

/** A function's inputs and output: what `argsSchemaOf` reads from type hints. */
export interface ArgsSchema {
  readonly params: readonly ParamSchema[];
  /** The return type, or null when there is no hint. */
  readonly returns: JsonSchema | null;
}

/**
 * The object schema whose `properties` are the parameters in order (the shape MCP wants for a
 * tool's input): required are the parameters without a default.
 */
export function objectSchemaOfParams(params: readonly ParamSchema[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const p of params) Object.defineProperty(properties, p.name, { value: p.schema, enumerable: true });
  return { type: "object", properties, required: params.filter((p) => !p.optional).map((p) => p.name), additionalProperties: false };
}

/**
 * The parameter list a schema describes. Accepted shapes: an array of per-parameter schemas; an
 * array schema with `prefixItems` (one per parameter); an object schema whose `properties` are the
 * parameters in order (MCP's shape; those not in `required` are optional). A schema that is none of
 * these describes a function of one parameter, `x`.
 * @throws CrucibleError `invalid_argument` when a per-parameter schema is not an object.
 */
export function paramsFromSchema(schema: unknown): ParamSchema[] {
  const asSchema = (s: unknown, where: string): JsonSchema => {
    if (s === true) return {};
    if (s === null || typeof s !== "object" || Array.isArray(s)) {
      throw new CrucibleError("invalid_argument", `${where} must be a JSON Schema object, got ${JSON.stringify(s)}`);
    }
    return s as JsonSchema;
  };
  if (Array.isArray(schema)) return schema.map((s, i) => ({ name: `arg${i}`, schema: asSchema(s, `parameter ${i}'s schema`), optional: false }));
  const root = asSchema(schema, "the schema");
  if (root["type"] === "array" && Array.isArray(root["prefixItems"])) {
    const min = typeof root["minItems"] === "number" ? root["minItems"] : root["prefixItems"].length;
    return root["prefixItems"].map((s, i) => ({ name: `arg${i}`, schema: asSchema(s, `prefixItems[${i}]`), optional: i >= min }));
  }
  const props = root["properties"];
  if (root["type"] === "object" && props !== null && typeof props === "object" && !Array.isArray(props)) {
    const required = new Set(Array.isArray(root["required"]) ? root["required"] : []);
    return Object.keys(props).map((name) => ({ name, schema: asSchema((props as Record<string, unknown>)[name], `properties.${name}`), optional: !required.has(name) }));
  }
  return [{ name: "x", schema: root, optional: false }];
}

/**
 * Validates host values (tuples, sets, bigints, PyFloats…) against JSON Schemas through their
 * `jsonView`, with Crucible's `x-` keywords known. One instance caches compiled schemas.
 */
export class SchemaValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  // Keyed by the schema's text, not its object: a long-lived validator sees the same schema as a
  // new object on every load of a stored tool, and Ajv keeps whatever it compiled.
  private readonly compiled = new Map<string, ValidateFunction>();

  /**
   * Null when `value` satisfies `schema`, else the first reason it does not, in words.
   * @throws CrucibleError `invalid_argument` when the schema itself is not valid.
   */
  check(schema: JsonSchema, value: unknown): string | null {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      try {
        validate = this.ajv.compile(schema);
      } catch (cause) {
        throw new CrucibleError("invalid_argument", `not a valid JSON Schema: ${(cause as Error).message}`, { cause });
      }
      this.compiled.set(key, validate);
    }
    if (validate(jsonView(value))) return null;
    const e = validate.errors?.[0];
    return e ? `${e.instancePath || "value"} ${e.message ?? "is invalid"}` : "invalid";
  }
}
