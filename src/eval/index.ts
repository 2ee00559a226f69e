// The evaluation harness's data layer: benchmarks and samples as data, Python-faithful JSON,
// sanitizing model output, pass@k. Reads files and may download a named dataset; runs no code.
export { parsePythonJson, parsePythonJsonRows } from "./python-json.ts";
export type { JsonRow } from "./python-json.ts";
export { aggregatePassAtK, passAtK } from "./pass-at-k.ts";
export type { TaskCounts } from "./pass-at-k.ts";
export { CODET_STOPS, cutAtStops, sanitize } from "./sanitize.ts";
export type { SanitizeOptions } from "./sanitize.ts";
export {
  cacheDataset,
  CODET_FILES,
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  detectKind,
  humanEvalProgram,
  loadCodeTPool,
  loadDataset,
  loadLdbSeeds,
  loadSamples,
  mbppDeserializeInputs,
  NAMED_DATASETS,
  namedDataset,
  oracleFor,
  parseDataset,
  parseLdbSeeds,
  parseSamples,
  readDataText,
  resolveDataset,
  sampleCode,
  testCodeProgram,
} from "./datasets/index.ts";
export type {
  ChatPrompt,
  CodeTTask,
  Dataset,
  DatasetKind,
  DataText,
  IOOracle,
  IOTests,
  LdbSeed,
  LoadOptions,
  NamedDataset,
  ResolveOptions,
  Sample,
  Task,
} from "./datasets/index.ts";
