import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { CrucibleError, isCrucibleError } from "../errors.ts";
import { runDoctor } from "../sandbox/doctor.ts";
import { createSandbox, LANGUAGES, type Language } from "../sandbox/sandbox.ts";
import { runDemo } from "./demo.ts";
import { registerDiff } from "./diff.ts";
import { registerCheck } from "./check.ts";
import { registerEval } from "./eval.ts";
import { registerMeasure } from "./measure.ts";
import { registerRank } from "./rank.ts";
import { registerServe } from "./serve.ts";
import { registerTools } from "./tools.ts";
import { registerTrace } from "./trace.ts";
import { limitOptions, limitsFrom } from "./options.ts";
import { EXIT_CODES, escapeForTerminal, summarize } from "./render.ts";

const EXTENSIONS: Record<string, Language> = {
  ".py": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".ts": "typescript",
  ".mts": "typescript",
};

function languageOf(file: string, given: string | undefined): Language {
  if (given !== undefined) {
    if (!(LANGUAGES as readonly string[]).includes(given)) {
      throw new CrucibleError("unknown_language", `unknown language ${JSON.stringify(given)}; use one of ${LANGUAGES.join(", ")}`);
    }
    return given as Language;
  }
  const lang = EXTENSIONS[extname(file).toLowerCase()];
  if (!lang) {
    throw new CrucibleError("unknown_language", `cannot tell the language of ${JSON.stringify(file)} from its extension; pass --lang ${LANGUAGES.join("|")}`);
  }
  return lang;
}

async function readInput(file: string): Promise<string> {
  const readAll = async (stream: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks);
  };
  let bytes: Buffer;
  try {
    bytes = file === "-" ? await readAll(process.stdin) : await readFile(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new CrucibleError("invalid_argument", code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${code ?? String(cause)}`, { cause });
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (text.includes("\uFFFD") && !bytes.includes(Buffer.from("\uFFFD"))) {
    throw new CrucibleError("invalid_argument", `${file === "-" ? "standard input" : file} is not valid UTF-8`);
  }
  return text;
}

function program(): Command {
  const cli = new Command("crucible")
    .description("Run untrusted Python and JavaScript/TypeScript inside an OS sandbox, and verify it by execution.")
    .showHelpAfterError()
    .exitOverride();

  const run = cli
    .command("run")
    .description("run one program in the sandbox and report its verdict")
    .argument("<file>", "program file, or - to read it from standard input (then --lang is required)")
    .argument("[args...]", "arguments for the program (after --)")
    .addOption(new Option("--lang <language>", "language, when the extension does not say").choices([...LANGUAGES]))
    .option("--stdin <file>", "file to give the program as standard input")
    .option("--json", "print the verdict as JSON on stdout");
  for (const opt of limitOptions()) run.addOption(opt);
  run.action(async (file: string, args: string[], opts: Record<string, unknown>) => {
    const language = languageOf(file, opts["lang"] as string | undefined);
    const code = await readInput(file);
    const stdin = typeof opts["stdin"] === "string" ? await readInput(opts["stdin"]) : undefined;
    const sandbox = createSandbox({ poolSize: 1, prespawn: false });
    try {
      const verdict = await sandbox.run({ language, code, argv: args, limits: limitsFrom(opts), ...(stdin === undefined ? {} : { stdin }) });
      if (opts["json"]) {
        process.stdout.write(`${JSON.stringify(verdict)}\n`);
      } else {
        const tty = (s: NodeJS.WriteStream, text: string) => s.write(s.isTTY ? escapeForTerminal(text) : text);
        tty(process.stdout, verdict.stdout);
        tty(process.stderr, verdict.stderr);
        process.stderr.write(`crucible: ${escapeForTerminal(summarize(verdict))}\n`);
      }
      process.exitCode = EXIT_CODES[verdict.status];
    } finally {
      await sandbox.close();
    }
  });

  cli
    .command("doctor")
    .description("check that this host can run the sandbox, and say what to fix")
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const report = await runDoctor();
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const c of report.checks) {
          const mark = c.ok ? "ok  " : c.warning ? "warn" : "FAIL";
          process.stdout.write(`${mark} ${c.name.padEnd(22)} ${c.detail}\n`);
          if (!c.ok && c.fix) process.stdout.write(`     ${"".padEnd(22)} fix: ${c.fix}\n`);
        }
        process.stdout.write(report.ok ? "the sandbox can run here\n" : "the sandbox cannot run here: fix the FAIL lines above\n");
      }
      process.exitCode = report.ok ? 0 : 1;
    });

  cli
    .command("demo")
    .description("run the bundled example programs (well-behaved and hostile) and print their verdicts")
    .action(async () => {
      const sandbox = createSandbox();
      try {
        const surprises = await runDemo(sandbox, (line) => process.stdout.write(`${line}\n`));
        process.stdout.write(surprises === 0 ? "every example got the verdict it should\n" : `${surprises} example(s) got an unexpected verdict\n`);
        process.exitCode = surprises === 0 ? 0 : 1;
      } finally {
        await sandbox.close();
      }
    });

  registerDiff(cli);
  registerEval(cli);
  registerCheck(cli);
  registerMeasure(cli);
  registerRank(cli);
  registerServe(cli);
  registerTools(cli);
  registerTrace(cli);
  return cli;
}

async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isCrucibleError(error)) {
      process.stderr.write(`crucible: ${error.message}\n`);
      process.exitCode = error.code === "sandbox_unavailable" ? 3 : 2;
      return;
    }
    throw error;
  }
}

await main(process.argv);
