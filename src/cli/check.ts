import { extname } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { CrucibleError, isCrucibleError } from "../errors.ts";
import { readTextFile } from "./files.ts";
import { createSandbox, LANGUAGES, type Language } from "../sandbox/sandbox.ts";
import { classSchemaOf } from "../verify/inputs/hints.ts";
import { paramsFromSchema } from "../verify/inputs/schema.ts";
import { fromWire, pythonRepr } from "../verify/inputs/values.ts";
import { checkProperty } from "../verify/properties/check.ts";
import type { PropertyReport } from "../verify/properties/report.ts";
import { checkStateful } from "../verify/properties/stateful.ts";
import { escapeForTerminal } from "./render.ts";

interface CheckOptions {
  readonly entry: string;
  readonly schema?: string;
  readonly property?: string;
  readonly propName?: string;
  readonly reference?: string;
  readonly runs?: number;
  readonly seed?: number;
  readonly path?: string;
  readonly timeoutMs?: number;
  readonly atol?: number;
  readonly lang?: Language;
  readonly json?: boolean;
}

/** Exit codes of `crucible check`: 0 passed, 1 failed (a counterexample), 2 could not check. */
const EXIT = { passed: 0, failed: 1, error: 2 } as const;

const EXTENSIONS: Record<string, Language> = { ".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".mts": "typescript" };

function int(what: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^-?\d+$/u.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be a whole number of at least ${min}.`);
    return n;
  };
}


function languageOf(file: string, given: Language | undefined): Language {
  const lang = given ?? EXTENSIONS[extname(file).toLowerCase()];
  if (!lang) throw new CrucibleError("unknown_language", `cannot tell the language of ${JSON.stringify(file)} from its extension; pass --lang ${LANGUAGES.join("|")}`);
  return lang;
}

/** The command that replays a failed report's counterexample. */
function replayCommand(argv: readonly string[], r: { seed: number; path: string }): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--seed" || a === "--path" || a === "--runs") {
      i++;
      continue;
    }
    if (a.startsWith("--seed=") || a.startsWith("--path=") || a.startsWith("--runs=") || a === "--json") continue;
    kept.push(/^[\w./=:@-]+$/u.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
  }
  return `crucible check ${kept.join(" ")} --seed ${r.seed} --path '${r.path}'`;
}

/** The report as a person reads it. */
export function renderCheck(r: PropertyReport, replay: string): string {
  const secs = `${(r.ms / 1000).toFixed(1)} s`;
  if (r.status === "passed") {
    const discarded = r.numDiscarded > 0 ? `, ${r.numDiscarded} inputs discarded` : "";
    return `✓ ${r.entryPoint}: ${r.numRuns} ${r.oracle === "model" ? "call sequences" : "inputs"} passed (seed ${r.seed}${discarded}) in ${secs}\n`;
  }
  if (r.status === "error") return `! ${r.entryPoint}: could not check (${r.phase}): ${r.reason}\n`;
  const lines = [`✗ ${r.entryPoint}: failed after ${r.numRuns} run${r.numRuns === 1 ? "" : "s"} and ${r.numShrinks} shrink${r.numShrinks === 1 ? "" : "s"} (seed ${r.seed}) in ${secs}`];
  const indent = (text: string) => text.split("\n").map((l, i) => (i === 0 ? l : `    ${l}`)).join("\n");
  lines.push(`  counterexample: ${indent(r.counterexample.repr)}`);
  lines.push(`  ${r.failure.kind}: ${r.failure.message}`);
  if (r.failure.output !== undefined) lines.push(`  output:   ${pythonRepr(fromWire(r.failure.output))}`);
  if (r.failure.expected !== undefined) lines.push(`  expected: ${pythonRepr(fromWire(r.failure.expected))}`);
  if (r.original.repr !== r.counterexample.repr) lines.push(`  first failing input: ${indent(r.original.repr)}`);
  if (r.flaky) lines.push("  note: the counterexample passed when run again; the candidate is not deterministic");
  lines.push(`  replay: ${replay}`);
  return `${lines.join("\n")}\n`;
}

export function registerCheck(cli: Command): void {
  cli
    .command("check")
    .description("check a function (or a class) on generated inputs against a property or a reference; shrink what fails")
    .argument("<file>", "the candidate program (.py, .js, .ts)")
    .requiredOption("--entry <name>", "the function to check (a class, with --reference, for a stateful check)")
    .option("--schema <file>", "JSON Schema of the inputs (per-parameter array, prefixItems, or object); default: Python type hints")
    .option("--property <file>", "Python file defining prop(*args, result) -> bool (and optionally pre(*args))")
    .option("--prop-name <name>", "the predicate's name in the property file", "prop")
    .option("--reference <file>", "a reference implementation (same entry name), or for a class the model class")
    .option("--runs <n>", "inputs (or call sequences) to try", int("--runs", 1), 100)
    .option("--seed <n>", "fast-check seed (a random one is drawn and printed otherwise)", int("--seed", -(2 ** 31)))
    .option("--path <path>", "counterexample path from a failed report: replays that counterexample")
    .option("--timeout-ms <ms>", "wall time of each candidate call", int("--timeout-ms", 1), 1000)
    .option("--atol <x>", "float tolerance when comparing with a reference", (t) => {
      const x = Number(t);
      if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError("--atol must be a number of 0 or more.");
      return x;
    })
    .addOption(new Option("--lang <language>", "language of the candidate, when the extension does not say").choices([...LANGUAGES]))
    .option("--json", "print the report as JSON")
    .action(async (file: string, opts: CheckOptions, command: Command) => {
      if ((opts.property === undefined) === (opts.reference === undefined)) {
        throw new CrucibleError("invalid_argument", "give exactly one of --property <file> or --reference <file>");
      }
      const language = languageOf(file, opts.lang);
      const code = await readTextFile(file, "candidate file");
      const params = opts.schema === undefined ? undefined : paramsFromSchema(parseJson(await readTextFile(opts.schema, "schema file"), opts.schema));
      const sandbox = createSandbox({ poolSize: 2, prespawn: false });
      const status = process.stderr.isTTY ? (n: number, phase: string) => process.stderr.write(`\r\x1b[K${phase === "shrink" ? "shrinking" : "checking"}: ${n} judged`) : undefined;
      const common = {
        ...(opts.runs === undefined ? {} : { numRuns: opts.runs }),
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        ...(opts.path === undefined ? {} : { path: opts.path }),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.atol === undefined ? {} : { atol: opts.atol }),
        ...(status ? { onProgress: status } : {}),
      };
      try {
        let report: PropertyReport;
        const reference = opts.reference === undefined ? undefined : await readTextFile(opts.reference, "reference file");
        if (reference !== undefined && language === "python" && params === undefined && (await isClass(sandbox, code, opts.entry))) {
          report = await checkStateful(sandbox, { code, className: opts.entry, model: { code: reference }, ...common });
        } else {
          report = await checkProperty(sandbox, {
            code,
            language,
            entryPoint: opts.entry,
            ...(params === undefined ? {} : { params }),
            ...(opts.property === undefined ? {} : { property: { code: await readTextFile(opts.property, "property file"), name: opts.propName ?? "prop" } }),
            ...(reference === undefined ? {} : { reference: { code: reference, language: languageOf(opts.reference!, undefined) } }),
            ...common,
          });
        }
        if (status) process.stderr.write("\r\x1b[K");
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          const argv = command.parent ? process.argv.slice(process.argv.indexOf("check") + 1) : [];
          const text = renderCheck(report, report.status === "failed" ? replayCommand(argv, report) : "");
          process.stdout.write(process.stdout.isTTY ? escapeForTerminal(text) : text);
        }
        process.exitCode = EXIT[report.status];
      } finally {
        await sandbox.close();
      }
    });
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CrucibleError("invalid_argument", `${file} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

async function isClass(sandbox: ReturnType<typeof createSandbox>, code: string, name: string): Promise<boolean> {
  try {
    await classSchemaOf(sandbox, code, name);
    return true;
  } catch (e) {
    if (isCrucibleError(e, "invalid_argument")) return false;
    throw e;
  }
}
