// Inputs from types: JSON Schemas (given, read from Python type hints, or inferred from examples)
// and the fast-check arbitraries that generate values of them.
export { arbitraryFromSchema, arbitraryOfArgs } from "./arbitrary.ts";
export type { ArbitraryOptions } from "./arbitrary.ts";
export { argsSchemaOf, classSchemaOf } from "./hints.ts";
export type { ClassSchema } from "./hints.ts";
export { schemaFromExamples } from "./examples.ts";
export { objectSchemaOfParams, paramsFromSchema, SchemaValidator, PYTHON_KINDS } from "./schema.ts";
export type { ArgsSchema, JsonSchema, ParamSchema, PythonKind } from "./schema.ts";
export { PyFloat, asPyFloat, fromWire, jsonView, pyKey, pythonRepr } from "./values.ts";
