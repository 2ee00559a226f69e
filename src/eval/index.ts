// The evaluation harness's data layer: benchmarks and samples as data, Python-faithful JSON,
// sanitizing model output, pass@k. Reads files and may download a named dataset; runs no code.
export { parsePythonJson, parsePythonJsonRows } from "./python-json.ts";
export type { JsonRow } from "./python-json.ts";
export { aggregatePassAtK, passAtK } from "./pass-at-k.ts";
export type { TaskCounts } from "./pass-at-k.ts";
export { aggregateEffAtK, effAtK } from "./eff-at-k.ts";
export { ENAMEL_EXCLUDED, ENAMEL_SEED, enamelLeveled, enamelSampleCode, enamelSubset, loadEnamel, parseCsv, parseEnamel, parseEnamelSamples, resolveEnamel } from "./datasets/enamel.ts";
export type { EnamelDataset, EnamelProblem } from "./datasets/enamel.ts";
export { CODET_STOPS, cutAtStops, sanitize } from "./sanitize.ts";
export { HUMANEVALFIX_FILE, loadHumanEvalFix, parseHumanEvalFix } from "./datasets/humanevalfix.ts";
export type { HumanEvalFixTask } from "./datasets/humanevalfix.ts";
export { QUIXBUGS_FILE, loadQuixBugs, parseQuixBugs } from "./datasets/quixbugs.ts";
export type { QuixBugsCase, QuixBugsPair } from "./datasets/quixbugs.ts";
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
// Ranking as data (ranking tasks from the CodeT pool, pass@k of a ranking); `rankCodeTPool`, which
// runs code, is imported from ./datasets/codet-tests.ts itself.
export { codetRankTask, loadGeneratedTests, rankingPassAtK, rankingTable } from "./datasets/codet-tests.ts";
export type { GeneratedTests } from "./datasets/codet-tests.ts";
