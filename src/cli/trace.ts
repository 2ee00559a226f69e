import { extname } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { readTextFile } from "./files.ts";
import { parsePythonJson } from "../eval/python-json.ts";
import { Encoded, encode, type Wire } from "../sandbox/guest/codec.mjs";
import { createSandbox } from "../sandbox/sandbox.ts";
import { firstDivergence, type DivergenceResult } from "../verify/trace/diverge.ts";
import { renderDivergence, renderTrace } from "../verify/trace/render.ts";
import { TraceSession } from "../verify/trace/trace.ts";
import type { TraceLimits, TraceReport, ValueSetReport } from "../verify/trace/types.ts";
import { limitOptions, limitsFrom } from "./options.ts";
import { escapeForTerminal } from "./render.ts";

/** Exit codes of `crucible trace --against`, after diff(1): the runs agree, they diverge, or no verdict. */
export const TRACE_EXIT = { same: 0, diverged: 1, undecided: 4 } as const;

interface TraceOptions {
  readonly entry: string;
  readonly args: readonly unknown[];
  readonly kwargs?: Record<string, unknown>;
  readonly against?: string;
  readonly json?: boolean;
  readonly values?: boolean;
  readonly function?: string;
  readonly show?: number;
  readonly maxBlocks?: number;
  readonly maxSteps?: number;
  readonly maxCalls?: number;
  readonly maxValueChars?: number;
  readonly timeLimitMs?: number;
}

function positiveInt(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/u.test(text) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive whole number.`);
    return n;
  };
}

/** Parses `--args`: a JSON array read as Python reads it (big ints exact, `1.0` a float). */
export function parseArgsJson(text: string): Encoded[] {
  let wire: Wire;
  try {
    wire = parsePythonJson(text);
  } catch (cause) {
    throw new InvalidArgumentError(`--args must be a JSON array of the arguments, like '[[1, 2], 3]': ${(cause as Error).message}`);
  }
  if (!Array.isArray(wire)) throw new InvalidArgumentError("--args must be a JSON array of the arguments, like '[[1, 2], 3]'.");
  return wire.map((w) => new Encoded(w));
}

function parseKwargsJson(text: string): Record<string, unknown> {
  let wire: Wire;
  try {
    wire = parsePythonJson(text);
  } catch (cause) {
    throw new InvalidArgumentError(`--kwargs must be a JSON object: ${(cause as Error).message}`);
  }
  if (wire === null || typeof wire !== "object" || Array.isArray(wire)) throw new InvalidArgumentError("--kwargs must be a JSON object, like '{\"k\": 2}'.");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wire)) Object.defineProperty(out, k, { value: new Encoded(v), enumerable: true });
  return out;
}

async function readSource(file: string): Promise<string> {
  const ext = extname(file).toLowerCase();
  if (ext !== ".py" && ext !== "") throw new CrucibleError("invalid_argument", `crucible trace follows Python only; ${JSON.stringify(file)} is not a .py file`);
  return readTextFile(file);
}

/** A report as JSON: the returned value in Crucible's tagged JSON (tuples, sets, big ints keep their type). */
function jsonReport<T extends TraceReport | ValueSetReport>(r: T): unknown {
  return "value" in r ? { ...r, value: encode(r.value) } : r;
}

/**
 * Adds `crucible trace`: runs one call of a Python function under the line tracer and prints the
 * executed basic blocks with the variable states after each (LDB-style), or with `--against`, traces
 * a second version on the same input and reports the first block where the two diverge.
 */
export function registerTrace(cli: Command): void {
  const command = cli
    .command("trace")
    .description("trace one call of a Python function block by block (variable states after each block); with --against, find where two versions diverge")
    .argument("<file>", "Python source that defines the function")
    .requiredOption("--entry <name>", "the function to call")
    .option("--args <json>", "the positional arguments as a JSON array", parseArgsJson, [])
    .option("--kwargs <json>", "keyword arguments as a JSON object", parseKwargsJson)
    .option("--against <file>", "a second version (say, the fixed one): trace it on the same input and report the first divergence (exit 0 none, 1 diverged, 4 undecided)")
    .option("--values", "print only the set of (function, variable, value) seen at block exits")
    .option("--function <qualname>", "show only the blocks of this function (such as outer.<locals>.helper)")
    .option("--show <n>", "blocks printed at most: the first and the last halves (default: all recorded)", positiveInt("--show"))
    .option("--max-blocks <n>", "blocks recorded at most (first and last halves; default 200)", positiveInt("--max-blocks"))
    .option("--max-steps <n>", "line events before the call is stopped (default 1000000)", positiveInt("--max-steps"))
    .option("--max-calls <n>", "call records kept at most (default 200)", positiveInt("--max-calls"))
    .option("--max-value-chars <n>", "characters of a value's repr before its middle is cut (default 100)", positiveInt("--max-value-chars"))
    .option("--time-limit-ms <n>", "wall time of the traced call (default 10000)", positiveInt("--time-limit-ms"))
    .option("--json", "print the report as JSON");
  for (const opt of limitOptions()) command.addOption(opt);
  command.action(async (file: string, opts: TraceOptions & Record<string, unknown>) => {
    await runTrace(file, opts);
  });
}

async function runTrace(file: string, opts: TraceOptions & Record<string, unknown>): Promise<void> {
  const code = await readSource(file);
  const other = opts.against === undefined ? null : await readSource(opts.against);
  const limits: Partial<TraceLimits> = Object.fromEntries(
    (["maxBlocks", "maxSteps", "maxCalls", "maxValueChars", "timeLimitMs"] as const).filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]),
  );
  const callOptions = { limits, ...(opts.kwargs ? { kwargs: opts.kwargs } : {}) };
  const sandboxLimits = limitsFrom(opts);
  const sandbox = createSandbox({ poolSize: 2, prespawn: false });
  const open = async (source: string) => TraceSession.open(sandbox, source, { limits: sandboxLimits });
  const out = (text: string) => process.stdout.write(opts.json ? text : escapeForTerminal(text));
  try {
    if (opts.values) {
      const session = await open(code);
      try {
        const report = await session.values(opts.entry, opts.args, callOptions);
        if (opts.json) out(`${JSON.stringify(jsonReport(report), null, 2)}\n`);
        else out(`${[`${report.entryPoint}: ${report.status} · ${report.steps} steps · ${report.values.length} values`, ...report.values.map(([f, v, x]) => `${f}  ${v} = ${x}`)].join("\n")}\n`);
      } finally {
        await session.close();
      }
      return;
    }
    const trace = async (source: string): Promise<TraceReport> => {
      const session = await open(source);
      try {
        return await session.trace(opts.entry, opts.args, callOptions);
      } finally {
        await session.close();
      }
    };
    const [a, b] = await Promise.all([trace(code), other === null ? null : trace(other)]);
    const view = { ...(opts.show === undefined ? {} : { maxBlocks: opts.show }), ...(opts.function === undefined ? {} : { function: opts.function }) };
    if (b === null) {
      out(opts.json ? `${JSON.stringify(jsonReport(a), null, 2)}\n` : `${renderTrace(a, view)}\n`);
      return;
    }
    const divergence: DivergenceResult = firstDivergence(a, b);
    if (opts.json) out(`${JSON.stringify({ divergence, a: jsonReport(a), b: jsonReport(b) }, null, 2)}\n`);
    else out(`${renderTrace(a, { maxBlocks: opts.show ?? 10, ...view })}\n\n${renderTrace(b, { maxBlocks: opts.show ?? 10, ...view })}\n\n${renderDivergence(divergence, a, b, [file, opts.against!])}\n`);
    process.exitCode = TRACE_EXIT[divergence.result];
  } finally {
    await sandbox.close();
  }
}
