// The tool library ("crucible/library"): tool specs, content hashes, storage (SQLite by default,
// PostgreSQL for a shared deployment) and search. Loads better-sqlite3 and pg, so it is a subpath
// export, never part of the root entry.
export {
  canonicalJson,
  CHECK_STATUSES,
  compareVersions,
  MAX_SOURCE_BYTES,
  MAX_SPEC_BYTES,
  parseToolRef,
  parseToolSpec,
  parseVerificationRecord,
  refAsName,
  specOf,
  TOOL_LANGUAGES,
  TOOL_NAME_PATTERN,
  TOOL_STATUSES,
  toolHash,
  VERSION_PATTERN,
} from "./tool.ts";
export type {
  CheckRecord,
  CheckStatus,
  JsonSchema,
  Tool,
  ToolDependency,
  ToolExample,
  ToolLanguage,
  ToolProperty,
  ToolProvenance,
  ToolRef,
  ToolSpec,
  ToolStatus,
  ToolTest,
  UsageStats,
  VerificationRecord,
} from "./tool.ts";
export { extractSignature, formatSignature, signatureOf } from "./search-signature.ts";
export type { Signature, SignatureQuery } from "./search-signature.ts";
export { docstringOf, parseQuery, searchDocument } from "./search-text.ts";
export type { ParsedQuery, SearchDocument } from "./search-text.ts";
export { isPostgresUrl, openToolStore } from "./store/open.ts";
export type { OpenStoreOptions } from "./store/open.ts";
export { bundleLine, parseBundle, validateBundle } from "./store/bundle.ts";
export { BUNDLE_FORMAT } from "./store/store.ts";
export type {
  BundleEntry,
  ChangeEvent,
  GetOptions,
  ImportReport,
  ListOptions,
  PutResult,
  SearchHit,
  SearchOptions,
  StoreDialect,
  ToolStore,
  ToolSummary,
  UsageEvent,
} from "./store/store.ts";
export { openLibrary } from "./library.ts";
export type { AdmissionReport, CallOptions as LibraryCallOptions, Library, OpenLibraryOptions, VerifyReport } from "./library.ts";
export { seedLibrary, seedSpecs } from "./seed/index.ts";
export type { SeedReport } from "./seed/index.ts";
