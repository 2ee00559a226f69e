import { basename, extname } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { readTextFile } from "./files.ts";
import { parsePythonJson } from "../eval/python-json.ts";
import type { Wire } from "../sandbox/guest/codec.mjs";
import { createSandbox, type Language } from "../sandbox/sandbox.ts";
import { diffReportLines, findDifference, hostValue, parameterTypes, randomInputs, readExamples, type DiffProgram } from "../verify/diff/index.ts";
import { paramsFromSchema, schemaFromExamples, type JsonSchema } from "../verify/inputs/index.ts";
import { escapeForTerminal } from "./render.ts";

const EXTENSIONS: Record<string, Language> = { ".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".mts": "typescript" };

/** Exit codes, as diff(1) has them: 0 no difference found, 1 a difference, 2 trouble. */
export const DIFF_EXIT = { same: 0, different: 1, trouble: 2 } as const;

interface DiffOptions {
  readonly entry: string;
  readonly entryB?: string;
  readonly input: readonly Wire[][];
  readonly inputs?: string;
  readonly schema?: string;
  readonly docExamples: boolean;
  readonly budgetMs?: number;
  readonly callTimeoutMs?: number;
  readonly seed?: number;
  readonly feedback: boolean;
  readonly atol?: number;
  readonly json?: boolean;
}

function wholeNumber(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/u.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    return n;
  };
}

/** One `--input`: a JSON array of arguments, read as Python reads JSON (1.0 stays a float). */
function argList(text: string, previous: Wire[][] = []): Wire[][] {
  let w: Wire;
  try {
    w = parsePythonJson(text);
  } catch {
    throw new InvalidArgumentError(`--input takes a JSON array of arguments, like '[[1, 2], 3]'; ${JSON.stringify(text)} is not JSON.`);
  }
  if (!Array.isArray(w)) throw new InvalidArgumentError(`--input takes a JSON array of arguments, like '[[1, 2], 3]'.`);
  return [...previous, w];
}


async function program(path: string, entryPoint: string): Promise<DiffProgram> {
  const language = EXTENSIONS[extname(path).toLowerCase()];
  if (!language) throw new CrucibleError("unknown_language", `cannot tell the language of ${JSON.stringify(path)}; name it .py, .js or .ts`);
  return { language, code: await readTextFile(path), entryPoint };
}

async function seedInputs(opts: DiffOptions): Promise<Wire[][]> {
  const out = [...opts.input];
  if (opts.inputs !== undefined) {
    const w = parsePythonJson(await readTextFile(opts.inputs, "inputs file"));
    if (!Array.isArray(w) || !w.every(Array.isArray)) throw new CrucibleError("invalid_argument", `${opts.inputs} must hold a JSON array of argument lists, like [[1, 2], [3, 4]]`);
    out.push(...(w as Wire[][]));
  }
  return out;
}

function schemasFrom(text: string): JsonSchema[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new CrucibleError("invalid_argument", "--schema takes JSON: an array of per-parameter JSON Schemas, or an object schema of the parameters", { cause });
  }
  return paramsFromSchema(parsed).map((p) => p.schema);
}

/** Registers `crucible diff`: search for an input on which two programs differ. */
export function registerDiff(cli: Command): void {
  cli
    .command("diff")
    .description("search for an input on which two programs differ (output, exception type or timeout); Python and TypeScript, also one against the other")
    .argument("<a>", "the first program (.py, .js or .ts), taken as the reference")
    .argument("<b>", "the second program")
    .requiredOption("--entry <name>", "the function to call")
    .option("--entry-b <name>", "the function's name in <b>, when it differs")
    .option("--input <json>", "a seed input: JSON array of arguments (repeatable)", argList, [])
    .option("--inputs <file>", "seed inputs: a JSON file holding an array of argument lists")
    .option("--schema <json>", "parameter types: a JSON array of per-parameter JSON Schemas (default: Python type hints, else the seeds' types)")
    .option("--no-doc-examples", "do not take seed inputs from the examples in a Python function's docstring")
    .option("--budget-ms <ms>", "time for the whole search (default 10000)", wholeNumber("--budget-ms"))
    .option("--call-timeout-ms <ms>", "time limit of one call (default 500)", wholeNumber("--call-timeout-ms"))
    .option("--seed <n>", "seed of the search, to replay it (default 1)", wholeNumber("--seed"))
    .option("--no-feedback", "do not steer mutation by the variables' values (Mokav's execution feedback)")
    .addOption(new Option("--atol <x>", "float tolerance for outputs").argParser((t) => Number(t)))
    .option("--json", "print the report as JSON")
    .action(async (aPath: string, bPath: string, opts: DiffOptions) => {
      const a = await program(aPath, opts.entry);
      const b = await program(bPath, opts.entryB ?? opts.entry);
      const sandbox = createSandbox({ poolSize: 2 });
      try {
        const seeds = await seedInputs(opts);
        const python = [a, b].find((p) => p.language === "python");
        const doc = python && opts.docExamples ? (await readExamples(sandbox, python.code, python.entryPoint)).doc : [];
        seeds.push(...doc.map((args) => [...args]));
        const types =
          opts.schema !== undefined
            ? schemasFrom(opts.schema)
            : python
              ? await parameterTypes(sandbox, python, seeds)
              : seeds.length > 0
                ? schemaFromExamples(seeds.map((args) => args.map(hostValue)))
                : null;
        const report = await findDifference(sandbox, {
          a,
          b,
          seeds,
          ...(types && types.length > 0 ? { random: randomInputs(types) } : {}),
          ...(opts.budgetMs === undefined ? {} : { budgetMs: opts.budgetMs }),
          ...(opts.callTimeoutMs === undefined ? {} : { callTimeoutMs: opts.callTimeoutMs }),
          ...(opts.seed === undefined ? {} : { seed: opts.seed }),
          ...(opts.atol === undefined ? {} : { atol: opts.atol }),
          feedback: opts.feedback,
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          const lines = diffReportLines(report, opts.entry, [basename(aPath), basename(bPath)]);
          process.stdout.write(`${lines.map((l) => (process.stdout.isTTY ? escapeForTerminal(l) : l)).join("\n")}\n`);
        }
        process.exitCode = report.status === "found" ? DIFF_EXIT.different : report.status === "not_found" ? DIFF_EXIT.same : DIFF_EXIT.trouble;
      } finally {
        await sandbox.close();
      }
    });
}
