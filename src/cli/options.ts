import { InvalidArgumentError, Option } from "commander";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Parses "512M", "1G", "65536" into bytes (binary units). */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new InvalidArgumentError(`expected a size such as 512M, 1G or 65536, got ${JSON.stringify(text)}`);
  return Math.round(Number(match[1]) * unit);
}

/** Parses a whole, non-negative number. */
export function parseCount(text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The limit flags shared by every command that runs code, as commander options. */
export const LIMIT_FLAGS = [
  ["--wall-time-ms <ms>", "wall-clock limit per run", "wallTimeMs", parseCount],
  ["--cpu-time-ms <ms>", "CPU time limit (whole seconds, rounded up)", "cpuTimeMs", parseCount],
  ["--memory <size>", "memory limit, e.g. 256M", "memoryBytes", parseBytes],
  ["--max-processes <n>", "processes + threads", "maxProcesses", parseCount],
  ["--max-open-files <n>", "open files per process", "maxOpenFiles", parseCount],
  ["--max-file <size>", "largest file the guest may write", "maxFileBytes", parseBytes],
  ["--disk <size>", "size of the writable /tmp", "diskBytes", parseBytes],
  ["--max-output <size>", "bytes kept of stdout and of stderr", "maxOutputBytes", parseBytes],
] as const;

/** The limit flags as commander options. */
export function limitOptions(): Option[] {
  return LIMIT_FLAGS.map(([flags, description, , parse]) => new Option(flags, description).argParser(parse));
}

/** Picks the limit values commander parsed, keyed by their `Limits` names. */
export function limitsFrom(opts: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [flags, , key] of LIMIT_FLAGS) {
    const value = opts[new Option(flags).attributeName()];
    if (typeof value === "number") out[key] = value;
  }
  return out;
}
