// `crucible tools add`, `crucible tools verify` and `crucible tools seed`: the commands that run
// the library's verification gate (registered on the `tools` group by src/cli/tools.ts).
import { dirname, extname, resolve } from "node:path";
import type { Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { readTextFile } from "./files.ts";
import { openLibrary, type AdmissionReport, type Library, type VerifyReport } from "../library/library.ts";
import { seedLibrary } from "../library/seed/index.ts";
import type { CheckRecord } from "../library/tool.ts";
import { createSandbox } from "../sandbox/sandbox.ts";
import { escapeForTerminal } from "./render.ts";
import { libraryLocation, type ToolsCommonOptions } from "./tools.ts";

const SOURCE_LANGUAGES: Record<string, "python" | "typescript"> = { ".py": "python", ".ts": "typescript", ".mts": "typescript" };


async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  const text = await readTextFile(path, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CrucibleError("invalid_argument", `${what} ${path} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new CrucibleError("invalid_argument", `${what} ${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

interface AddOptions {
  readonly entry?: string;
  readonly schema?: string;
  readonly name?: string;
  readonly version?: string;
  readonly description?: string;
}

/**
 * The spec `tools add` admits: a manifest (`.json`, a ToolSpec whose `source` may be a file path
 * relative to the manifest), or a source file plus `--entry` and `--schema` (a JSON object with
 * inputSchema, outputSchema, and optionally description, tests, examples, properties, dependencies).
 */
export async function specFromFiles(file: string, opts: AddOptions): Promise<Record<string, unknown>> {
  const ext = extname(file).toLowerCase();
  if (ext === ".json") {
    const manifest = await readJson(file, "manifest");
    const source = manifest["source"];
    if (typeof source === "string" && !source.includes("\n") && extname(source).toLowerCase() in SOURCE_LANGUAGES) {
      manifest["source"] = await readTextFile(resolve(dirname(file), source), "source file");
    }
    return { version: "1.0.0", ...manifest, ...(opts.name ? { name: opts.name } : {}), ...(opts.version ? { version: opts.version } : {}) };
  }
  const language = SOURCE_LANGUAGES[ext];
  if (!language) throw new CrucibleError("invalid_argument", `cannot tell what ${file} is: give a manifest (.json) or a source file (.py, .ts)`);
  if (!opts.entry || !opts.schema) throw new CrucibleError("invalid_argument", `a source file needs --entry <function> and --schema <file.json> (with inputSchema, outputSchema and tests)`);
  const extra = await readJson(opts.schema, "schema file");
  const description = opts.description ?? extra["description"];
  if (typeof description !== "string" || description.trim() === "") throw new CrucibleError("invalid_argument", "say what the tool does: --description <text> (or a description in the schema file)");
  return {
    version: "1.0.0",
    ...extra,
    name: opts.name ?? extra["name"] ?? opts.entry,
    ...(opts.version ? { version: opts.version } : {}),
    language,
    source: await readTextFile(file, "source file"),
    entryPoint: opts.entry,
    description,
  };
}

function checkLine(c: CheckRecord): string {
  const mark = c.status === "passed" ? "ok  " : c.status === "skipped" ? "skip" : "FAIL";
  return `  ${mark} ${`${c.kind} ${c.name}`.padEnd(40)} ${escapeForTerminal(c.detail ?? "").slice(0, 300)}`;
}

function renderAdmission(r: AdmissionReport): string {
  const head = r.admitted
    ? `admitted ${r.name}@${r.version} (${r.hash.slice(0, 12)})${r.created ? "" : ", already in the library"}`
    : `refused ${r.name}@${r.version}: ${escapeForTerminal(r.reason ?? "")}`;
  const lines = [head, ...r.verification.checks.map(checkLine)];
  for (const d of r.duplicates) lines.push(`  note: behaves like ${d.name}@${d.version} (${d.hash.slice(0, 12)}) on all ${d.compared} inputs tried`);
  if (r.probe) lines.push(`  probe: ${r.probe.examples.length} example(s) recorded, ${r.probe.rejected.length} kind(s) of rejected input`);
  return lines.join("\n");
}

function renderVerify(r: VerifyReport): string {
  const change = r.previous === r.status ? r.status : `${r.previous} → ${r.status}`;
  return `${r.status === "verified" ? "ok  " : "FLAG"} ${`${r.name}@${r.version}`.padEnd(32)} ${change}${r.runtimeChanged ? " (runtime changed)" : ""}${r.record.reason ? `: ${escapeForTerminal(r.record.reason)}` : ""}`;
}

async function withLibrary<T>(command: Command, fn: (library: Library, opts: ToolsCommonOptions) => Promise<T>): Promise<T> {
  const opts = command.optsWithGlobals<ToolsCommonOptions>();
  const sandbox = createSandbox();
  try {
    const library = await openLibrary({ url: libraryLocation(opts.db), sandbox });
    try {
      return await fn(library, opts);
    } finally {
      await library.close();
    }
  } finally {
    await sandbox.close();
  }
}

/** Adds `add`, `verify` and `seed` to the `tools` command group. */
export function registerToolsAdmit(tools: Command): void {
  tools
    .command("add")
    .description("run the verification gate on a tool and store it when it passes (exit 1 when refused)")
    .argument("<file>", "a tool manifest (.json) or a source file (.py, .ts) with --entry and --schema")
    .option("--entry <function>", "the entry point, for a source file")
    .option("--schema <file.json>", "inputSchema, outputSchema, tests (and description, examples, properties, dependencies), for a source file")
    .option("--name <name>", "the tool's name (default: the manifest's, or the entry point)")
    .option("--version <version>", "the tool's version (default 1.0.0)")
    .option("--description <text>", "what the tool does, for a source file")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print the admission report as JSON")
    .action(async (file: string, opts: AddOptions, command: Command) => {
      const spec = await specFromFiles(file, opts);
      await withLibrary(command, async (library, common) => {
        const report = await library.add(spec);
        process.stdout.write(common.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderAdmission(report)}\n`);
        process.exitCode = report.admitted ? 0 : 1;
      });
    });

  tools
    .command("verify")
    .description("re-run the recorded checks of one tool (every version) or of all; a tool that fails is flagged (exit 1)")
    .argument("[name]", "only this tool")
    .option("--stale", "only tools verified under another runtime (Python, Node or Crucible version)")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print the reports as JSON")
    .action(async (name: string | undefined, opts: { stale?: boolean }, command: Command) => {
      await withLibrary(command, async (library, common) => {
        const reports = await library.verify(name, opts.stale ? { onlyStale: true } : {});
        if (common.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
        else {
          for (const r of reports) process.stdout.write(`${renderVerify(r)}\n`);
          process.stdout.write(reports.length === 0 ? "nothing to verify\n" : `${reports.filter((r) => r.status === "verified").length} of ${reports.length} verified\n`);
        }
        process.exitCode = reports.every((r) => r.status === "verified") ? 0 : 1;
      });
    });

  tools
    .command("seed")
    .description("admit the default tools Crucible ships with (each through the gate); tools already stored are kept")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print the admission reports as JSON")
    .action(async (_opts: unknown, command: Command) => {
      await withLibrary(command, async (library, common) => {
        const report = await seedLibrary(library);
        if (common.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          for (const r of report.refused) process.stdout.write(`${renderAdmission(r)}\n`);
          process.stdout.write(`${report.admitted} of ${report.reports.length} seed tools in the library (${(report.ms / 1000).toFixed(1)} s)\n`);
        }
        process.exitCode = report.refused.length === 0 ? 0 : 1;
      });
    });
}
