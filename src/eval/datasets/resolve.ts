import { randomBytes } from "node:crypto";
import { mkdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CrucibleError, isCrucibleError, throwIfAborted } from "../../errors.ts";
import { contentHashes, contentOf } from "./files.ts";
import { loadDataset } from "./load.ts";
import type { Dataset, DatasetKind } from "./types.ts";

/** A benchmark Crucible can fetch by name. */
export interface NamedDataset {
  readonly name: string;
  /** Other names for the same file ("humaneval+@v0.1.10" for "humaneval+"). */
  readonly aliases: readonly string[];
  readonly kind: DatasetKind;
  /** Where it lives in the cache directory. */
  readonly fileName: string;
  readonly url: string;
  /**
   * sha256 (hex) of the content after gunzip. Pinned on content rather than on the bytes served,
   * so a copy gunzipped or recompressed by hand is still accepted and the exact gzip framing of a
   * host does not matter.
   */
  readonly sha256: string;
}

/*
 * Pins are the content hashes of the copies in ../shared/datasets (see its README for their
 * upstream commits). The HumanEval+ v0.1.10 pin equals the one other projects publish for the
 * release asset, and the v0.1.9 file's md5 (84f4b93a…) is the dataset hash EvalPlus wrote into
 * real v0.1.9 results, so those two match upstream. HumanEval's file has not changed upstream
 * since 2021. The Pro files could not be checked against upstream here: the shared copies were
 * recompressed, and CodeEval-Pro has renamed its files over time (`refined_*.json` at the commit
 * below); if upstream bytes differ, resolving fails with a checksum error that says how to supply
 * the file instead.
 */
const EVALPLUS = "https://github.com/evalplus";
const CODEEVAL_PRO = "https://raw.githubusercontent.com/CodeEval-Pro/CodeEval-Pro/e23fa9339ef10569ab41fe3ea29c696790bfee6a/dataset";

/** Every benchmark `resolveDataset` knows by name. */
export const NAMED_DATASETS: readonly NamedDataset[] = Object.freeze([
  {
    name: "humaneval",
    aliases: [],
    kind: "humaneval",
    fileName: "HumanEval.jsonl.gz",
    url: "https://raw.githubusercontent.com/openai/human-eval/master/data/HumanEval.jsonl.gz",
    sha256: "1d49078ba3e2b196b9344535bef34a43021f038fad9561d6ee7c53450609a6a2",
  },
  {
    name: "humaneval+",
    aliases: ["humaneval+@v0.1.10"],
    kind: "humaneval+",
    fileName: "HumanEvalPlus-v0.1.10.jsonl.gz",
    url: `${EVALPLUS}/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz`,
    sha256: "42526ec0e7d5f3ee0b06d6ced98f8c8bae3d76519151bfb3d36f79010645bd7f",
  },
  {
    name: "humaneval+@v0.1.9",
    aliases: [],
    kind: "humaneval+",
    fileName: "HumanEvalPlus-v0.1.9.jsonl.gz",
    url: `${EVALPLUS}/humanevalplus_release/releases/download/v0.1.9/HumanEvalPlus.jsonl.gz`,
    sha256: "50d50fda1ecf4c9168d762456ae29c1d8b8b922e68c66964f7891c98d93a04b7",
  },
  {
    name: "humaneval+-mini",
    aliases: ["humaneval+-mini@v0.1.10"],
    kind: "humaneval+",
    fileName: "HumanEvalPlus-Mini-v0.1.10.jsonl.gz",
    url: `${EVALPLUS}/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus-Mini.jsonl.gz`,
    sha256: "78fbba8865b20c5a979cda6e02fd72538e1762e65980af7d1a6e93c3e87e93af",
  },
  {
    name: "mbpp+",
    aliases: ["mbpp+@v0.2.0"],
    kind: "mbpp+",
    fileName: "MbppPlus-v0.2.0.jsonl.gz",
    url: `${EVALPLUS}/mbppplus_release/releases/download/v0.2.0/MbppPlus.jsonl.gz`,
    sha256: "b54e762755248ca411b523c917fa9f93c07b5ff2966bf60b3917b853926a3dad",
  },
  {
    name: "humaneval-pro",
    aliases: [],
    kind: "humaneval-pro",
    fileName: "humaneval_pro.json",
    url: `${CODEEVAL_PRO}/refined_humaneval_pro.json`,
    sha256: "d67ad94366d8182804d8cb59de558d211072493b13a6c23ddda42a2e1367dc7a",
  },
  {
    name: "mbpp-pro",
    aliases: [],
    kind: "mbpp-pro",
    fileName: "mbpp_pro.json",
    url: `${CODEEVAL_PRO}/refined_mbpp_pro.json`,
    sha256: "bb2edf4f2da393403083977e94cb4e4bbbe68fcb85495dfdf500885a945e8b3b",
  },
] satisfies NamedDataset[]);

/** The named dataset for `name` (case-insensitive, aliases included), or undefined. */
export function namedDataset(name: string): NamedDataset | undefined {
  const n = name.toLowerCase();
  return NAMED_DATASETS.find((d) => d.name === n || d.aliases.includes(n));
}

/** The default limits for a download. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

export interface ResolveOptions {
  /** Where named datasets are cached; decided by the caller (the CLI), never read from the environment here. */
  readonly cacheDir: string;
  /** The fetch to download with; `globalThis.fetch` by default. */
  readonly fetch?: typeof globalThis.fetch;
  readonly signal?: AbortSignal;
  /** Gives up a download after this long. Default 120 s. */
  readonly downloadTimeoutMs?: number;
  /** Refuses a download larger than this. Default 256 MiB. */
  readonly maxDownloadBytes?: number;
}

/**
 * A benchmark by name or by path. A path (anything that is not a known name) is loaded directly.
 * A name (`humaneval`, `humaneval+` = v0.1.10, `humaneval+@v0.1.9`, `humaneval+-mini`, `mbpp+`,
 * `humaneval-pro`, `mbpp-pro`; see `NAMED_DATASETS`) is read from `cacheDir`, downloaded there on
 * first use and checked against its pinned sha256 every time.
 *
 * @throws CrucibleError `invalid_argument` for an unknown name that is no file either (the message
 * lists the names), a file that cannot be read or parsed, a download that fails (offline, an HTTP
 * error, too large) or a checksum mismatch; each message says how to supply the file by hand.
 * `aborted` when `signal` fires.
 */
export async function resolveDataset(nameOrPath: string, options: ResolveOptions): Promise<Dataset> {
  const spec = namedDataset(nameOrPath);
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  if (spec === undefined) {
    if (!(await exists(nameOrPath)) && !/[/\\]|\.(jsonl?|gz)$/i.test(nameOrPath)) {
      const names = NAMED_DATASETS.flatMap((d) => [d.name, ...d.aliases]).join(", ");
      throw new CrucibleError("invalid_argument", `unknown dataset "${nameOrPath}": known names are ${names}; or pass the path of a dataset file`, {
        details: { name: nameOrPath, known: names },
      });
    }
    return loadDataset(nameOrPath, signalOption);
  }
  const path = await cacheDataset(spec, options);
  const dataset = await loadDataset(path, { ...signalOption, kind: spec.kind, name: nameOrPath.toLowerCase() });
  if (dataset.sha256 !== spec.sha256) {
    throw new CrucibleError(
      "invalid_argument",
      `${path} does not hold ${spec.name} (content sha256 ${dataset.sha256}, expected ${spec.sha256}). Delete it to download it again, or pass your file's path with --dataset <file>.`,
      { details: { reason: "checksum_mismatch", name: spec.name, path, expectedSha256: spec.sha256, actualSha256: dataset.sha256 } },
    );
  }
  return dataset;
}

/**
 * The cached file of a named dataset, downloading it first when absent. A download is checked
 * against the pin before anything is written, then written atomically (a temporary file renamed
 * into place), so the cache never holds a partial or unverified file.
 *
 * @returns the path of the cached file.
 * @throws CrucibleError as `resolveDataset` does.
 */
export async function cacheDataset(spec: NamedDataset, options: ResolveOptions): Promise<string> {
  const target = join(options.cacheDir, spec.fileName);
  if (await exists(target)) return target;
  throwIfAborted(options.signal, `downloading ${spec.name}`);
  const howToSupply = `pass its path with --dataset <file>, or place it at ${target} (content sha256 ${spec.sha256})`;
  const failure = (reason: string, message: string, cause?: unknown, extra: Record<string, unknown> = {}) =>
    new CrucibleError("invalid_argument", message, { details: { reason, name: spec.name, url: spec.url, path: target, ...extra }, ...(cause === undefined ? {} : { cause }) });

  const bytes = await download(spec, options, howToSupply, failure);
  const content = contentOf(bytes, spec.url);
  const { sha256 } = contentHashes(content);
  if (sha256 !== spec.sha256) {
    throw failure(
      "checksum_mismatch",
      `the file downloaded for ${spec.name} from ${spec.url} is not the pinned one (content sha256 ${sha256}, expected ${spec.sha256}); nothing was cached. To use a copy you trust, ${howToSupply}.`,
      undefined,
      { expectedSha256: spec.sha256, actualSha256: sha256 },
    );
  }
  await mkdir(options.cacheDir, { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, bytes, options.signal === undefined ? {} : { signal: options.signal });
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throwIfAborted(options.signal, `caching ${spec.name}`);
    throw failure("cache_write", `could not write ${target}: ${(error as Error).message}`, error);
  }
  return target;
}

async function download(
  spec: NamedDataset,
  options: ResolveOptions,
  howToSupply: string,
  failure: (reason: string, message: string, cause?: unknown, extra?: Record<string, unknown>) => CrucibleError,
): Promise<Uint8Array> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const maxBytes = options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  try {
    const response = await fetchImpl(spec.url, { signal, redirect: "follow" });
    if (!response.ok) {
      await response.body?.cancel();
      throw failure("http_status", `could not download ${spec.name}: ${spec.url} answered HTTP ${response.status}. To supply it yourself, ${howToSupply}.`, undefined, {
        status: response.status,
      });
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw failure("too_large", `the download of ${spec.name} is ${declared} bytes, more than the ${maxBytes}-byte limit. To supply it yourself, ${howToSupply}.`);
    }
    return await readCapped(response, maxBytes, () =>
      failure("too_large", `the download of ${spec.name} passed the ${maxBytes}-byte limit. To supply it yourself, ${howToSupply}.`),
    );
  } catch (error) {
    throwIfAborted(options.signal, `downloading ${spec.name}`);
    if (isCrucibleError(error)) throw error;
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error);
    throw failure("offline", `could not download ${spec.name} from ${spec.url} (${why}). Working offline? ${capitalize(howToSupply)}.`, error);
  }
}

async function readCapped(response: Response, maxBytes: number, tooLarge: () => CrucibleError): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  // Node types a fetch body as ReadableStream<any>; its chunks are bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
