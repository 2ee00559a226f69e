// Benchmarks, sample files and the model outputs released with published work, as data. Reads
// files and may download a named dataset; runs nothing.
export { detectKind } from "./benchmarks.ts";
export { CODET_FILES, loadCodeTPool } from "./codet.ts";
export type { CodeTTask } from "./codet.ts";
export { readDataText } from "./files.ts";
export type { DataText } from "./files.ts";
export { loadLdbSeeds, parseLdbSeeds } from "./ldb.ts";
export type { LdbSeed } from "./ldb.ts";
export { loadDataset, parseDataset } from "./load.ts";
export type { LoadOptions } from "./load.ts";
export { mbppDeserializeInputs, oracleFor } from "./mbpp-inputs.ts";
export { humanEvalProgram, sampleCode, testCodeProgram } from "./programs.ts";
export { cacheDataset, DEFAULT_DOWNLOAD_TIMEOUT_MS, DEFAULT_MAX_DOWNLOAD_BYTES, NAMED_DATASETS, namedDataset, resolveDataset } from "./resolve.ts";
export type { NamedDataset, ResolveOptions } from "./resolve.ts";
export { loadSamples, parseSamples } from "./samples.ts";
export type { Sample } from "./samples.ts";
export type { ChatPrompt, Dataset, DatasetKind, IOOracle, IOTests, Task } from "./types.ts";
